"""Lesson 10: /health says the process is up; /ready says whether it can serve, and why not.

The database outage under /ready is real (a PostgreSQL frozen, then stopped), but the check
does not wait out the learner's READY_TIMEOUT_SECONDS: it reads it (a probe limit must be
short), then shortens it for the outage, so that what it proves is that ready() keeps to it.
(This module's name makes pytest run it after the log and metrics checks, which overlap
the start of the PostgreSQL it freezes: see conftest.py.)
"""

from __future__ import annotations

import asyncio
import importlib
import json
import time

import pytest

from shiplings.testing import free_port, running_client, show
from support.apps import app_builder
from support.envelope import read_envelope
from support.outages import frozen_postgres, limits_of, shortened_close_grace, shortened_limits

HEALTH = "app/api/routes/health.py"
MOST_SECONDS = 5.0  # READY_TIMEOUT_SECONDS must be under this: orchestrators' probes give up after a few seconds
# the readiness limit during the check's outage, on an idle machine (the database's own limits,
# lesson 04's, stay as the learner set them: a ready() without a limit of its own waits for those)
SHORT = {"READY_TIMEOUT_SECONDS": 0.5}
# what /ready may take beyond READY_TIMEOUT_SECONDS and the grace SQLAlchemy gives the connection
# the timeout cut short to close (shortened too: shortened_close_grace): the app's own work
APP_WORK = 1.5


def build(**settings):
    """A new app from the workspace's create_app(), with these settings."""
    return app_builder()(**settings)


def names(response, dependency: str) -> bool:
    """The error envelope of a 503 that names the dependency (in its message or details)."""
    error, _ = read_envelope(response)
    return error is not None and dependency in json.dumps(error).lower()


def probe_limit_is_short(seconds: float) -> str:
    """'' when READY_TIMEOUT_SECONDS is above 0 and under MOST_SECONDS, else what to say."""
    if 0 < seconds < MOST_SECONDS:
        return ""
    return (
        f"READY_TIMEOUT_SECONDS in {HEALTH} is {seconds:g}: it should be above 0 and under {MOST_SECONDS:g} s "
        "(a second or two is usual). "
        + ("With 0 or less no dependency can answer in time, and /ready never says ready."
           if seconds <= 0 else
           "An orchestrator's readiness probe gives up after a few seconds (Kubernetes: 1 s by default), "
           "so a /ready that waits longer for a database that hangs times out instead of answering a "
           "quick 503 that names the database.")
    )


@pytest.mark.timeout(60)
async def test_health_and_ready(app_env, outage_postgres, monkeypatch):
    builder = app_builder()
    health_routes = importlib.import_module("app.api.routes.health")  # the module the builder's apps use
    problem = probe_limit_is_short(limits_of(health_routes, SHORT)["READY_TIMEOUT_SECONDS"])
    assert not problem, problem
    ready_timeout = shortened_limits(health_routes, SHORT, monkeypatch)["READY_TIMEOUT_SECONDS"]
    answer_within = ready_timeout + shortened_close_grace(monkeypatch) + APP_WORK
    database, postgres = outage_postgres.take()  # this check's own PostgreSQL: it freezes it, then stops it
    database_running = True
    try:
        app = builder(database_url=postgres.url(), redis_url=None)
        async with running_client(app) as http:
            health = await http.get("/health")
            ready = await http.get("/ready")
            assert health.status_code == 200, (
                f"GET /health should answer 200 while the app runs; your app answered {show(health)}. "
                f"Look at {HEALTH}."
            )
            assert ready.status_code == 200, (
                "GET /ready with the database up (a real PostgreSQL, migrated) should answer 200; "
                f"your app answered {show(ready)}. ready() in {HEALTH} should run a query "
                "(SELECT 1) on app.state.engine, and answer 200 when it works."
            )

            with frozen_postgres(postgres.port) as frozen:
                assert frozen, "The check could not find the PostgreSQL server it started (to freeze it)."
                started = time.perf_counter()
                try:
                    hung = await asyncio.wait_for(http.get("/ready"), 2 * answer_within)
                except TimeoutError:
                    hung = None
                hung_for = time.perf_counter() - started
            assert hung is not None and hung_for < answer_within, (
                "With the database hanging (the check froze PostgreSQL: it accepts connections and "
                "answers no query, as an overloaded or half-dead server does), GET /ready took "
                + (f"{hung_for:.1f} s to answer {show(hung)}" if hung is not None
                   else f"longer than {2 * answer_within:.1f} s and never answered")
                + f", with READY_TIMEOUT_SECONDS shortened to {ready_timeout:.2g} s for this outage (so as "
                f"not to wait out yours): it should answer within {answer_within:.1f} s. A probe that hangs "
                "makes the orchestrator's probe time out instead of reading a quick 503. Look at how long "
                f"ready() in {HEALTH} waits for each dependency: at most READY_TIMEOUT_SECONDS, and a "
                "timeout counts as not ready."
            )
            assert hung.status_code == 503 and names(hung, "database"), (
                "With the database hanging, GET /ready should answer 503 naming the database once "
                f"READY_TIMEOUT_SECONDS have passed; your app answered {show(hung)}. In {HEALTH}, a "
                "timeout is a failure like any other."
            )

            database.__exit__(None, None, None)  # PostgreSQL stops: the database is down from here on
            database_running = False
            started = time.perf_counter()
            down = await http.get("/ready")
            waited = time.perf_counter() - started
            alive = await http.get("/health")
        assert down.status_code == 503 and names(down, "database"), (
            "With the database stopped, GET /ready should answer 503 in the error envelope and say "
            f"that the database is the problem (in the message or the details); your app answered "
            f"{show(down)}. ready() in {HEALTH} should catch the failed query and raise "
            "ServiceUnavailableError naming the dependency."
        )
        assert waited < answer_within, (
            f"With the database stopped, GET /ready took {waited:.1f} s, with READY_TIMEOUT_SECONDS "
            f"shortened to {ready_timeout:.2g} s; a probe must answer quickly (look at how long ready() in "
            f"{HEALTH} lets each dependency take: READY_TIMEOUT_SECONDS)."
        )
        assert alive.status_code == 200, (
            "GET /health is liveness: it should keep answering 200 while the database is down (an "
            "orchestrator restarts an app whose liveness fails, and restarts do not bring a database "
            f"back); your app answered {show(alive)}. health() in {HEALTH} should check nothing."
        )
    finally:
        if database_running:
            database.__exit__(None, None, None)


@pytest.mark.timeout(30)
async def test_ready_checks_redis(app_env, redis_url):
    async with running_client(build(redis_url=redis_url)) as http:
        up = await http.get("/ready")
    assert up.status_code == 200, (
        f"GET /ready with the database and Redis (TASKS_REDIS_URL) up should answer 200; your app "
        f"answered {show(up)}. Look at ready() in {HEALTH}."
    )
    nowhere = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    async with running_client(build(redis_url=nowhere)) as http:
        started = time.perf_counter()
        down = await http.get("/ready")
        waited = time.perf_counter() - started
    assert down.status_code == 503 and names(down, "redis"), (
        "With TASKS_REDIS_URL set and Redis down, GET /ready should answer 503 in the error envelope "
        f"and say that Redis is the problem; your app answered {show(down)}. When settings.redis_url "
        f"is set, ready() in {HEALTH} should also PING Redis (app.state.redis, made in the lifespan)."
    )
    assert waited < 5, f"With Redis down, GET /ready took {waited:.1f} s; it should answer within a few seconds."
