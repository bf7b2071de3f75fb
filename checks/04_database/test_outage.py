"""Lesson 04: a database outage is the database's problem, not every request's.

A hung PostgreSQL must not hang the app (every wait on it has a limit), and a request the
outage fails answers 503 with Retry-After in the envelope, not a 500. When the database
is back, so is the app, without a restart. A failed statement keeps its values (user
data) out of the error, and so out of every log line made from it.

The outage is real (a PostgreSQL frozen, then stopped), but the check does not wait out
the learner's limits: it first reads them (each above 0, together at most MOST_SECONDS),
then shortens them to a fraction of a second for the outage, so that what it proves is
that the app keeps to them.
"""

from __future__ import annotations

import asyncio
import importlib
import secrets
import time

import pytest
from sqlalchemy import text

from shiplings.testing import import_fresh, show
from support.envelope import read_envelope
from support.outages import frozen_postgres, limits_of, shortened_limits

DB = "app/core/db.py"
LIMITS = ("CONNECT_TIMEOUT_SECONDS", "STATEMENT_TIMEOUT_SECONDS", "POOL_TIMEOUT_SECONDS")
MOST_SECONDS = 12.0  # what the three may add up to: the longest a request may wait for the database
# the limits during the check's outage, on an idle machine (shortened_limits stretches them on a busy one)
SHORT = {"CONNECT_TIMEOUT_SECONDS": 0.5, "STATEMENT_TIMEOUT_SECONDS": 0.5, "POOL_TIMEOUT_SECONDS": 0.5}
CONCURRENT = 6


def limits_bound_a_request(limits: dict[str, float]) -> str:
    """'' when each limit is above 0 and together they are at most MOST_SECONDS, else what to say."""
    for name, seconds in limits.items():
        if seconds <= 0:
            return (
                f"{name} in {DB} is {seconds:g}: each limit on a wait for the database should be a number "
                "of seconds above 0 (with 0 or less no wait can succeed, and asyncpg refuses a "
                "command_timeout of 0). A few seconds each is usual."
            )
    total = sum(limits.values())
    if total > MOST_SECONDS:
        each = ", ".join(f"{name} = {seconds:g}" for name, seconds in limits.items())
        return (
            f"The limits in {DB} ({each}) add up to {total:g} s: that long a request can wait for a database "
            f"that hangs, holding a worker and a connection meanwhile. Keep them together at most "
            f"{MOST_SECONDS:g} s (a healthy database connects and answers in milliseconds; a few seconds "
            "each is plenty)."
        )
    return ""


async def timed_get(http, path: str, patience: float) -> tuple[object, float]:
    """(response or None when it took longer than `patience` s, seconds taken)."""
    started = time.perf_counter()
    try:
        response = await asyncio.wait_for(http.get(path), patience)
    except TimeoutError:
        response = None
    return response, time.perf_counter() - started


def is_outage_answer(response) -> bool:
    error, _ = read_envelope(response) if response is not None else (None, "")
    return (
        response.status_code == 503
        and error is not None
        and error["code"] == "service_unavailable"
        and response.headers.get("retry-after", "").isdigit()
    )


