"""Lesson 09: a Redis outage costs the API a moment, not a delay on every request.

While the storage of the counts does not answer, the limiter lets requests through
(failing open), and it must decide that quickly: a Redis that refuses connections (stopped)
or accepts them and never answers (hung: the check freezes a real redis-server with
SIGSTOP) may slow the first request, never all of them. Once Redis is back, requests are
counted again, without a restart.

The check first reads the limiter's timeout and pause (sensible values), then shortens
them for the outage, so that it proves the limiter keeps to them without waiting out a
production-sized pause.
"""

import asyncio
import contextlib
import importlib
import os
import signal
import time

import pytest

from shiplings import services
from shiplings.net import free_port
from support.outages import limits_of, shortened_limits

RATELIMIT = "app/core/ratelimit.py"
# the limiter's timeout and pause during the check's outage, on an idle machine
SHORT = {"STORAGE_TIMEOUT_SECONDS": 0.3, "OUTAGE_PAUSE_SECONDS": 1.0}
REQUESTS = 20
# above the REQUESTS // 2 counted before the outage and the few a frozen Redis counts once it
# thaws, so that no request meets it before Redis is back; after that, a few requests do
LIMIT = REQUESTS // 2 + 5
# in storage timeouts: what an outage may add to the requests after the first one (which waits
# out the timeout, and on a new app also warms it up), over the same requests with Redis up...
BUDGET_TIMEOUTS = 1.5
# ...and how long one request may take before it counts as hung
ANSWER_TIMEOUTS = 5.0
# in pauses: how long after Redis is back the requests must be counted again
RECOVERY_PAUSES = 4.0


def sensible(limits: dict[str, float]) -> str:
    """'' when the storage timeout is under 5 s and the pause at most 15 s (both above 0), else what to say."""
    timeout, pause = limits["STORAGE_TIMEOUT_SECONDS"], limits["OUTAGE_PAUSE_SECONDS"]
    if not 0 < timeout < 5:
        return (
            f"STORAGE_TIMEOUT_SECONDS in {RATELIMIT} is {timeout:g}: it should be above 0 and under 5 s (a "
            "second or less is usual). A Redis nearby answers in about a millisecond, so a call that takes "
            "longer is an outage; while the limiter waits for it, so does the request"
            + (" (and with 0 or less no call can succeed at all)." if timeout <= 0 else ".")
        )
    if not 0 < pause <= 15:
        return (
            f"OUTAGE_PAUSE_SECONDS in {RATELIMIT} is {pause:g}: it should be above 0 and at most 15 s (a few "
            "seconds is usual). "
            + ("With no pause the limiter asks the dead Redis again on every request, and every request "
               "waits out the timeout." if pause <= 0 else
               "After every blip of Redis, however short, no request would be counted for that long.")
        )
    return ""


async def timed_requests(http, count: int, patience: float) -> tuple[list[float], list[str]]:
    """Durations of `count` GET /users/me (no token: the limit is spent before the 401), and what went wrong."""
    durations, problems = [], []
    for _ in range(count):
        started = time.perf_counter()
        try:
            answer = await asyncio.wait_for(http.get("/users/me"), patience)
        except TimeoutError:
            problems.append(f"a request got no answer within {patience:.1f} s")
            break
        durations.append(time.perf_counter() - started)
        if answer.status_code >= 500:
            problems.append(f"a request answered {answer.status_code}")
    return durations, problems


def verdict(what: str, durations: list[float], problems: list[str], usual: float, limits: dict[str, float]) -> str:
    """'' when the requests after the first took at most BUDGET_TIMEOUTS timeouts more than `usual`; else why."""
    timeout, pause = limits["STORAGE_TIMEOUT_SECONDS"], limits["OUTAGE_PAUSE_SECONDS"]
    budget = BUDGET_TIMEOUTS * timeout
    spent = sum(durations[1:])
    if not problems and spent <= usual + budget:
        return ""
    slow = sum(1 for seconds in durations if seconds > timeout / 2)
    return (
        f"With the rate limit storage {what}, {len(durations)} requests to GET /users/me took "
        f"{spent:.1f} s after the first, {usual:.1f} s with Redis up ({slow} of them over {timeout / 2:.2f} s; "
        f"longest {max(durations, default=0):.2f} s)"
        + (f", and {'; '.join(problems)}" if problems else "")
        + f". For this outage the check shortened STORAGE_TIMEOUT_SECONDS to {timeout:.2g} s and "
        f"OUTAGE_PAUSE_SECONDS to {pause:.2g} s in {RATELIMIT}. An outage should cost about one request's "
        f"timeout: the first request may wait for it, the others should take {budget:.2f} s more at most. "
        "Every request that waits for a Redis that does not answer waits on behalf of the whole API. In "
        f"{RATELIMIT}, give the Redis client short timeouts (STORAGE_TIMEOUT_SECONDS) and no retries, and "
        "after a failure stop asking the storage for OUTAGE_PAUSE_SECONDS (the pause), serving requests "
        "uncounted meanwhile."
    )


