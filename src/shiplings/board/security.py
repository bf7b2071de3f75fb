"""Who may do what on the board: instructors, learners, and the codes that let learners in.

Two kinds of credential, never interchangeable:

- The instructor signs in with a secret made when the board first starts. Only its argon2
  hash (pwdlib) is kept, in the state folder: the secret is printed once. Signing in gives
  a short-lived JWT (PyJWT, HS256, `exp` and `sub` required, algorithms pinned) whose role
  is "instructor", sent as a Bearer token or an HttpOnly SameSite=Strict cookie (the page's
  EventSource cannot send headers).
- A learner exchanges a join code for an opaque random token (256 bits). The board keeps
  only its SHA-256: a token that random cannot be guessed from its hash, so the slow hash a
  password needs would only cost every report ~50 ms for nothing.

A join code is short enough to read off a projector, and expires (default 8 hours).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import time
from pathlib import Path

import jwt
from pwdlib import PasswordHash

ALGORITHM = "HS256"
INSTRUCTOR = "instructor"
# no 0/O, 1/I/L: a code is read off a projector and typed
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

password_hash = PasswordHash.recommended()


def new_join_code() -> str:
    letters = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"{letters[:4]}-{letters[4:]}"


def normal_code(code: str) -> str:
    """What the learner typed, as stored: upper case, the dash where it belongs."""
    letters = "".join(ch for ch in code.upper() if ch.isalnum())
    return f"{letters[:4]}-{letters[4:]}" if len(letters) == 8 else letters


def new_learner_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InstructorKeys:
    """The instructor secret's hash and the JWT signing key, in <board folder>/instructor.json (mode 0600)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "instructor.json"

    def load(self) -> dict | None:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def ensure(self, renew: bool = False) -> str | None:
        """Make the secret when there is none (or renew it); return it then, None when one exists already."""
        if self.load() is not None and not renew:
            return None
        secret = secrets.token_urlsafe(18)
        keys = {"secret_hash": password_hash.hash(secret), "signing_key": secrets.token_urlsafe(32)}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(keys, stream)
        os.replace(temporary, self.path)
        return secret


def secret_matches(keys: dict, secret: str) -> bool:
    return password_hash.verify(secret, keys["secret_hash"])


def instructor_token(keys: dict, hours: float, hub_user: str | None = None) -> str:
    now = int(time.time())
    claims = {"sub": INSTRUCTOR, "role": INSTRUCTOR, "iat": now, "exp": now + int(hours * 3600)}
    if hub_user:  # signed in through JupyterHub: who, for the logs
        claims["hub_user"] = hub_user
    return jwt.encode(claims, keys["signing_key"], algorithm=ALGORITHM)


def is_instructor_token(keys: dict, token: str) -> bool:
    try:
        claims = jwt.decode(token, keys["signing_key"], algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
    except jwt.PyJWTError:
        return False
    return claims.get("role") == INSTRUCTOR and claims.get("sub") == INSTRUCTOR
