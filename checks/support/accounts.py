"""Signing a learner up and in through the app's own routes (lesson 07 on).

Checks of every lesson talk to the app as a signed-in learner once the app has sign-in,
so that the checks of lessons 01-06 keep passing on an app whose tasks need a user.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from shiplings.testing import has_route, running_client, show

LEARNER_EMAIL = "learner@example.com"
LEARNER_PASSWORD = "correct horse battery staple"
REGISTER, TOKEN = "/auth/register", "/auth/token"


def has_sign_in(app) -> bool:
    """The app serves POST /auth/register and POST /auth/token (lesson 07's routes)."""
    return has_route(app, REGISTER) and has_route(app, TOKEN)


async def sign_up_and_in(http, email: str = LEARNER_EMAIL, password: str = LEARNER_PASSWORD) -> str:
    """Register (if needed) and log in through the app's own routes; returns the token."""
    await http.post(REGISTER, json={"email": email, "password": password})
    response = await http.post(TOKEN, data={"username": email, "password": password})
    assert response.status_code == 200, (
        f"Signing in through POST /auth/token should answer 200 with a token; your app answered "
        f"{show(response)}. Look at app/api/routes/auth.py."
    )
    return response.json()["access_token"]


async def sign_in_as_learner(http, app) -> None:
    """Once the app has sign-in, sign up and in as the learner: `http` sends the token from now on."""
    if has_sign_in(app):
        http.headers["Authorization"] = f"Bearer {await sign_up_and_in(http)}"


@contextlib.asynccontextmanager
async def learner_client(app) -> AsyncIterator:
    """An in-process client for any app, its lifespan running, signed in once the app has sign-in.

    The `client` fixture is this for the check's `app`; checks that build apps of their own
    (two apps on one database, say) use it directly.
    """
    async with running_client(app) as http:
        await sign_in_as_learner(http, app)
        yield http
