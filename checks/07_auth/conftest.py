"""Helpers for the lesson 07 checks: forge tokens, read the database, judge a 401."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sqlite3
import sys
from pathlib import Path

import pytest

from shiplings.testing import show
from support.envelope import SHAPE, envelope_problem

# A real RSA public key, the kind a server that verifies RS256 tokens publishes. In an
# "algorithm confusion" attack it is used as the HMAC secret of an HS256 token.
PUBLIC_KEY_PEM = b"""-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAstI1ylYKoF+1PCgZhb5h
V+Y0vUsMBa1fhj2vlj75WngU9p/tOXEIinH9S/mXrVHpUrnRJsJU4R4efvt2Fop1
DxFDmLW/JzBjc2mR9RMIgUsogMu8aUAvRrbJ6B2GOPsuDYj8r9x2+xJdru4J4IpE
Ik7z0OtGNfRoO3p0kmTWD2NzmFtE/r6WSNLXtXM7EnIJx+JO+7XjCKYeUkY5wsfc
84xyzXwmObMDX3c5WxobLVENJoWSEjl8vvgK8PhjhvlSk0z1kP4bckWVlEfqord2
VM9mtlirOGzNnXbI3m1mGC/GxJEGtotLGFWidA3nexNs118t1u0AuYWkopMcS3fL
/QIDAQAB
-----END PUBLIC KEY-----
"""

DIGESTS = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def forge(claims: dict, alg: str = "HS256", key: bytes = b"", signature: bytes | None = None) -> str:
    """A JWT built by hand, the way an attacker builds one: any header, any claims, any key."""
    header = {"alg": alg, "typ": "JWT"}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    if signature is None:
        signature = b"" if alg == "none" else hmac.new(key, signing_input.encode(), DIGESTS[alg]).digest()
    return f"{signing_input}.{b64url(signature)}"


def claims_of(token: str) -> dict:
    """The claims of a token, read without checking anything (what anybody can do)."""
    return json.loads(unb64url(token.split(".")[1]))


def bearer(http) -> str:
    """The token a signed-in client sends."""
    return http.headers["Authorization"].removeprefix("Bearer ")


def refusal_problem(response) -> str | None:
    """None when the response is a 401 in the envelope with WWW-Authenticate: Bearer."""
    status = response.status_code
    if 200 <= status < 300:
        return "your app accepted it"
    if status >= 500:
        return (
            "your app crashed (500): the error raised while checking the token never became a "
            "401. Look at what get_current_user() in app/api/deps.py does when PyJWT refuses a token"
        )
    if status != 401:
        return f"your app answered {status}, not 401 (401 means: who you are is not proven)"
    if not response.headers.get("www-authenticate", "").lower().startswith("bearer"):
        return (
            "the 401 has no `WWW-Authenticate: Bearer` header (RFC 6750: it tells the client "
            "how to authenticate); look at the headers of the 401 that get_current_user() in "
            "app/api/deps.py raises"
        )
    problem = envelope_problem(response)
    if problem:
        return f"the 401 is not in the error envelope {SHAPE}: {problem}"
    return None


def expect_refused(response, asked: str, why: str) -> None:
    """Fail with a learner's message unless the response is a 401 in the envelope with WWW-Authenticate: Bearer."""
    problem = refusal_problem(response)
    if problem is not None:
        raise AssertionError(
            f"{asked} should answer 401 with `WWW-Authenticate: Bearer` in the error envelope; "
            f"{problem}: {show(response)}. {why}"
        )


# the real cause when a token the app has just issued is refused
GENUINE_REFUSED = (
    "Your app refused a genuine token, one that POST /auth/token handed out a moment ago: an app "
    "that refuses every token signs everybody out. Look at decode_access_token() in "
    "app/core/security.py: it should accept what create_access_token() makes (the same secret and "
    "algorithm, and the claims create_access_token() writes, no more)."
)


def database_file(app_env: dict[str, str]) -> Path:
    return Path(app_env["TASKS_DATABASE_URL"].split(":///", 1)[1])


def execute(app_env: dict[str, str], sql: str, *parameters) -> list[tuple]:
    """Run SQL on the check's database behind the app's back, as an admin or a script would."""
    with sqlite3.connect(database_file(app_env)) as connection:
        return connection.execute(sql, parameters).fetchall()


@pytest.fixture
def kit():
    """The helpers of this module, for the checks: kit.forge(...), kit.claims_of(token), ..."""
    return sys.modules[__name__]
