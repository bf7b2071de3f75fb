"""Helpers for the lesson 04 checks: build apps on a chosen database, talk to them, look inside."""

import contextlib
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from shiplings.testing import final_error, running_client
from support.accounts import sign_in_as_learner
from support.apps import app_modules
from support.outages import early_postgres


@pytest.fixture
def build_app(app_env):
    """build_app(database_url) -> a new app from the workspace's create_app(Settings(database_url=...))."""
    main, config = app_modules()

    def build(database_url: str):
        settings = config.Settings(database_url=database_url)
        assert getattr(settings, "database_url", None) == database_url, (
            "Settings(database_url=...) should keep the URL it is given; Settings in "
            'app/core/config.py has no database_url field (default "sqlite+aiosqlite:///./tasks.db").'
        )
        return main.create_app(settings)

    return build


@pytest.fixture(scope="session", autouse=True)
def outage_postgres(request):
    """The PostgreSQL of test_database_outage_is_503 (an EarlyPostgres: `.take()` it), which that
    check freezes and stops: started as the lesson's first check begins, so that its start and
    migrations overlap the checks before it. None when the run does not include that check."""
    with early_postgres(request.session, "test_database_outage_is_503") as early:
        yield early


@pytest.fixture
def talk_to():
    """`async with talk_to(app) as http:` runs the app's lifespan around an in-process client.

    Once the app has sign-in (lesson 07 on), the client signs in as the learner when the
    database allows it (a schema is there), so these checks keep working on an app whose
    tasks need a user; every app on the same database gets the same user.
    """

    @contextlib.asynccontextmanager
    async def running(app):
        async with running_client(app) as http:
            with contextlib.suppress(AssertionError):  # no schema yet: stay anonymous
                await sign_in_as_learner(http, app)
            yield http

    return running


def sqlite_tables(path: Path) -> dict[str, set[str]]:
    """{table: {column, ...}} of an SQLite file (nothing when the file does not exist)."""
    if not path.exists():
        return {}
    with contextlib.closing(sqlite3.connect(path)) as connection:
        names = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {
            name: {row[1] for row in connection.execute(f'PRAGMA table_info("{name}")')}
            for name in names
            if not name.startswith("sqlite_")
        }


@pytest.fixture
def tables():
    return sqlite_tables


@pytest.fixture
def what_failed():
    """what_failed(output) -> the exception a failed command ended with, without its traceback."""
    return final_error


class SessionsSeen:
    """Every ORM session that began a transaction, and the engine it borrowed its connection from."""

    def __init__(self) -> None:
        self.sessions: list = []  # kept alive, so that their ids stay unique
        self.engines: list = []

    def began(self, session, transaction, connection) -> None:
        self.sessions.append(session)
        self.engines.append(connection.engine)

    def engines_made_per_request(self, app) -> str:
        """What it means when sessions borrowed from engines other than the app's own ("" when none did)."""
        own = getattr(getattr(app.state, "engine", None), "sync_engine", None)
        strangers = sum(1 for used in self.engines if used is not own)
        if not strangers:
            return ""
        return (
            f"{strangers} of the requests' sessions borrowed their connection from another engine than "
            "the app's own (app.state.engine): an engine, with a pool of connections of its own, was "
            "made per request and never closed. Look at get_session() in app/core/db.py: it should "
            "open each session with the sessionmaker the lifespan in app/main.py made once for the app."
        )


@pytest.fixture
def sessions_seen():
    """The sessions the app's requests open during this check (a SessionsSeen)."""
    seen = SessionsSeen()
    event.listen(Session, "after_begin", seen.began)
    yield seen
    event.remove(Session, "after_begin", seen.began)
