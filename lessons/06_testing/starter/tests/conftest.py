"""What every test can ask for: a fresh app, and a client for it.

    async def test_something(client):          # the API, in-process, lifespan running
        response = await client.post("/tasks", json={"title": "Write tests"})

pytest finds this file by its name and hands these fixtures to any test that names
them as a parameter. A fixture runs before the test (the code before `yield`) and
cleans up after it (the code after).

- `settings`: the Settings of one test.
- `upstream`: a fake of the holidays service (tests/fakes.py).
- `app`: create_app(settings), a new app per test: no state leaks between tests.
- `client`: an httpx.AsyncClient talking to `app` in-process through ASGITransport,
  with the app's lifespan running (ASGITransport alone does not run it, and the
  lifespan is what opens the database engine and the HTTP client).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings, get_settings
from app.main import create_app
from tests.fakes import FakeUpstream

# TODO(06): a session-scoped fixture `migrated_database(tmp_path_factory)` that makes an
# empty SQLite file with the schema of your migrations, ONCE per test run:
#   - a file in tmp_path_factory.mktemp("template")
#   - alembic's Config(<the alembic.ini next to app/>), its "sqlalchemy.url" option set to
#     that file (sqlite+aiosqlite:///...), and command.upgrade(config, "head")
# Migrating takes a while; copying the result takes a millisecond.


@pytest.fixture
def settings() -> Settings:
    """This test's settings.

    TODO(06): give each test its own throwaway database. For now a test gets the same
    settings as `uvicorn app.main:app`: TASKS_DATABASE_URL from your shell or .env, else
    ./tasks.db, the board you click through by hand. Every test run adds tasks there.
    Copy the migrated database into tmp_path (pytest gives each test its own folder) and
    build the Settings yourself, reading nothing from the shell or .env:
    Settings(_env_file=None, environment="test", database_url=..., holidays_api_url=...).
    """
    return get_settings()


@pytest.fixture
def upstream() -> FakeUpstream:
    """The holidays service, faked; a test can change what it answers (tests/fakes.py)."""
    return FakeUpstream()


@pytest.fixture
async def app(settings: Settings, upstream: FakeUpstream) -> AsyncIterator[FastAPI]:
    """A new app for this test.

    TODO(06): its routes still get the real HTTP client, which calls the real holidays
    service over the internet. Give them the fake's client instead: open it with
    `async with upstream.client() as fake_client:` and, inside, set
    app.dependency_overrides[get_http_client] (app/api/deps.py) to a function that
    returns it, then yield the app.
    """
    app = create_app(settings)
    yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the app, in-process; the app's lifespan runs around it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client
