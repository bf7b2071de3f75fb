"""Lesson 09: the limit holds across worker processes, because they all count in one Redis.

Production runs several processes (lesson 11: `--workers`, or several containers behind
the proxy). Two real servers of the workspace's app, sharing one real Redis, stand in for
them here; the check alternates the login attempts between the two, as a load balancer does.
"""

import concurrent.futures
import contextlib

import httpx
import pytest

from shiplings import services

LIMIT = 4
ATTEMPTS = 2 * LIMIT + 2
COMMAND = ["uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", "{port}", "--no-access-log"]


@contextlib.contextmanager
def two_servers(workspace, env):
    """Two uvicorn processes of the workspace's app, started side by side."""
    with contextlib.ExitStack() as stack:
        starts = [services.app_server(COMMAND, cwd=workspace, env=env) for _ in range(2)]
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            futures = [pool.submit(start.__enter__) for start in starts]
        servers, failure = [], None
        for start, future in zip(starts, futures, strict=True):
            try:
                servers.append(future.result())
                stack.push(start.__exit__)  # stopped when the block ends, whatever happens
            except (RuntimeError, TimeoutError) as error:
                failure = failure or error
        if failure is not None:
            raise AssertionError(
                "The check starts your app as a real server, twice, with TASKS_RATE_LIMIT_STORAGE_URI "
                f"pointing at a Redis, and a server did not come up: {failure}"
            )
        yield servers


@pytest.mark.timeout(60)
def test_limit_holds_across_workers(app_env, redis_url, workspace):
    import redis

    redis.Redis.from_url(redis_url).flushdb()  # no counts left over from another check
    env = {
        "TASKS_RATE_LIMIT_STORAGE_URI": redis_url,
        "TASKS_LOGIN_RATE_LIMIT": f"{LIMIT}/minute",
        "TASKS_RATE_LIMIT_DEFAULT": "1000/minute",
    }
    with two_servers(workspace, env) as servers:
        answers = []
        for number in range(ATTEMPTS):
            server = servers[number % 2]
            form = {"username": "someone@example.com", "password": f"guess-{number}"}
            answers.append(httpx.post(server.url + "/auth/token", data=form, timeout=10).status_code)
        logs = "\n".join(server.output()[-800:] for server in servers)
    through = sum(1 for status in answers if status != 429)
    if through == ATTEMPTS:
        why = (
            "No attempt was refused: the login limit is not in place yet. Make the check "
            '"The limit+1th sign-in attempt from one client answers 429 ..." pass first.'
        )
    elif through >= 2 * LIMIT:
        why = (
            f"That is twice the limit: each process counted only the attempts it served itself, "
            f"{LIMIT} each, as memory:// storage does (the counts live in each process's memory). "
            "Look at the storage of the Limiter that build_limiter() in app/core/ratelimit.py makes "
            "(settings.rate_limit_storage_uri): every worker should count in the Redis the settings name."
        )
    else:
        why = (
            "Both processes should count in the Redis that TASKS_RATE_LIMIT_STORAGE_URI names. Look at "
            "build_limiter() in app/core/ratelimit.py."
        )
    assert through <= LIMIT, (
        f"Two server processes of your app shared one Redis (TASKS_RATE_LIMIT_STORAGE_URI={redis_url}) "
        f"with TASKS_LOGIN_RATE_LIMIT={LIMIT}/minute, and {ATTEMPTS} login attempts from one client, "
        f"alternating between them, got {through} answers that were not 429 (statuses {answers}). "
        f"At most {LIMIT} should get through. {why}" + (f"\nThe servers printed:\n{logs}" if 500 in answers else "")
    )
