"""The database: one engine per app, one session per request.

- The engine holds the connection pool. It is expensive and shared, so each app makes
  exactly one, when it starts (the lifespan in app/main.py), and closes its connections
  when it stops. Nothing here connects at import time.
- A session is a unit of work: it borrows a connection from the pool, tracks the rows a
  request reads and writes, and gives the connection back when it closes. It is cheap and
  NOT safe to share between concurrent requests, so every request gets its own from
  get_session(), a dependency with `yield`: FastAPI closes the session after the request,
  whatever happened in between.

The URL picks the database and an async driver: sqlite+aiosqlite for a laptop and the
checks, postgresql+asyncpg in production. The code is the same for both.

The schema (the tables) is not made here: Alembic migrations make and change it, as a
separate step before the app starts (`alembic upgrade head`, see migrations/).

A database that is down or hangs is an outage, not a bug: every wait on it has a limit,
and a request it fails answers 503 with Retry-After, not a 500 with a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import HTTPException, Request, status
from sqlalchemy import event, exc
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

log = logging.getLogger(__name__)

# How long a request waits for the database, at most, in seconds: to open a connection, for
# one statement (PostgreSQL cancels it server-side too; SQLite waits this long for a lock),
# and for a free connection from the pool. Together they bound a request at ~8 s.
CONNECT_TIMEOUT_SECONDS = 2.0
STATEMENT_TIMEOUT_SECONDS = 4.0
POOL_TIMEOUT_SECONDS = 2.0
# What a 503 tells the client: try again after this many seconds.
RETRY_AFTER_SECONDS = 5

# SQLSTATE classes of a database that cannot serve right now: 08 connection exception,
# 53 insufficient resources (too many connections), 57 operator intervention (shutting
# down, starting up, a statement cancelled by statement_timeout).
UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53", "57")


def make_engine(database_url: str, **options) -> AsyncEngine:
    """An async engine (and its connection pool) for database_url; it connects lazily.

    hide_parameters: a failed statement's error (and every log line and error report made
    from it) shows the SQL but not the values, which are user data: titles, emails,
    password hashes.
    """
    # TODO(04): a database that hangs must not hang every request with it, and a statement
    # that fails must not write its values (titles, emails, password hashes) into the logs.
    # Pass create_async_engine() hide_parameters=True, pool_timeout=POOL_TIMEOUT_SECONDS and
    # connect_args: for PostgreSQL (URLs starting with postgresql+asyncpg) asyncpg's
    # {"timeout": CONNECT_TIMEOUT_SECONDS, "command_timeout": STATEMENT_TIMEOUT_SECONDS,
    #  "server_settings": {"statement_timeout": <STATEMENT_TIMEOUT_SECONDS in milliseconds,
    #  as a string>}} (PostgreSQL counts milliseconds; derive it from the constant);
    # for SQLite {"timeout": STATEMENT_TIMEOUT_SECONDS}, how long it waits for a lock.
    engine = create_async_engine(database_url, pool_pre_ping=True, **options)
    if engine.dialect.name == "sqlite":
        # SQLite ignores foreign keys unless each connection asks for them
        @event.listens_for(engine.sync_engine, "connect")
        def _enforce_foreign_keys(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """A factory of sessions bound to engine.

    expire_on_commit=False keeps an object's attributes readable after commit: with async
    I/O, reloading them implicitly (SQLAlchemy's default) would be a hidden query that
    fails outside an await.
    """
    return async_sessionmaker(engine, expire_on_commit=False)


def is_unavailable(error: BaseException) -> bool:
    """True for the errors of a database that cannot serve now, False for a bug in a query."""
    if isinstance(error, OSError | exc.TimeoutError | exc.OperationalError):  # refused, timed out, lost
        return True
    if isinstance(error, exc.DBAPIError):
        if error.connection_invalidated:
            return True
        error = error.orig
    sqlstate = getattr(error, "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate[:2] in UNAVAILABLE_SQLSTATE_CLASSES


@asynccontextmanager
async def outage_is_503() -> AsyncIterator[None]:
    """Around each request's session: an outage answers 503 with Retry-After.

    A context manager that get_session() enters, not a dependency of its own: FastAPI
    resolves each dependency on every request, and that costs more CPU than this takes.
    """
    try:
        yield
    except Exception as error:
        if not is_unavailable(error):
            raise
        log.warning("database unavailable: %r", error)
        raise HTTPException(
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="The database is not answering. Please try again in a few seconds.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from None


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A new session for this request, closed (connection back to the pool) after it."""
    # TODO(04): open a session with the app's sessionmaker (request.app.state.sessionmaker,
    # made by the lifespan in app/main.py) in an `async with` block that enters
    # outage_is_503() first, and `yield` the session from inside the block: FastAPI runs the
    # rest (closing the session) once the request is over.
    raise NotImplementedError("get_session() in app/core/db.py is not written yet")
