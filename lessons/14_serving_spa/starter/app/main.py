"""The Tasks API. Run it with:  uvicorn app.main:app --reload

create_app() builds a complete, independent app from a Settings object: its own
configuration, its routes, the handlers that answer every error in one envelope
(app/core/errors.py), and a lifespan that owns what must live exactly as long as the
app: the database engine and its connection pool (app/core/db.py), and the one HTTP
client (with its own connection pool) for the services the app calls. Around the routes
sits the CORS middleware, which tells browsers which web pages (origins) may call the API;
every router gets the default rate limit, and the sign-in route a stricter one besides
(app/core/ratelimit.py), counted by the app's own limiter. Outermost sits the request
context (app/core/logging.py): a request id for every request, and one JSON log line;
the Prometheus instrumentation counts and times every request for GET /metrics, and
GET /health and GET /ready (app/api/routes/health.py) tell orchestrators and load
balancers whether the app is alive and whether it can serve.
Tests call it to get a fresh app each and can pass the settings they need (another
database, say); servers import the module-level `app` below, built from the environment.
With TASKS_FRONTEND_DIST naming the built front end (production from one origin), it is
the whole site of app/spa.py: the page at /, this API mounted under /api.

Nothing connects to the database when this module is imported: the engine is made when
the server starts the app, and its connections are closed when the server stops it.
The tables come from migrations, a separate step: `alembic upgrade head`.
"""

import os
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import redis.asyncio as redis
from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from prometheus_client import CollectorRegistry
from prometheus_fastapi_instrumentator import Instrumentator

from app.api.routes import auth, health, holidays, tasks
from app.core.config import Settings, get_settings
from app.core.db import make_engine, make_sessionmaker
from app.core.errors import register_error_handlers
from app.core.logging import REQUEST_ID_HEADER, RequestContextMiddleware, configure_logging
from app.core.ratelimit import TOO_MANY_REQUESTS, build_limiter, default_limit
from app.spa import serve_frontend

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
    # Redis, when the app depends on one: GET /ready PINGs it. Connecting is lazy, and a
    # Redis that does not answer fails fast instead of holding the probe.
    app.state.redis = (
        redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=2) if settings.redis_url else None
    )
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
        if app.state.redis is not None:
            await app.state.redis.aclose()
        await app.state.limiter.aclose()
        await engine.dispose()  # close the pooled connections


def create_app(settings: Settings | None = None) -> FastAPI:
    """A new Tasks app, configured by `settings` (default: from the environment)."""
    settings = settings or get_settings()
    app = FastAPI(title=settings.app_name, lifespan=lifespan)
    app.state.settings = settings
    # One limiter per app, like the engine: its counts are this app's, in the storage its
    # settings name (memory:// here, the shared Redis in production).
    app.state.limiter = build_limiter(settings)
    # Every router that serves clients spends from the default limit. Routes that only
    # machines call, the health checks, are included without it.
    app.include_router(health.router)
    limited = [Depends(default_limit)]
    app.include_router(auth.router, dependencies=limited, responses=TOO_MANY_REQUESTS)
    app.include_router(tasks.router, dependencies=limited, responses=TOO_MANY_REQUESTS)
    app.include_router(holidays.router, dependencies=limited, responses=TOO_MANY_REQUESTS)
    register_error_handlers(app)
    # Browsers let a page on another origin (the Vue dev server on localhost:5173, the
    # SPA's production address) read the API's answers only when they name that origin.
    # Exact origins from the settings, never "*": credentials are allowed, and Starlette
    # answers "*" with credentials by echoing any origin (Settings refuses it).
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=True,
        allow_methods=CORS_METHODS,
        allow_headers=CORS_HEADERS,
        expose_headers=[REQUEST_ID_HEADER],  # the SPA may show it next to an error
    )
    instrument(app)
    # Added last, so it is the outermost middleware: every response, whoever answers it
    # (a route, CORS, the metrics), gets a request id and one access line.
    app.add_middleware(RequestContextMiddleware)
    if settings.frontend_dist is not None:
        # production from one origin: the built page at /, this API under /api (app/spa.py)
        return serve_frontend(app, settings.frontend_dist)
    return app


def instrument(app: FastAPI) -> None:
    """Count and time every request, and serve the numbers on GET /metrics for Prometheus.

    Each app gets its own registry: on prometheus_client's one default registry a second
    app in the same process (tests build many) would find the metrics' names taken, and
    the instrumentator then silently counts nothing for it.

    Under several worker processes each counts on its own. With the environment variable
    PROMETHEUS_MULTIPROC_DIR naming a folder, every worker writes its counts to files
    there and /metrics adds up all the workers' files (prometheus_client's multiprocess
    mode). The server must empty that folder when it starts, before any worker runs:
    files left by an earlier run would add to the new counts.
    """
    multiprocess_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if multiprocess_dir:
        os.makedirs(multiprocess_dir, exist_ok=True)
    instrumentator = Instrumentator(registry=CollectorRegistry(), excluded_handlers=["/metrics"])
    instrumentator.instrument(app).expose(app, include_in_schema=False)



# Logging belongs to the process, not to one app: configured once, where a server imports
# the app (tests that build many apps configure it their own way).
configure_logging(get_settings().log_level, get_settings().log_json)
app = create_app()
