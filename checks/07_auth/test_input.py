"""Lesson 07: what anybody can send before signing in is refused at the door, not by a crash.

Sign-up and sign-in take input from anybody, and a token's claims are whatever its signer
wrote. An email or username with a NUL character, or a subject that is no id the database
can hold, must answer a 4xx in the envelope (401 for a token) on PostgreSQL, never a 500.
"""

from __future__ import annotations

import time

import jwt
import pytest

from shiplings.testing import run_migrations, running_client, show
from support.apps import app_builder
from support.envelope import read_envelope

NUL_EMAIL = "ada\u0000@example.com"
# subjects a signed token can carry that name no user: too big for INTEGER, not ASCII digits, zero
ODD_SUBJECTS = ["99999999999", "\u00b2", "0"]


def refused(response) -> bool:
    error, _ = read_envelope(response)
    return 400 <= response.status_code < 500 and error is not None


@pytest.fixture
def pg_url(pg_database):
    """A new, empty, migrated PostgreSQL database for this check: its URL."""
    _, url = pg_database
    run_migrations(url)
    return url


@pytest.mark.timeout(60)
async def test_sign_in_input_is_refused(app_env, pg_url):
    app = app_builder()(database_url=pg_url)
    async with running_client(app) as http:
        signed_up = await http.post("/auth/register", json={"email": NUL_EMAIL, "password": "a long password"})
        assert refused(signed_up), (
            "POST /auth/register with a NUL character (\\u0000) in the email should answer a 4xx in the "
            f"error envelope: no address holds one, and PostgreSQL cannot store it; your app answered "
            f"{show(signed_up)}. The email's pattern in UserCreate (app/schemas.py) should leave NUL out."
        )
        signed_in = await http.post("/auth/token", data={"username": NUL_EMAIL, "password": "a long password"})
        assert refused(signed_in), (
            "POST /auth/token with a NUL character in the username should answer a 4xx in the error "
            f"envelope on PostgreSQL, which refuses a query that carries NUL; your app answered "
            f"{show(signed_in)}. OAuth2PasswordRequestForm takes any string: look at how token() in "
            "app/api/routes/auth.py reads the form, and at SignInForm (app/schemas.py), which knows "
            "what an account's email and password can hold."
        )
        key = app.state.settings.secret_key.get_secret_value()
        for subject in ODD_SUBJECTS:
            claims = {"sub": subject, "iat": int(time.time()), "exp": int(time.time()) + 300}
            token = jwt.encode(claims, key, algorithm="HS256")
            me = await http.get("/users/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 401 and refused(me), (
                f"GET /users/me with a correctly signed token whose sub is {subject!r} (no user id the "
                "database can hold) should answer 401 in the error envelope; your app answered "
                f"{show(me)}. A token says what its signer wrote: read the subject with "
                "USER_ID.validate_python() in get_current_user() in app/api/deps.py, and answer 401 "
                "for a ValidationError, as for a bad signature."
            )
