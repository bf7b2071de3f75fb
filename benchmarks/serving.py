"""How many requests a second the course app serves, measured side by side. Asserts nothing.

    .venv/bin/python benchmarks/serving.py [--seconds 4] [--rounds 5] [--connections 64]

Runs on the solved app of lesson 11 (snapshot(11_workers)) in a temporary folder, with a
migrated SQLite database, every server on a free loopback port, every load run bounded in
time and connections. Two comparisons, each measured in the same run, in alternating
rounds (A, B, A, B, ...) so that whatever else the machine does hits both alike; the
median round of each counts (the best round flatters whichever server was lucky once), and
each round prints its own ratio so a round spoiled by another process shows as one.

1. The dev server against the production configuration, GET /health, 64 connections:
   `uvicorn app.main:app --reload` (one server process) against `gunicorn -c
   gunicorn.conf.py` with 2 uvicorn workers. Access logging is matched: uvicorn's own
   access log is off (--no-access-log), as gunicorn's is in the config; both write the
   app's JSON line per request. Lesson 11 expects production >= 1.5x the dev server.

2. The production stack against the bare endpoint, both under gunicorn with the same
   config and 2 workers, GET /users/me:
   - full: the app as shipped, with a bearer token and an Origin header: request id and
     JSON log line, Prometheus instrumentation, CORS, the default rate limit (memory://,
     a limit far above the load so that it counts but never refuses), JWT verification and
     the user lookup;
   - bare: the same route and the same database lookup of the same user on an app with no
     middleware, no rate limit and no token (its user dependency is overridden).
   Lesson 11 expects the full stack to keep >= 60% of the bare endpoint.
   With redis-server installed, one more line: the full stack counting in a real Redis,
   as production does.

3. What the database hardening costs, on a real PostgreSQL as production runs it (SQLite when
   PostgreSQL is not installed), GET /users/me, full stack, three engines side by side: the
   app as shipped (connect, statement and pool timeouts on top of lesson 04's engine);
   lesson 04's engine (pool_pre_ping, hide_parameters, no timeouts); and a bare
   create_async_engine(url). The error envelopes and the outage's 503 only run when
   something fails, so a healthy request pays nothing for them. The issue's bar: the
   timeouts cost at most 3%. Pre-ping's price (one round trip per checkout) is shown too.

The gunicorn servers run with --max-requests 0: a worker recycled in the middle of a run
would measure its own boot, not the serving. Load comes from wrk (-t2) when it is
installed, else from a bounded asyncio load generator in this process (lower absolute
numbers; the ratios still hold).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from shiplings import services, tools  # noqa: E402
from shiplings.load import load  # noqa: E402
from shiplings.testing import run_migrations  # noqa: E402

LESSON = "11_workers"
ORIGIN = "http://localhost:5173"  # an allowed origin (the default TASKS_CORS_ORIGINS)
EMAIL, PASSWORD = "bench@example.com", "correct horse battery staple"

BARE_APP = '''"""The bare endpoint: GET /users/me's own work, without the production stack around it."""
import os

from fastapi import FastAPI

from app.api.deps import SessionDep, get_current_user
from app.api.routes import auth
from app.core.config import get_settings
from app.core.ratelimit import build_limiter
from app.main import lifespan
from app.repository import UserRepository

USER_ID = int(os.environ["BENCH_USER_ID"])


async def the_user(session: SessionDep):
    return await UserRepository(session).get(USER_ID)


app = FastAPI(lifespan=lifespan)
app.state.settings = get_settings()
app.state.limiter = build_limiter(app.state.settings)  # never asked; the lifespan closes it
app.include_router(auth.router)
app.dependency_overrides[get_current_user] = the_user
'''

SOFT_APP = '''"""The app as shipped, but its database engine as it was before the timeouts (BENCH_ENGINE).

pre-pinged: lesson 04's engine, pool_pre_ping and hide_parameters, no timeouts;
bare: create_async_engine(url) alone.
"""
import os

from sqlalchemy.ext.asyncio import create_async_engine

import app.core.db


def soft_engine(database_url, **options):
    if os.environ["BENCH_ENGINE"] == "bare":
        return create_async_engine(database_url)
    return create_async_engine(database_url, pool_pre_ping=True, hide_parameters=True)


