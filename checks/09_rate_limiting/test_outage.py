"""Lesson 09: a Redis outage costs the API a moment, not a delay on every request.

While the storage of the counts does not answer, the limiter lets requests through
(failing open), and it must decide that quickly: a Redis that refuses connections (stopped)
or accepts them and never answers (hung: the check freezes a real redis-server with
SIGSTOP) may slow the first request, never all of them. Once Redis is back, requests are
counted again, without a restart.
"""

import asyncio
import contextlib
import os
import signal
import time

import pytest

from shiplings import services
from shiplings.net import free_port

REQUESTS = 20
# what an outage may add to the requests after the first one (which waits out the timeout,
# and on a new app also warms it up), over the same requests with Redis up
BUDGET_SECONDS = 1.5
ANSWER_SECONDS = 5.0  # one request that takes longer than this is a hang
LIMIT = 30


async def timed_requests(http, count: int = REQUESTS) -> tuple[list[float], list[str]]:
    """Durations of `count` GET /users/me (no token: the limit is spent before the 401), and what went wrong."""
    durations, problems = [], []
    for _ in range(count):
        started = time.perf_counter()
        try:
            answer = await asyncio.wait_for(http.get("/users/me"), ANSWER_SECONDS)
        except TimeoutError:
            problems.append(f"a request got no answer within {ANSWER_SECONDS:g} s")
            break
        durations.append(time.perf_counter() - started)
        if answer.status_code >= 500:
            problems.append(f"a request answered {answer.status_code}")
    return durations, problems


def verdict(what: str, durations: list[float], problems: list[str], usual: float) -> str:
    """'' when the requests after the first took at most BUDGET_SECONDS more than `usual`, else what to say."""
    spent = sum(durations[1:])
    if not problems and spent <= usual + BUDGET_SECONDS:
        return ""
    slow = sum(1 for seconds in durations if seconds > 0.2)
    return (
        f"With the rate limit storage {what}, {len(durations)} requests to GET /users/me took "
        f"{spent:.1f} s after the first, {usual:.1f} s with Redis up ({slow} of them over 0.2 s; longest "
        f"{max(durations, default=0):.2f} s)"
        + (f", and {'; '.join(problems)}" if problems else "")
        + f". An outage should cost about one request's timeout: the first request may wait for it, the "
        f"others should take {BUDGET_SECONDS:g} s more at most. Every request that waits for a Redis that "
        "does not answer waits on behalf of the "
        "whole API. In app/core/ratelimit.py, give the Redis client short timeouts and no retries, "
        "and after a failure stop asking the storage for a few seconds (the pause), serving requests "
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
async def test_redis_outage_is_bounded(build_app, serve):
    settings = {"rate_limit_default": f"{LIMIT}/minute", "login_rate_limit": "1000/minute"}
    with services.redis() as redis_url:
        hung = build_app(rate_limit_storage_uri=redis_url, **settings)
        async with serve(hung) as connect:
            http = await connect()
            up, _ = await timed_requests(http, REQUESTS // 2)  # counted, and the connection is open
            usual = 2 * sum(up)  # what REQUESTS requests take on this machine, with Redis up

            # Redis hung: a real redis-server, frozen mid-service
            with frozen(redis_url):
                durations, problems = await timed_requests(http)
            message = verdict("hung (a redis-server frozen with SIGSTOP)", durations, problems, usual)
            assert not message, message

            # Redis stopped: nothing listens on the port another app counts at
            refused = build_app(rate_limit_storage_uri=f"redis://127.0.0.1:{free_port()}/0", **settings)
            async with serve(refused) as connect_refused:
                durations, problems = await timed_requests(await connect_refused())
            failed = [problem for problem in problems if "answered" in problem]
            assert not failed, (
                f"With nothing listening where TASKS_RATE_LIMIT_STORAGE_URI points (Redis stopped), GET "
                f"/users/me should still be served (401 without a token): {failed[0] if failed else ''}. "
                "While the storage is down, the limiter should let requests through and log a warning "
                "(app/core/ratelimit.py)."
            )
            message = verdict("stopped (connections refused)", durations, problems, usual)
            assert not message, message

            # back: within a few pauses the requests are counted again, up to the 429
            deadline = time.monotonic() + 20
            statuses = []
            while time.monotonic() < deadline:
                statuses.append((await http.get("/users/me")).status_code)
                if statuses[-1] == 429:
                    break
                await asyncio.sleep(0.1)
    assert 429 in statuses, (
        f"After Redis answered again, {len(statuses)} more requests to GET /users/me over 20 s never got "
        f"the 429 of the {LIMIT}/minute limit (statuses {sorted(set(statuses))}): the limiter did not go "
        "back to counting in Redis. A pause after a failure should end by itself (a time to try again), "
        "not last until the app restarts."
    )
