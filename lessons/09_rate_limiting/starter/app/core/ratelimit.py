"""Rate limits: how many requests one client may send, counted where every worker sees them.

Two limits, both from settings:

- TASKS_RATE_LIMIT_DEFAULT (120/minute) on every API route, so that one client (a script
  gone wrong, a scraper) cannot take the service for itself;
- TASKS_LOGIN_RATE_LIMIT (5/minute) on POST /auth/token besides, because every sign-in
  attempt is a guess at a password. Unlimited, a script guesses as fast as the server
  can hash.

A limit counts per client address, in the storage TASKS_RATE_LIMIT_STORAGE_URI names.
memory:// keeps the counts in the memory of one process: right for one process, wrong
for several. Under `--workers 4` every worker counts alone and a client gets four times
the limit, so production counts in one Redis that all workers share (redis://...).

The limits are FastAPI dependencies (RateLimit below): create_app() gives every router
the default limit, and the sign-in route asks for the login limit as well. Counting
is done by slowapi's Limiter, one per app (app.state.limiter), built from the app's
settings. slowapi's own decorator and middleware do not fit this app: the decorator
needs a Limiter made at import time, before create_app() has its settings, and the
middleware (slowapi 0.1.10) does not find the routes of included routers on FastAPI
>= 0.137, so it lets their requests through uncounted (laurentS/slowapi#281).
"""

from __future__ import annotations

import logging
import math  # noqa: F401  (RateLimit.__call__ needs math, time and HTTPException)
import time  # noqa: F401
from functools import lru_cache

from fastapi import HTTPException, Request, status  # noqa: F401
from limits import RateLimitItem, parse
from slowapi import Limiter

from app.core.config import Settings
from app.core.errors import ErrorEnvelope

logger = logging.getLogger(__name__)


# For /docs: what a limited route may answer besides its own answers.
TOO_MANY_REQUESTS: dict[int | str, dict] = {
    status.HTTP_429_TOO_MANY_REQUESTS: {
        "model": ErrorEnvelope,
        "description": "Too many requests from this address; the Retry-After header says when to try again",
    },
}


def client_address(request: Request) -> str:
    """Whom a limit counts: the client's address."""
    # TODO(09): copied from a blog post, "so that it works behind a proxy". Every header
    # below is written by the client, and a client that writes a new address into it for
    # every attempt gets a fresh count every time. Return the address of the connection
    # the server accepted, request.client.host ("unknown" when there is none), and read
    # no header: behind a proxy, the server sets request.client itself (see the notebook).
    for header in ("x-forwarded-for", "x-real-ip"):
        if value := request.headers.get(header):
            return value.split(",")[0].strip()
    return request.client.host if request.client else "unknown"


def build_limiter(settings: Settings) -> Limiter:
    """The app's limiter: it counts in the storage the settings name."""
    # TODO(09): count where settings.rate_limit_storage_uri says (memory:// or redis://...):
    # give it to the Limiter as storage_uri=. Without it, slowapi counts in memory://, in
    # each process on its own.
    return Limiter(
        key_func=client_address,
        # "5/minute" as a person reads it: at most 5 in any 60 seconds. (A fixed window
        # lets 5 through just before the minute turns and 5 more just after it.)
        strategy="moving-window",
    )


@lru_cache
def parse_limit(text: str) -> RateLimitItem:
    """Parse "5/minute" into the limits library's RateLimitItem (Settings made sure it parses)."""
    return parse(text)


class RateLimit:
    """A dependency that spends one request of the limit a setting holds, per client:

        router.post("/auth/token", dependencies=[Depends(login_limit)])

    Past the limit it raises an HTTPException 429, which the handler of app/core/errors.py
    answers in the error envelope, with a Retry-After header that says how many seconds
    to wait. As a dependency it runs before the route, so a refused sign-in attempt never
    reaches the password check (no hashing work, and no hint whether the guess was right).

    A plain `def`: FastAPI runs it in its thread pool, so a round trip to Redis (slowapi's
    storage is synchronous) never blocks the event loop.
    """

    def __init__(self, setting: str) -> None:
        self.setting = setting  # the Settings field that holds the limit, e.g. "login_rate_limit"

    def __call__(self, request: Request) -> None:
        # TODO(09): spend one request of this limit for this client, and refuse the request
        # past the limit. What you need:
        #   limiter: Limiter = request.app.state.limiter   (this app's, from build_limiter)
        #   limit = parse_limit(getattr(request.app.state.settings, self.setting))
        #   who = client_address(request)
        #   limiter.limiter.hit(limit, who, self.setting)  -> False once the limit is used up
        #   limiter.limiter.get_window_stats(limit, who, self.setting)
        #       -> (the Unix time at which the window resets, requests remaining)
        # Past the limit, raise an HTTPException with status 429 and a Retry-After header:
        # the whole seconds to wait, at least 1. The handler of lesson 03 puts it in the
        # envelope. If the storage (Redis) is down, log a warning and let the request through.
        return


default_limit = RateLimit("rate_limit_default")
login_limit = RateLimit("login_rate_limit")
