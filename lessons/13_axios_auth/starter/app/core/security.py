"""Passwords and access tokens: the only two secrets the app handles.

Passwords are stored as argon2id hashes (pwdlib), never as they were typed:

    $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>

The parameters travel inside every hash, so a hash made with older, weaker settings
still verifies, and verify_password() hands back a fresh hash to store in its place
(pwdlib's verify_and_update). Argon2id is memory-hard on purpose: each guess costs an
attacker 19 MiB and two passes over it (OWASP's minimum), which ruins the GPU farms that
crack fast hashes (MD5, SHA-256) by the billion per second.

Refresh tokens are the third secret, and the only one that lasts (days, not minutes): random
strings in an httpOnly cookie (app/api/routes/auth.py), of which the database keeps only a
SHA-256 digest (models.RefreshToken), so a leaked copy of the table signs nobody in.

Access tokens are JWTs signed with HMAC-SHA256 (HS256) under TASKS_SECRET_KEY:

    header {"alg": "HS256", "typ": "JWT"} . claims {"sub": "42", "iat": ..., "exp": ...} . signature

A token is a claim written by the client's hands, so decode_access_token() trusts
nothing in it until it has checked, with the app's own rules:
- the algorithm is pinned to HS256: the token's own header never chooses it (that is how
  "alg": "none" tokens and RS256/HS256 confusion get in);
- the signature matches, under our secret;
- exp (expiry) and sub (whose token) are present, and exp has not passed.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from functools import cache

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

# The one algorithm this app signs with, and the only one it accepts.
ALGORITHM = "HS256"

# argon2id at OWASP's minimum: 19 MiB of memory, 2 passes, 1 lane. Stronger is fine
# (pwdlib's default is 64 MiB, 3 passes, 4 lanes) if your servers can pay for it: every
# sign-in and sign-up costs one hash, so measure before raising.
password_hash = PasswordHash((Argon2Hasher(memory_cost=19 * 1024, time_cost=2, parallelism=1),))


def hash_password(password: str) -> str:
    """The argon2id hash to store for a new password (a new random salt each time)."""
    return password_hash.hash(password)


def verify_password(password: str, hashed: str) -> tuple[bool, str | None]:
    """(does the password match?, a new hash to store when the old one's parameters are outdated)."""
    return password_hash.verify_and_update(password, hashed)


@cache
def dummy_hash() -> str:
    """A hash of nothing anyone knows, made with today's parameters.

    Signing in as an email nobody registered is verified against it, so that answer takes
    as long as a wrong password for a real account: the response time must not tell an
    attacker which emails have accounts.
    """
    return password_hash.hash("no account has this password: it only costs time")


def create_access_token(subject: str, secret: str, minutes: int) -> str:
    """A signed token for `subject` (the user's id, as a string) that expires in `minutes`."""
    now = datetime.now(UTC)
    claims = {"sub": subject, "iat": now, "exp": now + timedelta(minutes=minutes)}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_access_token(token: str, secret: str) -> str:
    """The subject (user id) of a valid token; jwt.InvalidTokenError for any other.

    Expired tokens raise jwt.ExpiredSignatureError, a subclass, so callers can say why.
    """
    claims = jwt.decode(
        token,
        secret,
        algorithms=[ALGORITHM],  # never the token's own header: we decide how it is checked
        options={"require": ["exp", "sub"]},  # a token without expiry or subject is refused
    )
    return claims["sub"]


def new_refresh_token() -> str:
    """A fresh refresh token: 256 random bits, URL-safe (it travels in a cookie)."""
    return secrets.token_urlsafe(32)


def refresh_token_digest(token: str) -> str:
    """What the database keeps of a refresh token. A plain hash suffices: the token is random,
    not a password a person chose, so there is nothing to guess from a dictionary."""
    return hashlib.sha256(token.encode()).hexdigest()
