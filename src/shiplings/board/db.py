"""The board's tables (SQLAlchemy 2, async): SQLite in the state folder by default, PostgreSQL on demand.

Reports are kept as they came (one row each, unique per learner and idempotency key, so a
report the outbox sends twice counts once). What the board shows is kept up to date beside
them, per learner and per learner and lesson, when each report arrives: drawing the board
then reads a few hundred small rows, never the whole history.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, UniqueConstraint, event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class JoinCode(Base):
    __tablename__ = "join_codes"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    created_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float)


class Learner(Base):
    __tablename__ = "learners"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    # sha256 of the learner's token: the token itself is never stored
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    joined_at: Mapped[float] = mapped_column(Float)
    last_at: Mapped[float | None] = mapped_column(Float, default=None)
    current_lesson: Mapped[str | None] = mapped_column(String(64), default=None)
    last_kind: Mapped[str | None] = mapped_column(String(16), default=None)
    last_passed: Mapped[bool | None] = mapped_column(Boolean, default=None)
    doctor_at: Mapped[float | None] = mapped_column(Float, default=None)
    doctor_passed: Mapped[bool | None] = mapped_column(Boolean, default=None)
    doctor_failing: Mapped[list] = mapped_column(JSON, default=list)
    reports: Mapped[int] = mapped_column(Integer, default=0)


class Removal(Base):
    """A learner the instructor removed: their token is refused from then on, their reports stay stored.

    A table of its own rather than a column on learners: create_all() adds a missing table to
    a board's existing database, never a missing column (the board has no migrations yet).
    """

    __tablename__ = "removals"

    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"), primary_key=True)
    removed_at: Mapped[float] = mapped_column(Float)


class LessonState(Base):
    """One learner on one lesson: when they started, when it passed, what fails now."""

    __tablename__ = "lesson_states"

    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"), primary_key=True)
    lesson: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_at: Mapped[float] = mapped_column(Float)
    last_at: Mapped[float] = mapped_column(Float)
    passed_at: Mapped[float | None] = mapped_column(Float, default=None)
    last_passed: Mapped[bool] = mapped_column(Boolean, default=False)
    # the tests that failed in the latest report, and how many reports in a row each failed
    failing: Mapped[list] = mapped_column(JSON, default=list)
    streaks: Mapped[dict] = mapped_column(JSON, default=dict)
    runs: Mapped[int] = mapped_column(Integer, default=0)


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("learner_id", "key", name="one_report_per_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    lesson: Mapped[str | None] = mapped_column(String(64))
    passed: Mapped[bool] = mapped_column(Boolean)
    duration: Mapped[float] = mapped_column(Float)
    checks: Mapped[list] = mapped_column(JSON)
    at: Mapped[float] = mapped_column(Float)
    received_at: Mapped[float] = mapped_column(Float)


def make_engine(url: str) -> AsyncEngine:
    sqlite = url.startswith("sqlite")
    # a ping before each use finds a PostgreSQL connection that died; a SQLite file cannot, and
    # each statement costs a hop to aiosqlite's thread
    engine = create_async_engine(url, hide_parameters=True, pool_pre_ping=not sqlite,
                                 connect_args={"timeout": 10} if sqlite else {})
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine.sync_engine, "connect")
        def _tune(dbapi_connection, _record) -> None:
            # WAL: the board page reads while reports are written; NORMAL: a commit does not
            # wait for the disk twice (a power cut may lose the last second, never corrupt the file)
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()
    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def create_tables(engine: AsyncEngine) -> None:
    """The board's schema is small and only grows with the code: made at start, no migrations yet."""
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
