"""How Alembic reaches the database: the app's own URL, through its async driver.

Alembic runs this file for every command (upgrade, downgrade, revision --autogenerate).
It takes the URL from the app's Settings, so `alembic upgrade head` migrates exactly the
database the app will use (TASKS_DATABASE_URL, else the .env file, else the default).
A URL set on the Alembic config wins, for tools that migrate another database:

    config = Config("alembic.ini"); config.set_main_option("sqlalchemy.url", url)

A program that already holds a connection (an async test fixture, say) can hand it over
as config.attributes["connection"] and call command.upgrade(config, "head") inside
`await connection.run_sync(...)`; nothing else then opens a connection or an event loop.
"""

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.config import Settings
from app.models import Base

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

# what autogenerate compares the database with: every table of app/models.py
target_metadata = Base.metadata


def database_url() -> str:
    return config.get_main_option("sqlalchemy.url") or Settings().database_url


def configure(dialect: str, **options) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite can barely ALTER a table: batch mode rebuilds it (copy, drop, rename)
        render_as_batch=dialect == "sqlite",
        **options,
    )


def run_migrations_offline() -> None:
    """`alembic upgrade head --sql`: print the SQL instead of running it."""
    url = database_url()
    dialect = url.split(":", 1)[0].split("+", 1)[0]
    configure(dialect, url=url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    configure(connection.dialect.name, connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    # a one-off engine without a pool: a migration is one connection, then done
    engine = create_async_engine(database_url(), poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        do_run_migrations(connection)
    else:
        asyncio.run(run_async_migrations())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