@contextlib.contextmanager
def frozen(redis_url: str):
    """The Redis at redis_url, stopped with SIGSTOP: it accepts connections and never answers."""
    import redis

    pid = int(redis.Redis.from_url(redis_url).info("server")["process_id"])
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


@pytest.mark.timeout(90)
async def test_redis_outage_is_bounded(build_app, serve, monkeypatch):
    import redis

    ratelimit = importlib.import_module("app.core.ratelimit")  # the module build_app's apps use
    problem = sensible(limits_of(ratelimit, SHORT))
    assert not problem, problem
    limits = shortened_limits(ratelimit, SHORT, monkeypatch)  # before the apps are built: Limiter reads them
    patience = ANSWER_TIMEOUTS * limits["STORAGE_TIMEOUT_SECONDS"]
    settings = {"rate_limit_default": f"{LIMIT}/minute", "login_rate_limit": "1000/minute"}
    with services.redis() as redis_url:
        hung = build_app(rate_limit_storage_uri=redis_url, **settings)
        async with serve(hung) as connect:
            http = await connect()
            up, _ = await timed_requests(http, REQUESTS // 2, patience)  # counted, and the connection is open
            usual = 2 * sum(up)  # what REQUESTS requests take on this machine, with Redis up
            assert redis.Redis.from_url(redis_url).dbsize(), (
                f"Not tried yet: this check takes Redis away from a limiter that counts in it, and your app "
                f"counted none of its {len(up)} requests in the Redis that TASKS_RATE_LIMIT_STORAGE_URI named "
                "(it holds no key). Make the check 'Two server processes sharing one Redis let no more than "
                f"the limit through' pass first: build_limiter() and RateLimit in {RATELIMIT}."
            )

            # Redis hung: a real redis-server, frozen mid-service
            with frozen(redis_url):
                durations, problems = await timed_requests(http, REQUESTS, patience)
            message = verdict("hung (a redis-server frozen with SIGSTOP)", durations, problems, usual, limits)
            assert not message, message

            # Redis stopped: nothing listens on the port another app counts at
            refused = build_app(rate_limit_storage_uri=f"redis://127.0.0.1:{free_port()}/0", **settings)
            async with serve(refused) as connect_refused:
                durations, problems = await timed_requests(await connect_refused(), REQUESTS, patience)
            failed = [problem for problem in problems if "answered" in problem]
            assert not failed, (
                f"With nothing listening where TASKS_RATE_LIMIT_STORAGE_URI points (Redis stopped), GET "
                f"/users/me should still be served (401 without a token): {failed[0] if failed else ''}. "
                f"While the storage is down, the limiter should let requests through and log a warning ({RATELIMIT})."
            )
            message = verdict("stopped (connections refused)", durations, problems, usual, limits)
            assert not message, message

            # back: within a few pauses the requests are counted again, up to the 429
            allowed = RECOVERY_PAUSES * limits["OUTAGE_PAUSE_SECONDS"] + 2.0
            deadline = time.monotonic() + allowed
            statuses = []
            while time.monotonic() < deadline:
                statuses.append((await http.get("/users/me")).status_code)
                if statuses[-1] == 429:
                    break
                await asyncio.sleep(0.02)
    assert 429 in statuses, (
        f"After Redis answered again, {len(statuses)} more requests to GET /users/me over {allowed:.0f} s never "
        f"got the 429 of the {LIMIT}/minute limit (statuses {sorted(set(statuses))}): the limiter did not go "
        f"back to counting in Redis, although the check had shortened OUTAGE_PAUSE_SECONDS to "
        f"{limits['OUTAGE_PAUSE_SECONDS']:.2g} s. A pause after a failure should end by itself (a time to "
        "try again), not last until the app restarts."
    )
