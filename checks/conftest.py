"""Fixtures every lesson's checks get: the course's app, as a test suite configures it.

pytest loads this conftest for every lesson (it sits in checks/, the rootdir). It extends
the engine's fixtures (shiplings.testing) with what this course's app needs:

- `app_env`: test mode, a strong random TASKS_SECRET_KEY and limits no check reaches,
  on top of the engine's own migrated SQLite database (TASKS_DATABASE_URL)
- `client`: the engine's in-process client, signed in as a learner once the app has
  sign-in (lesson 07 on), so the checks of earlier lessons keep passing unchanged
- `anonymous_client`: the same, never signed in
- `build_app`: build(**settings) -> a new app from create_app(Settings(**settings))
- `chromium`, `browser`: one headless Chromium for every browser check of a run, and a
  Playwright Browser on it per module; where Chromium is missing, those checks "cannot
  run" with the doctor's fix (support/browser.py)
- `pg_database`: a new, empty database on the session's real PostgreSQL: (name, URL)
- `docker_engine`: one Docker Engine for every container check of a run (lessons 16-18): the
  learner's own, or a private one that dies with the run (shiplings.containers). One per run,
  because a private engine holds its image store's lock: a second one in the same run (a run
  of lessons 16 and 17 together) would wait for the first. Without an engine, "cannot run"

Helpers several lessons share are in checks/support/ (`from support.envelope import ...`).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from shiplings.testing import DATABASE_URL_VARIABLE, running_client
from support.accounts import learner_client
from support.apps import app_builder, app_environment


@pytest.fixture
def app_env(app_env, monkeypatch) -> dict[str, str]:
    """The TASKS_* environment of this check's app (already set in os.environ)."""
    env = {**app_env, **app_environment(app_env[DATABASE_URL_VARIABLE])}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
async def client(app) -> AsyncIterator:
    """A client for the app, signed in as a learner once the app has sign-in (lesson 07 on)."""
    async with learner_client(app) as http:
        yield http


@pytest.fixture
async def anonymous_client(app) -> AsyncIterator:
    """A client that sends no credentials; the app's lifespan runs around it."""
    async with running_client(app) as http:
        yield http


@pytest.fixture
def build_app(app_env):
    """build_app(**settings) -> a new app from the workspace's create_app(Settings(**settings))."""
    return app_builder()


@pytest.fixture
async def pg_database(postgres):
    """A new, empty PostgreSQL database for this check; its name and URL, then dropped."""
    import asyncpg  # here, not at the top: most checks never reach PostgreSQL, and every check loads this file

    name = "tasks_" + secrets.token_hex(4)
    admin = await asyncpg.connect(host="127.0.0.1", port=postgres.port, user=postgres.user, database="postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield name, postgres.url(database=name)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def docker_engine() -> Iterator:
    """The run's Docker Engine; without one, the checks that need it "cannot run" with the doctor's fix."""
    from shiplings import containers

    with containers.engine() as engine:
        yield engine


@pytest.fixture(scope="session")
def chromium() -> Iterator[str]:
    """One headless Chromium for the whole run (its DevTools URL); without Chromium, "cannot run"."""
    from shiplings import keep
    from support.browser import chromium_path, chromium_server, responds

    path = chromium_path()  # none: "cannot run", before anything starts
    with keep.server("chromium", keep.fingerprint(path, files=[Path(path)]), chromium_server,
                     probe=responds) as (endpoint, _):
        yield endpoint


@pytest.fixture(scope="module")
def browser(chromium) -> Iterator:
    """A Playwright Browser on the run's Chromium, for one module: each check opens its own context.

    Per module, because while Playwright's sync API is connected the async checks of other
    modules cannot run their event loop (support/browser.py); a module with browser checks
    keeps them sync.
    """
    from support.browser import connect

    with connect(chromium) as connected:
        yield connected
