"""What every test can ask for: a fresh app on a throwaway database, and a client for it.

    async def test_something(client):          # the API, in-process, lifespan running
        response = await client.post("/tasks", json={"title": "Write tests"})

pytest finds this file by its name and hands these fixtures to any test that names
them as a parameter. A fixture runs before the test (the code before `yield`) and
cleans up after it (the code after).

- `migrated_database` (once per run): an empty SQLite file with the schema that
  `alembic upgrade head` makes. Migrating takes a while; copying a file takes a
  millisecond, so each test copies this template instead of migrating again.
- `settings`: the Settings of one test: environment "test", its own copy of that
  database under pytest's tmp_path, and a holidays upstream that does not exist on the
  network (the tests fake it, below). Nothing comes from your shell or your .env file,
  so a test never touches your development database (tasks.db) and runs the same on
  every machine.
- `upstream`: a fake of the holidays service (tests/fakes.py), which the app fixture
  puts in place of the real one with app.dependency_overrides.
- `app`: create_app(settings), a new app per test: no state leaks between tests. Its
  password hashing is cheap (see `cheap_password_hashing`): tests sign up and in a lot.
- `anonymous_client`: an httpx.AsyncClient talking to `app` in-process through
  ASGITransport, with the app's lifespan running (ASGITransport alone does not run it,
  and the lifespan is what opens the database engine and the HTTP client).
- `client`: the same, signed in as Ada: it signed up and sends her bearer token.
  `other_client` is signed in as Bob, on the same app, for tests of who sees what.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from alembic import command
from alembic.config import Config
from fastapi import FastAPI
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.api.deps import get_http_client
from app.core import security
from app.core.config import Settings
from app.main import create_app
from tests.fakes import FakeUpstream

# the folder that holds alembic.ini and app/: the parent of tests/
ROOT = Path(__file__).resolve().parent.parent

# Fixed, so a test can sign tokens of its own (expired, forged) and know what the app
# will make of them. Only tests use it; a real key comes from TASKS_SECRET_KEY.
TEST_SECRET_KEY = "tests-only-key-never-used-anywhere-else-0123456789abcdef0123456789abcdef"
ADA = ("ada@example.com", "ada's correct horse battery")
BOB = ("bob@example.com", "bob's correct horse battery")


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database with the current schema, made once per test run by Alembic."""
    path = tmp_path_factory.mktemp("template") / "tasks.db"
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", f"sqlite+aiosqlite:///{path}")
    config.attributes["configure_logger"] = False  # keep pytest's log capture as it is
    command.upgrade(config, "head")
    return path


@pytest.fixture
def settings(tmp_path: Path, migrated_database: Path) -> Settings:
    """This test's settings: its own database, a fake upstream, nothing from the shell."""
    database = tmp_path / "tasks.db"
    shutil.copyfile(migrated_database, database)
    return Settings(
        _env_file=None,
        environment="test",
        database_url=f"sqlite+aiosqlite:///{database}",
        holidays_api_url=FakeUpstream.base_url,
        upstream_timeout_seconds=1.0,
        secret_key=TEST_SECRET_KEY,
    )


@pytest.fixture
def upstream() -> FakeUpstream:
    """The holidays service, faked; a test can change what it answers (tests/fakes.py)."""
    return FakeUpstream()


@pytest.fixture
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id at 1 MiB and 1 pass while a test runs: about a millisecond per hash.

    The real cost (19 MiB, 2 passes) protects stored passwords from attackers; test users
    need no protection, and every test that signs in would pay tens of milliseconds twice.
    tests/core/test_security.py checks the real parameters.
    """
    cheap = PasswordHash((Argon2Hasher(memory_cost=1024, time_cost=1, parallelism=1),))
    monkeypatch.setattr(security, "password_hash", cheap)


@pytest.fixture
async def app(settings: Settings, upstream: FakeUpstream, cheap_password_hashing: None) -> AsyncIterator[FastAPI]:
    """A new app for this test, whose routes get the fake upstream's HTTP client.

    dependency_overrides swaps what a route asks for (HttpClientDep asks get_http_client)
    for another provider: the routes do not change, and do not know.
    """
    app = create_app(settings)
    async with upstream.client() as fake_client:
        app.dependency_overrides[get_http_client] = lambda: fake_client
        yield app


@contextlib.asynccontextmanager
async def talk_to(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for an app that is running, in-process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def sign_up_and_in(client: httpx.AsyncClient, email: str, password: str) -> str:
    """Create an account through the API, sign in, and return the access token."""
    response = await client.post("/auth/register", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    response = await client.post("/auth/token", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


@pytest.fixture
async def running_app(app: FastAPI) -> AsyncIterator[FastAPI]:
    """The app with its lifespan running: its database engine and HTTP client are open."""
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def anonymous_client(running_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client that sends no credentials."""
    async with talk_to(running_app) as client:
        yield client


@pytest.fixture
async def client(running_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client signed in as Ada: every request carries her bearer token."""
    async with talk_to(running_app) as client:
        client.headers["Authorization"] = f"Bearer {await sign_up_and_in(client, *ADA)}"
        yield client


@pytest.fixture
async def other_client(running_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client signed in as Bob, on the same app as `client`."""
    async with talk_to(running_app) as client:
        client.headers["Authorization"] = f"Bearer {await sign_up_and_in(client, *BOB)}"
        yield client
