"""Is the app alive, and can it serve? Two questions, two endpoints.

- GET /health (liveness): the process is up and its event loop answers. It checks
  nothing else, on purpose: an orchestrator restarts an app whose liveness fails, and
  restarting every instance because the database is down only adds to the outage.
- GET /ready (readiness): the app can serve requests right now, because what every
  request needs answers: a database round-trip, and a Redis PING when TASKS_REDIS_URL is
  set. A load balancer sends traffic only to ready instances. When a dependency is down,
  /ready answers 503 in the error envelope and names it, in the message and the details.

Each dependency gets READY_TIMEOUT_SECONDS to answer: a database that hangs must turn
/ready into a quick 503, not into a probe that hangs too. Only what EVERY request needs
belongs here: the holidays service does not (when it is down, /holidays
answers 504 and everything else still works).

Neither route is rate limited or signed in: machines call them (create_app()).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from fastapi import APIRouter, Request, status
from sqlalchemy import text

from app.core.errors import ErrorDetail, ErrorEnvelope, ServiceUnavailableError

READY_TIMEOUT_SECONDS = 2.0

Probe = Callable[[Request], Awaitable[None]]

router = APIRouter(tags=["health"])
log = structlog.get_logger(__name__)


@router.get("/health")
async def health() -> dict[str, str]:
    """Liveness: the process is up. Checks no dependency."""
    return {"status": "ok"}


async def database_answers(request: Request) -> None:
    """One round-trip to the database: SELECT 1 on a connection from the app's pool."""
    # TODO(10): borrow a connection from request.app.state.engine (`async with ...connect()
    # as connection`) and execute text("SELECT 1") on it (await it: the driver is async).
    raise NotImplementedError("database_answers() is not written yet")


async def redis_answers(request: Request) -> None:
    """One round-trip to Redis: PING."""
    # TODO(10): PING the client the lifespan put on request.app.state.redis (await it).
    raise NotImplementedError("redis_answers() is not written yet")


async def answers(name: str, probe: Probe, request: Request) -> bool:
    """True when the probe succeeds within READY_TIMEOUT_SECONDS; any failure is False."""
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS):
            await probe(request)
    except Exception as error:  # down, refused, timed out, wrong password: not ready
        # the error's type only: its text may hold a URL with a password in it
        log.warning("dependency not ready", dependency=name, error=type(error).__name__)
        return False
    return True


@router.get(
    "/ready",
    responses={status.HTTP_503_SERVICE_UNAVAILABLE: {"model": ErrorEnvelope, "description": "A dependency is down"}},
)
async def ready(request: Request) -> dict[str, Any]:
    """Readiness: the database answers, and Redis too when the app uses one."""
    probes: dict[str, Probe] = {"database": database_answers}
    # TODO(10): when request.app.state.redis is not None (TASKS_REDIS_URL is set), probe
    # Redis too: probes["redis"] = redis_answers. Then run every probe through answers()
    # (asyncio.gather runs them at once), and when some are down raise
    # ServiceUnavailableError with a message that names them, like "Not ready: database
    # unreachable.", and one ErrorDetail(field=name, message="unreachable") per name.
    # When all answer: return {"status": "ready", "checks": {name: "ok" for each probe}}.
    raise NotImplementedError("ready() is not written yet")
