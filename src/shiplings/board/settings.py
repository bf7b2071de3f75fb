"""The board's settings, from SHIPLINGS_BOARD_<FIELD> environment variables (or the command's options).

The same pydantic-settings pattern as the course's app (lesson 02): validated when built,
so a typo in a limit stops the server at start-up instead of during the workshop.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from limits import parse
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shiplings.paths import state_dir

ASYNC_DRIVERS = {"postgres": "postgresql+asyncpg", "postgresql": "postgresql+asyncpg", "sqlite": "sqlite+aiosqlite"}


def board_folder() -> Path:
    """Where the board keeps its database, instructor secret and page dependencies (git-ignored)."""
    return state_dir() / "board"


class BoardSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHIPLINGS_BOARD_", extra="ignore", hide_input_in_errors=True)

    # where the board's data lives: None means a SQLite file in the state folder, which survives a
    # restart; a PostgreSQL URL (postgresql://user:password@host/board) for a big room
    database_url: str | None = None
    # the folder for the SQLite file, the instructor secret and the page's npm dependencies
    folder: Path = Field(default_factory=board_folder)
    # reports one learner may send (the outbox sends a batch as one request)
    report_rate_limit: str = "60/minute"
    # joins per client address: a room behind one NAT address shares it, so it is generous
    join_rate_limit: str = "120/minute"
    # instructor sign-in attempts per address: each is a guess at the secret
    signin_rate_limit: str = "5/minute"
    # a learner is stuck when the same check failed this many times in a row
    stuck_failures: int = Field(default=3, ge=2, le=50)
    # how long a join code works, in hours
    code_hours: float = Field(default=8, gt=0, le=24 * 14)
    # how long an instructor's sign-in lasts, in hours
    session_hours: float = Field(default=12, gt=0, le=48)
    # the page's live updates: at most one every this many seconds, however many reports arrive
    update_seconds: float = Field(default=1.0, ge=0.01, le=60)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = True

    @field_validator("database_url")
    @classmethod
    def async_driver(cls, url: str | None) -> str | None:
        """postgresql://... becomes postgresql+asyncpg://...: a blocking driver would stall every request."""
        if url is None:
            return None
        scheme, separator, rest = url.partition("://")
        if not separator:
            raise ValueError("should be a URL such as postgresql://user:password@host:5432/board")
        return f"{ASYNC_DRIVERS.get(scheme, scheme)}://{rest}"

    @field_validator("report_rate_limit", "join_rate_limit", "signin_rate_limit")
    @classmethod
    def a_limit(cls, text: str) -> str:
        try:
            parse(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a rate limit: write it like '60/minute'") from None
        return text

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.folder / 'board.db'}"
