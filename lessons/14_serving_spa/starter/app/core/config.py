"""Settings: what differs between a laptop, CI and production, read from the environment.

Each field comes from an environment variable TASKS_<FIELD> (TASKS_APP_NAME,
TASKS_ENVIRONMENT, TASKS_DATABASE_URL, TASKS_SECRET_KEY, ...) or from a .env file in the
working directory; a real environment variable wins over the file. The prefix keeps our variables apart from
everybody else's (a bare ENVIRONMENT or APP_NAME is often set by some other tool). Values
are validated when Settings() is built, so a typo stops the app at start-up instead of
quietly running production with development behaviour.
"""

import secrets
from functools import lru_cache
from typing import Literal

from limits import parse
from pydantic import DirectoryPath, Field, PrivateAttr, SecretStr, field_validator, model_validator
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
    # the public-holidays service GET /holidays/{year} asks (Nager.Date); checks and tests
    # point it at a fake one
    holidays_api_url: str = "https://date.nager.at/api/v3"
    # how long the app waits for a service it calls before it gives up (504), in seconds:
    # for the connection, for sending, and for each read of the answer
    upstream_timeout_seconds: float = Field(default=5.0, gt=0)
    # signs and checks access tokens: whoever knows it can sign in as anybody. No default:
    # production refuses to start without a strong one; development invents one per process.
    # Make one with: python -c "import secrets; print(secrets.token_urlsafe(32))"
    secret_key: SecretStr | None = None
    # how long an access token works; short, because a stolen token works until then
    access_token_minutes: int = Field(default=30, ge=1, le=24 * 60)
    # how long a refresh cookie keeps a session alive without a sign-in; each refresh
    # hands out a new one, so this is the longest a browser may stay away
    refresh_token_days: int = Field(default=14, ge=1, le=90)
    # the origins (scheme://host:port) whose web pages may call the API from a browser, with
    # the user's credentials: the Vue dev server by default. A list, so in the
    # environment a JSON list: TASKS_CORS_ORIGINS='["https://tasks.example.com"]'
    cors_origins: list[str] = ["http://localhost:5173"]
    # where rate limits are counted: memory:// keeps the counts in this one process (a
    # laptop); with several workers each would count on its own, so production counts in
    # the Redis they all share: TASKS_RATE_LIMIT_STORAGE_URI=redis://redis:6379/0
    rate_limit_storage_uri: str = "memory://"
    # requests one client address may send to the API, all routes together
    rate_limit_default: str = "120/minute"
    # sign-in attempts (POST /auth/token) one client address may make: each is a guess
    login_rate_limit: str = "5/minute"
    # how much the app logs (DEBUG, INFO, WARNING, ERROR), and how: one JSON object per line
    # for machines (log services search them), or colored text for a person at a terminal
    # (TASKS_LOG_JSON=false)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_json: bool = True
    # a Redis every request needs, e.g. redis://redis:6379/0: GET /ready PINGs it when set
    redis_url: str | None = None
    # the built front end (`npm run build` writes frontend/dist): when set, the app serves
    # the page itself at / and the API under /api, one origin in production (app/spa.py);
    # unset, it serves the API alone, at / (Vite's dev server or nginx serve the page and
    # forward /api to it). It must exist: TASKS_FRONTEND_DIST=frontend/dist
    frontend_dist: DirectoryPath | None = None

    _secret_key_is_temporary: bool = PrivateAttr(default=False)

    @field_validator("database_url")
    @classmethod
    def _use_an_async_driver(cls, url: str) -> str:
        """postgres://... and sqlite://... get their async driver (asyncpg, aiosqlite)."""
        scheme, separator, rest = url.partition("://")
        if separator and scheme in ASYNC_DRIVERS:
            return f"{ASYNC_DRIVERS[scheme]}://{rest}"
        return url

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_case_level(cls, level: object) -> object:
        """TASKS_LOG_LEVEL=debug works as well as DEBUG."""
        return level.upper() if isinstance(level, str) else level

    @field_validator("rate_limit_default", "login_rate_limit")
    @classmethod
    def _readable_limit(cls, limit: str) -> str:
        """A limit is "<count>/<unit>" or "<count> per <n> <unit>": 5/minute, 1000 per day."""
        try:
            parse(limit)
        except ValueError:
            raise ValueError(
                f"{limit!r} is not a rate limit: write it like 5/minute, 120/minute or 1000 per day"
            ) from None
        return limit

    @field_validator("cors_origins")
    @classmethod
    def _exact_origins_only(cls, origins: list[str]) -> list[str]:
        """Each entry is one exact origin; "*" is refused, because the API allows credentials.

        With credentials allowed, Starlette's CORSMiddleware answers a "*" by echoing
        whatever Origin a request carries: every website could call the API as its users.
        """
        exact = []
        for entry in origins:
            origin = entry.strip().rstrip("/").lower()  # browsers send no trailing slash
            if "*" in origin:
                raise ValueError(
                    f"{entry!r} cannot be a CORS origin: the API allows credentials, and with "
                    "credentials a wildcard makes Starlette echo whatever origin asks, so every "
                    "website could call the API as its users. List each origin, like "
                    '"https://tasks.example.com".'
                )
            if origin == "null":
                raise ValueError(
                    '"null" cannot be a CORS origin: it is the origin of sandboxed frames and '
                    "local files, which any website can produce."
                )
            scheme, separator, rest = origin.partition("://")
            if scheme not in ("http", "https") or not separator or not rest or "/" in rest:
                raise ValueError(
                    f"{entry!r} is not an origin: write scheme://host[:port] without a path, "
                    'like "http://localhost:5173".'
                )
            exact.append(origin)
        return exact

    @model_validator(mode="after")
    def _secret_key_fits_the_environment(self) -> "Settings":
        """Production refuses a missing or weak key; elsewhere a missing one is invented.

        A weak key outside production is allowed (tests use short ones); the app warns at
        start-up (lifespan in app/main.py) when it runs on an invented one.
        """
        key = self.secret_key.get_secret_value() if self.secret_key is not None else None
        problem = secret_key_problem(key)
        if problem and self.environment == "production":
            raise ValueError(
                f"TASKS_SECRET_KEY {problem}, and production refuses to start with it: anyone who "
                "guesses the key can sign in as any user. Make one with: "
                'python -c "import secrets; print(secrets.token_urlsafe(32))"'
            )
        if key is None:
            self.secret_key = SecretStr(secrets.token_urlsafe(32))
            self._secret_key_is_temporary = True
        return self

    @property
    def secret_key_is_temporary(self) -> bool:
        """True when no key was configured and this process invented one (development only)."""
        return self._secret_key_is_temporary


# Keys that appear in tutorials, templates and .env.example files: the first ones tried.
PLACEHOLDER_KEYS = {
    "changethis", "change-me", "changeme", "change_me", "secret", "secret-key", "secret_key",
    "secretkey", "your-secret-key", "mysecret", "supersecret", "password", "development", "test",
}
MIN_KEY_LENGTH = 32  # HS256 signs with SHA-256: a key shorter than its 32 bytes weakens it
MIN_DISTINCT_CHARACTERS = 10


def secret_key_problem(key: str | None) -> str | None:
    """What is wrong with a signing key, in words, or None when it is strong enough."""
    if not key:
        return "is not set"
    if key.strip().lower() in PLACEHOLDER_KEYS or "changethis" in key.lower():
        return "is a well-known placeholder"
    if len(key) < MIN_KEY_LENGTH:
        return f"is {len(key)} characters long; it needs at least {MIN_KEY_LENGTH}"
    if len(set(key)) < MIN_DISTINCT_CHARACTERS:
        return "repeats too few different characters to be random"
    return None


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once: the environment does not change under a running app."""
    return Settings()
