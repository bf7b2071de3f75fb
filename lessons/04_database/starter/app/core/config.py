"""Settings: what differs between a laptop, CI and production, read from the environment.

Each field comes from an environment variable TASKS_<FIELD> (TASKS_APP_NAME,
TASKS_ENVIRONMENT, TASKS_DATABASE_URL) or from a .env file in the working directory; a
real environment variable wins over the file. The prefix keeps our variables apart from
everybody else's (a bare ENVIRONMENT or APP_NAME is often set by some other tool). Values
are validated when Settings() is built, so a typo stops the app at start-up instead of
quietly running production with development behaviour.
"""

from functools import lru_cache
from typing import Literal

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "production"]

# The async driver for each database the app supports. SQLAlchemy picks a driver from the
# URL's scheme: a bare postgresql:// means psycopg2, which blocks the event loop.
ASYNC_DRIVERS = {
    "postgres": "postgresql+asyncpg",  # what many hosting platforms hand out
    "postgresql": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
}


class Settings(BaseSettings):
    """The app's configuration; create_app() takes one, tests build their own."""

    # hide_input_in_errors: an error names the setting and the problem, never the value,
    # which may be a password (a database or Redis URL, the signing key)
    model_config = SettingsConfigDict(
        env_prefix="TASKS_", env_file=".env", extra="ignore", hide_input_in_errors=True
    )

    # the title of the API in /docs
    app_name: str = "Tasks"
    # where the app runs: development, test or production
    environment: Environment = "development"
    # where the tasks live: a SQLite file next to the app by default; in production a
    # PostgreSQL server, e.g. postgresql+asyncpg://tasks:secret@db:5432/tasks
    database_url: str = "sqlite+aiosqlite:///./tasks.db"

    @field_validator("database_url")
    @classmethod
    def _use_an_async_driver(cls, url: str) -> str:
        """postgres://... and sqlite://... get their async driver (asyncpg, aiosqlite)."""
        # TODO(04): when the URL's scheme (the part before "://") is a key of ASYNC_DRIVERS,
        # return the URL with that scheme replaced by its async driver:
        #   postgres://u:pw@db/tasks  ->  postgresql+asyncpg://u:pw@db/tasks
        # Any other URL (postgresql+asyncpg://..., sqlite+aiosqlite://...) comes back unchanged.
        return url


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once: the environment does not change under a running app."""
    return Settings()
