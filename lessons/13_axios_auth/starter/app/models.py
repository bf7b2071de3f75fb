"""The database tables, as SQLAlchemy 2 ORM classes.

These describe rows, not API payloads: app/schemas.py says what clients send and get.
The two differ as the app grows (a user's password hash is a column, never a response
field), so they are kept apart and the repositories translate between them.

Alembic compares Base.metadata with the database to draft migrations
(`alembic revision --autogenerate`); the migrations in migrations/versions/ are what
actually creates and changes the tables.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, MetaData, String, false, true
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Every constraint and index gets a predictable name, so a later migration can find and
# drop it by name (SQLite's batch mode needs that, and databases disagree on defaults).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The parent of every table class; its metadata is the whole schema."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    """One account: who may sign in, and whose tasks are whose."""

    __tablename__ = "users"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    # stored lower-cased (app/schemas.py), so Ada@Example.com and ada@example.com are one account
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>": never the password itself
    hashed_password: Mapped[str] = mapped_column(String(255))
    # False blocks sign-in and every token already issued, without deleting the account
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())


class Task(Base):
    """One row of the tasks table."""

    __tablename__ = "tasks"
    # AUTOINCREMENT on SQLite: an id is never handed out twice, even after a delete
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    done: Mapped[bool] = mapped_column(default=False, server_default=false())
    # whose task it is; NULL only for tasks older than accounts (see migration 0002),
    # which no query returns. Deleting a user deletes their tasks.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


class RefreshToken(Base):
    """One refresh token handed out in a cookie: only its SHA-256 digest is kept.

    Tokens of one sign-in share a family: each refresh spends the token it was given
    (used_at) and hands out the family's next one. A spent token that comes back means
    two parties hold the family (a thief and the user), so the whole family is revoked.
    """

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # the sign-in this token descends from: revoking it signs that one session out
    family: Mapped[str] = mapped_column(String(64), index=True)
    # sha256 of the token: a copy of this table signs nobody in
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(default=False, server_default=false())
