"""Tests of the rate limits (app/core/ratelimit.py, app/main.py, app/core/config.py).

Each test builds its app with the limits it needs, low enough to reach in a few requests,
and talks to it from chosen client addresses (ASGITransport's `client`).
"""

import contextlib
import socket
import time

import httpx
import pytest
from pydantic import ValidationError

from app.core.config import Settings
from app.main import create_app
from tests.conftest import ADA, sign_up_and_in


@pytest.fixture
def limited(settings: Settings):
    """`async with limited(login_rate_limit="2/minute") as connect:` a running app with these
    limits; `connect(address)` gives a client that reaches it from that address."""

    @contextlib.asynccontextmanager
    async def running(**limits: str):
        app = create_app(settings.model_copy(update=limits))
        async with app.router.lifespan_context(app), contextlib.AsyncExitStack() as clients:

            async def connect(address: str = "192.0.2.1") -> httpx.AsyncClient:
                transport = httpx.ASGITransport(app=app, client=(address, 50000))
                client = httpx.AsyncClient(transport=transport, base_url="http://test")
                return await clients.enter_async_context(client)

            yield connect

    return running


async def sign_in(client: httpx.AsyncClient, password: str) -> httpx.Response:
    return await client.post("/auth/token", data={"username": ADA[0], "password": password})


async def test_sign_in_is_refused_past_the_login_limit(limited):
    pytest.skip("TODO(09): delete this line once POST /auth/token has the login limit (app/api/routes/auth.py)")
    async with limited(login_rate_limit="2/minute") as connect:
        client = await connect()
        await client.post("/auth/register", json={"email": ADA[0], "password": ADA[1]})
        assert [(await sign_in(client, guess)).status_code for guess in ("guess 1", "guess 2")] == [400, 400]

        response = await sign_in(client, ADA[1])  # the right password, one attempt too many

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "too_many_requests"
    assert 1 <= int(response.headers["retry-after"]) <= 60


async def test_every_route_has_the_default_limit(limited):
    pytest.skip("TODO(09): delete this line once create_app() gives every router the default limit (app/main.py)")
    async with limited(rate_limit_default="4/minute") as connect:
        client = await connect()
        client.headers["Authorization"] = f"Bearer {await sign_up_and_in(client, *ADA)}"  # 2 requests
        statuses = [(await client.get("/tasks")).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


async def test_each_address_has_its_own_count(limited):
    pytest.skip("TODO(09): delete this line once the login limit is in place")
    async with limited(login_rate_limit="1/minute") as connect:
        mallory, alice = await connect("203.0.113.66"), await connect("192.0.2.10")
        assert (await sign_in(mallory, "guess 1")).status_code == 400
        assert (await sign_in(mallory, "guess 2")).status_code == 429

        assert (await sign_in(alice, "her first try")).status_code == 400


async def test_a_made_up_forwarded_for_changes_nothing(limited):
    pytest.skip("TODO(09): delete this line once client_address() reads no header (app/core/ratelimit.py)")
    async with limited(login_rate_limit="1/minute") as connect:
        mallory = await connect("203.0.113.66")
        await sign_in(mallory, "guess 1")
        forged = {"X-Forwarded-For": "198.51.100.7"}
        response = await mallory.post("/auth/token", data={"username": ADA[0], "password": "guess 2"}, headers=forged)

    assert response.status_code == 429



def closed_port() -> int:
    """A loopback port nothing listens on: where a Redis that is down would be."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_a_storage_outage_serves_requests_quickly(limited):
    down = f"redis://127.0.0.1:{closed_port()}/0"
    async with limited(rate_limit_storage_uri=down, rate_limit_default="2/minute") as connect:
        client = await connect()
        started = time.perf_counter()
        statuses = [(await client.get("/tasks")).status_code for _ in range(5)]
        elapsed = time.perf_counter() - started

    assert statuses == [401] * 5  # served (no token here), never refused by a count nobody could keep
    assert elapsed < 2

@pytest.mark.parametrize("limit", ["5 per minuet", "five/minute", ""])
def test_unreadable_limits_are_refused(limit):
    pytest.skip("TODO(09): delete this line once Settings validates login_rate_limit (app/core/config.py)")
    with pytest.raises(ValidationError):
        Settings(_env_file=None, login_rate_limit=limit)