@pytest.mark.timeout(120)
async def test_database_outage_is_503(app_env, build_app, talk_to, outage_postgres, monkeypatch):
    db = importlib.import_module("app.core.db")  # the module build_app's app uses
    problem = limits_bound_a_request(limits_of(db, LIMITS))
    assert not problem, problem
    limits = shortened_limits(db, SHORT, monkeypatch)  # read by make_engine(), when the app starts
    shortened = ", ".join(f"{name} {seconds:.2g} s" for name, seconds in limits.items())
    # a request waits about the three limits together at most (the statement limit counts twice: for the
    # pooled connection's ping, then while SQLAlchemy closes it); half again, and a second for the app
    answer_within = 1.5 * sum(limits.values()) + 1.0
    database, postgres = outage_postgres.take()  # this check's own PostgreSQL: it freezes it, then stops it
    running = True
    try:
        async with talk_to(build_app(postgres.url())) as http:
            before = await http.get("/tasks")
            assert before.status_code == 200, (
                "GET /tasks on a migrated PostgreSQL should answer 200 before the check breaks "
                f"anything (with the limits in {DB} shortened to {shortened}: plenty for a database on "
                f"the same machine); your app answered {show(before)}."
            )
            with frozen_postgres(postgres.port) as frozen:
                assert frozen, "The check could not find the PostgreSQL server it started (to freeze it)."
                hung = await asyncio.gather(*(timed_get(http, "/tasks", 2 * answer_within) for _ in range(CONCURRENT)))
            slowest = max(seconds for _, seconds in hung)
            unanswered = [response for response, _ in hung if response is None]
            assert not unanswered and slowest < answer_within, (
                f"With PostgreSQL hanging (frozen: it accepts connections and answers nothing), "
                f"{CONCURRENT} concurrent GET /tasks should each answer within {answer_within:.1f} s; "
                + (f"{len(unanswered)} never answered" if unanswered else f"the slowest took {slowest:.1f} s")
                + f". For this outage the check shortened the limits in {DB} ({shortened}), so as not to "
                "wait out yours. Without limits a request waits as long as the database hangs. make_engine() in "
                f"{DB} should give asyncpg a connect timeout and a statement timeout (connect_args), and the "
                "pool a pool_timeout, from those three constants rather than numbers of its own."
            )
            wrong = [response for response, _ in hung if not is_outage_answer(response)]
            assert not wrong, (
                "While the database hangs, a request that needs it should answer 503 with the code "
                '"service_unavailable" in the envelope and a Retry-After header (seconds), so clients '
                f"and load balancers know to come back; your app answered {show(wrong[0])}. The "
                f"timeouts of make_engine() in {DB} raise TimeoutError, and outage_is_503() turns it "
                "into that 503: does get_session() open its session inside it?"
            )

            back, seconds = await timed_get(http, "/tasks", 2 * answer_within)
            assert back is not None and back.status_code == 200, (
                "Once PostgreSQL answers again, GET /tasks should answer 200 at once, without "
                f"restarting the app; your app answered {show(back) if back else 'nothing'} after "
                f"{seconds:.1f} s. Connections the outage broke must be replaced before a request uses "
                f"them: look at the options make_engine() in {DB} gives create_async_engine()."
            )

            database.__exit__(None, None, None)  # PostgreSQL stops: it refuses connections from here on
            running = False
            down = await asyncio.gather(*(timed_get(http, "/tasks", 2 * answer_within) for _ in range(CONCURRENT)))
        wrong = [response for response, _ in down if not is_outage_answer(response)]
        assert not wrong, (
            "With PostgreSQL stopped, GET /tasks should answer 503 with the code "
            '"service_unavailable" and a Retry-After header, not a 500 with a traceback in the log '
            f"for every request; your app answered {show(wrong[0]) if wrong[0] else 'nothing'}. "
            f"Look at outage_is_503() and get_session() in {DB}."
        )
    finally:
        if running:
            database.__exit__(None, None, None)


async def test_statement_values_stay_out_of_errors(app_env, tmp_path):
    db = import_fresh("app.core.db")
    secret = "argon2-hash-" + secrets.token_hex(8)
    engine = db.make_engine(f"sqlite+aiosqlite:///{tmp_path / 'values.db'}")
    try:
        async with engine.connect() as connection:
            await connection.execute(text("CREATE TABLE accounts (email TEXT UNIQUE, hashed_password TEXT)"))
            insert = text("INSERT INTO accounts (email, hashed_password) VALUES (:email, :hashed)")
            await connection.execute(insert, {"email": "ada@example.com", "hashed": "first"})
            try:
                await connection.execute(insert, {"email": "ada@example.com", "hashed": secret})
            except Exception as error:  # the unique email: the second insert fails
                message = str(error)
            else:
                message = ""
    finally:
        await engine.dispose()
    assert message, "The check's second insert should have failed (a duplicate email); it did not."
    assert secret not in message, (
        "When a statement fails, SQLAlchemy's error shows the SQL and, by default, the values it "
        f"was given: the check's failed insert says {message[:300]!r}. That text ends up in the "
        "server log and in error reports, with emails and password hashes in it. Look at the "
        f"options make_engine() in {DB} gives create_async_engine(): one of them keeps the values "
        "out of errors and logs."
    )
