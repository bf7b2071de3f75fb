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
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import Request
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def make_engine(database_url: str, **options) -> AsyncEngine:
    """An async engine (and its connection pool) for database_url; it connects lazily."""
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


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A new session for this request, closed (connection back to the pool) after it."""
    async with request.app.state.sessionmaker() as session:
        yield session
