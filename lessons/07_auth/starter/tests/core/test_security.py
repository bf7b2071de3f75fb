"""Unit tests of app/core/security.py: hashing and tokens, without any app running."""

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.core.security import create_access_token, decode_access_token, hash_password, verify_password

SECRET = "unit-test-key-long-enough-for-every-hmac-algorithm-0123456789abcdef"


def test_passwords_are_hashed_with_argon2id_at_owasp_strength():
    pytest.skip("TODO(07): delete this line once the Argon2Hasher parameters are raised")
    hashed = hash_password("correct horse")

    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert "correct horse" not in hashed
    assert hash_password("correct horse") != hashed  # a new salt every time


def test_a_hash_verifies_its_password_only():
    hashed = hash_password("correct horse")

    assert verify_password("correct horse", hashed) == (True, None)
    assert verify_password("correct horse!", hashed)[0] is False


def test_a_hash_with_outdated_parameters_is_upgraded():
    pytest.skip("TODO(07): delete this line once the Argon2Hasher parameters are raised")
    weak = PasswordHash((Argon2Hasher(memory_cost=8192, time_cost=1, parallelism=1),)).hash("correct horse")

    valid, upgraded = verify_password("correct horse", weak)

    assert valid is True
    assert upgraded is not None and upgraded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_a_token_carries_its_subject():
    assert decode_access_token(create_access_token("42", SECRET, minutes=5), SECRET) == "42"


def test_an_expired_token_is_refused():
    pytest.skip("TODO(07): delete this line once decode_access_token() is done")
    token = create_access_token("42", SECRET, minutes=-1)

    with pytest.raises(jwt.ExpiredSignatureError):
        decode_access_token(token, SECRET)


@pytest.mark.parametrize(
    ("claims", "key", "algorithm"),
    [
        ({"sub": "42"}, SECRET, "HS256"),  # no exp
        ({"exp": datetime.now(UTC) + timedelta(minutes=5)}, SECRET, "HS256"),  # no sub
        ({"sub": "42", "exp": datetime.now(UTC) + timedelta(minutes=5)}, None, "none"),
        ({"sub": "42", "exp": datetime.now(UTC) + timedelta(minutes=5)}, SECRET, "HS384"),
        ({"sub": "42", "exp": datetime.now(UTC) + timedelta(minutes=5)}, SECRET + "?", "HS256"),
    ],
    ids=["no-exp", "no-sub", "alg-none", "other-algorithm", "other-key"],
)
def test_tokens_we_did_not_issue_are_refused(claims, key, algorithm):
    pytest.skip("TODO(07): delete this line once decode_access_token() is done")
    token = jwt.encode(claims, key, algorithm=algorithm)

    with pytest.raises(jwt.InvalidTokenError):
        decode_access_token(token, SECRET)
