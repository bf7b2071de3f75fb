"""Rate limits: how many requests one client may send, counted where every worker sees them.

Two limits, both from settings: TASKS_RATE_LIMIT_DEFAULT on every API route, and
TASKS_LOGIN_RATE_LIMIT on POST /auth/token besides, because every sign-in attempt is a
guess at a password. A limit counts per client address in the storage
TASKS_RATE_LIMIT_STORAGE_URI names: memory:// (one process) or the Redis that every
worker shares (redis://...), through the `limits` library's moving window.

While the storage does not answer, requests are served uncounted (failing open): a
storage call gives up after STORAGE_TIMEOUT_SECONDS, and after a failure the storage is
left alone for OUTAGE_PAUSE_SECONDS, so an outage costs one slow request per pause
instead of a delay on every request.
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from functools import lru_cache

import redis.asyncio as redis
from fastapi import HTTPException, Request, status
from limits import RateLimitItem, WindowStats, parse
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter as SyncMovingWindowRateLimiter
from redis.backoff import NoBackoff
from redis.retry import Retry

from app.core.config import Settings
from app.core.errors import ErrorEnvelope

logger = logging.getLogger(__name__)

STORAGE_TIMEOUT_SECONDS = 1.0  # a Redis nearby answers in about a millisecond, even on a busy machine
OUTAGE_PAUSE_SECONDS = 5.0

# For /docs: what a limited route may answer besides its own answers.
TOO_MANY_REQUESTS: dict[int | str, dict] = {
    status.HTTP_429_TOO_MANY_REQUESTS: {
        "model": ErrorEnvelope,
        "description": "Too many requests from this address; the Retry-After header says when to try again",
    },
}


def client_address(request: Request) -> str:
    """Whom a limit counts: the client's address, as the server saw the connection.

    Never a request header: X-Forwarded-For, X-Real-IP and Forwarded are written by the
    client. Behind a proxy the server sets request.client from the proxy's header, for
    connections from the proxy only (uvicorn --forwarded-allow-ips=<proxy address>).
    """
    return request.client.host if request.client else "unknown"


class InProcessWindow:
    """limits' synchronous moving window in this process's memory, with the asyncio API.

    Nothing in it waits, so it runs on the event loop directly (the asyncio memory storage
    of limits hands its clean-up to a thread on every request).
    """

    def __init__(self) -> None:
        self.window = SyncMovingWindowRateLimiter(MemoryStorage())

    async def hit(self, limit: RateLimitItem, *keys: str) -> bool:
        return self.window.hit(limit, *keys)

    async def get_window_stats(self, limit: RateLimitItem, *keys: str) -> WindowStats:
        return self.window.get_window_stats(limit, *keys)


class Limiter:
    """One app's counts: a moving window in the storage, and what to do while it is down."""

    def __init__(self, storage_uri: str) -> None:
        self.pool: redis.ConnectionPool | None = None
        self.window: MovingWindowRateLimiter | InProcessWindow
        if storage_uri.startswith(("redis://", "rediss://")):
            # no retries: a failed call fails at once, and the pause below decides when to try again
            self.pool = redis.ConnectionPool.from_url(
                storage_uri,
                socket_connect_timeout=STORAGE_TIMEOUT_SECONDS,
                socket_timeout=STORAGE_TIMEOUT_SECONDS,
                retry=Retry(NoBackoff(), 0),
            )
            shared = RedisStorage(f"async+{storage_uri}", implementation="redispy", connection_pool=self.pool)
            self.window = MovingWindowRateLimiter(shared)
        elif storage_uri.startswith("memory://"):
            self.window = InProcessWindow()
        else:
            raise ValueError(f"{storage_uri!r} is not a rate limit storage: use memory:// or redis://host:6379/0")
        self.paused_until = 0.0  # time.monotonic() before which the storage is not asked

    async def retry_after(self, limit: RateLimitItem, who: str, name: str) -> int | None:
        """Spend one request; None while within the limit, else the whole seconds to wait."""
        if time.monotonic() < self.paused_until:
            return None
        try:
            if await self.window.hit(limit, who, name):
                return None
            stats = await self.window.get_window_stats(limit, who, name)
        except Exception as error:  # unreachable, timed out, refused: serve uncounted for a while
            self.paused_until = time.monotonic() + OUTAGE_PAUSE_SECONDS
            logger.warning(
                "rate limit storage unreachable (%s); requests are not counted for the next %g s",
                type(error).__name__, OUTAGE_PAUSE_SECONDS,
            )
            return None
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def aclose(self) -> None:
        """Close the connections to Redis (the app's lifespan calls this when it stops)."""
        if self.pool is not None:
            await self.pool.disconnect()


def build_limiter(settings: Settings) -> Limiter:
    """The app's limiter: it counts in the storage the settings name."""
    storage = settings.rate_limit_storage_uri
    if storage.startswith("memory://") and settings.environment == "production":
        warnings.warn(
            "TASKS_RATE_LIMIT_STORAGE_URI is memory://: each worker process counts on its own, "
            "so with N workers a client gets N times every limit. Point it at the Redis all "
            "workers share (redis://host:6379/0).",
            stacklevel=2,
        )
    return Limiter(storage)


@lru_cache
def parse_limit(text: str) -> RateLimitItem:
    """Parse "5/minute" into the limits library's RateLimitItem (Settings made sure it parses)."""
    return parse(text)


class RateLimit:
    """A dependency that spends one request of the limit a setting holds, per client.

    Past the limit it raises a 429 with a Retry-After header; as a dependency it runs
    before the route, so a refused sign-in attempt never reaches the password check.
    """

    def __init__(self, setting: str) -> None:
        self.setting = setting  # the Settings field that holds the limit, e.g. "login_rate_limit"

    async def __call__(self, request: Request) -> None:
        limiter: Limiter = request.app.state.limiter
        limit = parse_limit(getattr(request.app.state.settings, self.setting))
        retry_after = await limiter.retry_after(limit, client_address(request), self.setting)
        if retry_after is None:
            return
        raise HTTPException(
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            detail=f"Too many requests: at most {limit} from one address. Retry-After says when to try again.",
            headers={"Retry-After": str(retry_after)},
        )


default_limit = RateLimit("rate_limit_default")
login_limit = RateLimit("login_rate_limit")
