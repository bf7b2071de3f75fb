"""The database tables, as SQLAlchemy 2 ORM classes.

These describe rows, not API payloads: app/schemas.py says what clients send and get.
The two differ as the app grows (a user's password hash is a column, never a response
field), so they are kept apart and the repository translates between them.

Alembic compares Base.metadata with the database to draft migrations
(`alembic revision --autogenerate`); the migrations in migrations/versions/ are what
actually creates and changes the tables.
"""

from __future__ import annotations

from sqlalchemy import MetaData, String, false
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


class Task(Base):
    """One row of the tasks table."""

    __tablename__ = "tasks"
    # AUTOINCREMENT on SQLite: an id is never handed out twice, even after a delete
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    done: Mapped[bool] = mapped_column(default=False, server_default=false())
