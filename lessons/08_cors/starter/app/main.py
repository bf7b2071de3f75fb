"""The Tasks API. Run it with:  uvicorn app.main:app --reload

create_app() builds a complete, independent app from a Settings object: its own
configuration, its routes, the handlers that answer every error in one envelope
(app/core/errors.py), and a lifespan that owns what must live exactly as long as the
app: the database engine and its connection pool (app/core/db.py), and the one HTTP
client (with its own connection pool) for the services the app calls. Around the routes
sits the CORS middleware, which tells browsers which web pages (origins) may call the API.
Tests call it to get a fresh app each and can pass the settings they need (another
database, say); servers import the module-level `app` below, built from the environment.

Nothing connects to the database when this module is imported: the engine is made when
the server starts the app, and its connections are closed when the server stops it.
The tables come from migrations, a separate step: `alembic upgrade head`.
"""

import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from app.api.routes import auth, holidays, tasks
from app.core.config import Settings, get_settings
from app.core.db import make_engine, make_sessionmaker
from app.core.errors import register_error_handlers

# What the Vue app sends across origins: these methods, and these headers besides the
# plain ones every page may send (Accept, Accept-Language, Content-Language).
CORS_METHODS = ["GET", "POST", "PUT", "DELETE"]
CORS_HEADERS = ["Authorization", "Content-Type"]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Runs once around the app's whole life: before the first request, after the last."""
    settings: Settings = app.state.settings
    if settings.secret_key_is_temporary:
        warnings.warn(
            "TASKS_SECRET_KEY is not set: this process signs tokens with a random key, so every "
            "restart signs everybody out. Set TASKS_SECRET_KEY in .env to keep them signed in.",
            stacklevel=1,
        )
    engine = make_engine(settings.database_url)
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    try:
        # One client for every request: its pool keeps connections open between requests
        # (no new TCP and TLS handshake each time), and its timeouts are set here, once.
        # `async with` closes the pool when the app stops.
        async with httpx.AsyncClient(
            base_url=settings.holidays_api_url,
            timeout=httpx.Timeout(settings.upstream_timeout_seconds),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
            headers={"User-Agent": settings.app_name},
        ) as http_client:
            app.state.http_client = http_client
            yield
    finally:
        await engine.dispose()  # close the pooled connections


def create_app(settings: Settings | None = None) -> FastAPI:
    """A new Tasks app, configured by `settings` (default: from the environment)."""
    settings = settings or get_settings()
    app = FastAPI(title=settings.app_name, lifespan=lifespan)
    app.state.settings = settings
    app.include_router(auth.router)
    app.include_router(tasks.router)
    app.include_router(holidays.router)
    register_error_handlers(app)
    # TODO(08): a teammate pasted this to make the Vue dev server's first request work. It
    # lets every website read the API's answers, and the SPA's requests with credentials
    # still fail. Build CORSMiddleware from `settings` instead: allow_origins from
    # settings.cors_origins, allow_credentials=True, allow_methods=CORS_METHODS and
    # allow_headers=CORS_HEADERS.
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"])
    return app


app = create_app()
