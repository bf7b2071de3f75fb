"""Helpers for the lesson 09 checks: clients from chosen addresses, login attempts, a 429.

Every check builds its own app with `build_app(**settings)` (checks/conftest.py) and
explicit limits, so the limits in the check environment (TASKS_* variables) never decide
the outcome.
"""

import contextlib

import httpx
import pytest

from shiplings.testing import make_client
from support.envelope import envelope_problem

EMAIL = "rate-limit@example.com"


@pytest.fixture
def serve():
    """`async with serve(app) as connect:` runs the app's lifespan; `connect(address)` gives a
    client whose requests reach the app from that client address (request.client.host)."""

    @contextlib.asynccontextmanager
    async def running(app):
        async with app.router.lifespan_context(app), contextlib.AsyncExitStack() as clients:

            async def connect(address: str = "127.0.0.1") -> httpx.AsyncClient:
                return await clients.enter_async_context(make_client(app, address=address))

            yield connect

    return running


@pytest.fixture
def attempt():
    """`await attempt(http, password, email=..., **headers)`: one login attempt, POST /auth/token."""

    async def send(http, password: str, email: str = EMAIL, **headers: str):
        return await http.post("/auth/token", data={"username": email, "password": password}, headers=headers)

    return send


@pytest.fixture
def refusal():
    """refusal(response) -> '' when a 429 answers in the envelope with a usable Retry-After, else what is wrong."""

    def read(response) -> str:
        problem = envelope_problem(response)
        if problem:
            return f"it is not in the error envelope: {problem}"
        if response.json()["error"]["code"] != "too_many_requests":
            return f'its code is {response.json()["error"]["code"]!r}, not "too_many_requests"'
        return retry_after_problem(response)

    return read


def retry_after_problem(response, window: int = 60) -> str:
    """'' when Retry-After holds a whole number of seconds the client can wait (1..window)."""
    value = response.headers.get("retry-after")
    if value is None:
        return "it has no Retry-After header"
    if not value.strip().isdigit() or not 1 <= int(value) <= window:
        return f"its Retry-After is {value!r}, not a number of seconds between 1 and {window}"
    return ""