app.core.db.make_engine = soft_engine  # before app.main binds the name
from app.main import app  # noqa: E402
'''


# --- servers ------------------------------------------------------------------------------

def materialize(folder: Path) -> None:
    subprocess.run([sys.executable, "-m", "shiplings", "dev", "snapshot", LESSON, "--out", str(folder)],
                   check=True, capture_output=True, cwd=REPO)


@contextlib.contextmanager
def server(name: str, command: list[str], app_dir: Path, env: dict[str, str]) -> Iterator[services.RunningApp]:
    scratch = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    # each gunicorn its own metrics folder and runtime dir (control socket, if one is on)
    env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(scratch / "metrics"), "XDG_RUNTIME_DIR": str(scratch)}
    try:
        with services.app_server(command, cwd=app_dir, env=env, ready_path="/health", timeout=90) as running:
            yield running
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def gunicorn(target: str) -> list[str]:
    return ["gunicorn", "-c", "gunicorn.conf.py", "--bind", "127.0.0.1:{port}", "--max-requests", "0", target]


def settle(urls: list[str], seconds: float = 1.0) -> None:
    """Warm every server up (imports, first connections), then let the machine calm down."""
    for url in urls:
        for _ in range(20):
            httpx.get(url, timeout=10)
    time.sleep(seconds)


def compare(label: str, runs: dict[str, tuple[str, dict]], rounds: int, connections: int, seconds: float) -> dict:
    """Alternate load runs between the servers; print each round; return the median rate of each."""
    rates = compare_rounds(label, runs, rounds, connections, seconds)
    return {name: statistics.median(values) for name, values in rates.items()}


def compare_rounds(label: str, runs: dict[str, tuple[str, dict]], rounds: int, connections: int,
                   seconds: float) -> dict[str, list[float]]:
    """Alternate load runs between the servers; print each round; return every round's rate of each.

    The first server is the reference: every round prints the others' rates as a share of it.
    """
    rates: dict[str, list[float]] = {name: [] for name in runs}
    reference = next(iter(runs))
    print(f"\n{label}  ({connections} connections, {seconds:g} s a run, {rounds} rounds)")
    for number in range(1, rounds + 1):
        line = []
        for name, (url, headers) in runs.items():
            measured = load(url, seconds=seconds, connections=connections, headers=headers)
            rate, bad = measured.rate, measured.failed
            rates[name].append(rate)
            share = "" if name == reference else f" ({rate / rates[reference][-1]:.0%})"
            line.append(f"{name} {rate:8,.0f}/s{share}" + (f" ({bad} not 2xx!)" if bad else ""))
        print(f"  round {number}: " + "   ".join(line))
    return rates


def load_average() -> str:
    """The machine's 1, 5 and 15 minute load averages: how busy it was besides this run."""
    try:
        return ", ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:  # not available on this platform
        return "unknown"


def bar(rate: float, top: float, width: int = 36) -> str:
    return "█" * max(1, round(width * rate / top))


def signed_in(url: str) -> dict[str, str]:
    """Register the benchmark's user on this server's database and sign in: the request headers."""
    http = httpx.Client(base_url=url, timeout=30)
    http.post("/auth/register", json={"email": EMAIL, "password": PASSWORD})
    answer = http.post("/auth/token", data={"username": EMAIL, "password": PASSWORD})
    answer.raise_for_status()
    headers = {"Authorization": f"Bearer {answer.json()['access_token']}", "Origin": ORIGIN}
    http.get("/users/me", headers=headers).raise_for_status()
    return headers


def compare_hardening(stack: contextlib.ExitStack, app_dir: Path, env: dict[str, str], rounds: int,
                      connections: int, seconds: float) -> tuple[str, dict]:
    """Comparison 3: the app as shipped against the same app with a bare database engine, same database."""
    if tools.find("postgresql"):
        database, url = "PostgreSQL", stack.enter_context(services.postgres()).url()
    else:
        database, url = "SQLite", env["TASKS_DATABASE_URL"]
    run_migrations(url, app_dir)
    env = {**env, "TASKS_DATABASE_URL": url}
    hardened = stack.enter_context(server("hardened", gunicorn("app.main:app"), app_dir, env))
    before = stack.enter_context(server("before", gunicorn("soft_app:app"), app_dir,
                                        {**env, "BENCH_ENGINE": "pre-pinged"}))
    bare = stack.enter_context(server("bare", gunicorn("soft_app:app"), app_dir, {**env, "BENCH_ENGINE": "bare"}))
    headers = signed_in(hardened.url)
    settle([hardened.url + "/health", before.url + "/health", bare.url + "/health"])
    rates = compare(f"3. the database hardening's cost, {database}, GET /users/me, full stack, 2 workers",
                    {"no-ping": (bare.url + "/users/me", headers),
                     "pre-ping": (before.url + "/users/me", headers),
                     "shipped": (hardened.url + "/users/me", headers)},
                    rounds, connections, seconds)
    return database, rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=4, help="length of one load run (default 4)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds per comparison (default 5)")
    parser.add_argument("--connections", type=int, default=64, help="concurrent connections (default 64)")
    options = parser.parse_args()
    seconds = max(1.0, min(options.seconds, 30.0))
    connections = max(1, min(options.connections, 512))
    rounds = max(1, min(options.rounds, 15))

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as scratch_name:
        scratch = Path(scratch_name)
        app_dir = scratch / "app"
        materialize(app_dir)
        (app_dir / "bare_app.py").write_text(BARE_APP, encoding="utf-8")
        (app_dir / "soft_app.py").write_text(SOFT_APP, encoding="utf-8")
        database = f"sqlite+aiosqlite:///{scratch / 'tasks.db'}"
        run_migrations(database, app_dir)
        env = {
            "TASKS_ENVIRONMENT": "production",
            "TASKS_SECRET_KEY": secrets.token_urlsafe(32),
            "TASKS_DATABASE_URL": database,
            "TASKS_RATE_LIMIT_DEFAULT": "1000000/minute",
            "TASKS_LOGIN_RATE_LIMIT": "1000/minute",
            "TASKS_LOG_JSON": "true",
            "WEB_CONCURRENCY": "2",
            "PYTHONWARNINGS": "ignore",
        }
        load_tool = "wrk" if tools.find("wrk") else "a Python load generator (wrk is not installed)"
        print(f"snapshot({LESSON}), {os.cpu_count()} CPUs, load average {load_average()}, load from {load_tool}")

        with contextlib.ExitStack() as stack:
            dev = stack.enter_context(server(
                "dev", ["uvicorn", "app.main:app", "--reload", "--no-access-log", "--host", "127.0.0.1",
                        "--port", "{port}"], app_dir, env))
            prod = stack.enter_context(server("prod", gunicorn("app.main:app"), app_dir, env))
            http = httpx.Client(base_url=prod.url, timeout=30)
            http.post("/auth/register", json={"email": EMAIL, "password": PASSWORD})
            answer = http.post("/auth/token", data={"username": EMAIL, "password": PASSWORD})
            answer.raise_for_status()
            token = answer.json()["access_token"]
            auth = {"Authorization": f"Bearer {token}", "Origin": ORIGIN}
            me = http.get("/users/me", headers=auth)
            me.raise_for_status()
            user_id = str(me.json()["id"])
            bare = stack.enter_context(server("bare", gunicorn("bare_app:app"), app_dir,
                                              {**env, "BENCH_USER_ID": user_id}))
            redis_prod = None
            if tools.find("redis"):
                redis_url = stack.enter_context(services.redis())
                redis_prod = stack.enter_context(server(
                    "redis", gunicorn("app.main:app"), app_dir, {**env, "TASKS_RATE_LIMIT_STORAGE_URI": redis_url}))
            settle([dev.url + "/health", prod.url + "/health", bare.url + "/users/me"]
                   + ([redis_prod.url + "/health"] if redis_prod else []))

            serving = compare(
                "1. dev server vs production configuration, GET /health",
                {"dev": (dev.url + "/health", {}), "production": (prod.url + "/health", {})},
                rounds, connections, seconds,
            )
            runs = {"bare": (bare.url + "/users/me", {}), "full": (prod.url + "/users/me", auth)}
            if redis_prod is not None:
                runs["full+redis"] = (redis_prod.url + "/users/me", auth)
            stack_rates = compare("2. full production stack vs bare endpoint, GET /users/me, 2 workers",
                                  runs, rounds, connections, seconds)
            hardening = compare_hardening(stack, app_dir, env, rounds, connections, seconds)

    top = max(serving.values())
    print(f"\nResults (median of {rounds} rounds; load average {load_average()})")
    print(f"  dev server   uvicorn --reload, 1 process      {serving['dev']:8,.0f} req/s  "
          f"{bar(serving['dev'], top)}")
    print(f"  production   gunicorn, 2 uvicorn workers      {serving['production']:8,.0f} req/s  "
          f"{bar(serving['production'], top)}")
    print(f"  -> production / dev = {serving['production'] / serving['dev']:.2f}x   (lesson 11 expects >= 1.5x)")
    top = max(stack_rates.values())
    print(f"  bare         GET /users/me, no middleware     {stack_rates['bare']:8,.0f} req/s  "
          f"{bar(stack_rates['bare'], top)}")
    print(f"  full stack   request id + log, metrics, CORS,  {stack_rates['full']:8,.0f} req/s  "
          f"{bar(stack_rates['full'], top)}")
    print("               rate limit (memory), JWT")
    print(f"  -> full / bare = {stack_rates['full'] / stack_rates['bare']:.0%}   (lesson 11 expects >= 60%)")
    if "full+redis" in stack_rates:
        print(f"  full stack, rate limit counted in Redis       {stack_rates['full+redis']:8,.0f} req/s  "
              f"{bar(stack_rates['full+redis'], top)}  ({stack_rates['full+redis'] / stack_rates['bare']:.0%} of bare)")
    database, rates = hardening
    print(f"  no-ping      create_async_engine(url) alone    {rates['no-ping']:8,.0f} req/s  ({database})")
    print(f"  pre-ping     + pool_pre_ping, hide_parameters  {rates['pre-ping']:8,.0f} req/s  (lesson 04's engine)")
    print(f"  shipped      + connect, statement, pool limits {rates['shipped']:8,.0f} req/s")
    print(f"  -> the timeouts cost {1 - rates['shipped'] / rates['pre-ping']:.1%}   (the issue's bar: <= 3%); "
          f"pre-ping's round trip costs {1 - rates['pre-ping'] / rates['no-ping']:.1%}")
    print(f"\n{time.perf_counter() - started:.0f} s in all")


if __name__ == "__main__":
    main()
