"""How many requests a second the course app serves, measured side by side. Asserts nothing.

    .venv/bin/python benchmarks/serving.py [--seconds 4] [--rounds 5] [--connections 64] [--skip-serving]

Runs on the solved app of lesson 11 (snapshot(11_workers)) in a temporary folder, with a
migrated SQLite database, every server on a free loopback port, every load run bounded in
time and connections. Three comparisons of servers under load, each in alternating
rounds (A, B, A, B, ...) so that whatever else the machine does hits both alike; the
median round of each counts (the best round flatters whichever server was lucky once), and
each round prints its own ratio so a round spoiled by another process shows as one. Each run
is measured twice: requests a second, and the CPU the server's processes (master and workers)
spent per request, read from the kernel before and after.

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
   something fails. The issue's bar: the timeouts cost at most 3%. Pre-ping's price (one
   round trip per checkout) is shown too.

4. The same question, precisely. On two shared cores a whole server's rate and CPU move
   10-40% between rounds, too much to see 3%. So the app is also served in one process with
   no HTTP server (httpx's ASGI transport), sequential GET /users/me on the same database,
   and time.process_time() counts that process's CPU alone: the app as it was before the
   hardening (lesson 04's engine, sessions opened without outage_is_503()), with the shipped
   engine's timeouts, and as shipped (+ outage_is_503() around every session, which turns an
   outage into a 503: it runs on every request, failing or not); and, for the record, as
   shipped but with outage_is_503() a FastAPI dependency of its own, as lesson 04 first had
   it. Medians of the rounds' paired ratios.

5. Where a signed-in request's CPU goes, the same way: the app as shipped against itself
   without one layer at a time (the request id and JSON access line, the Prometheus
   instrumentation, CORS, the default rate limit, counted in Redis when redis-server is
   installed). What taking a layer away saves is its cost; the rest is the route's own work
   (JWT, the user lookup) and FastAPI's.

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
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from shiplings import services, tools  # noqa: E402
from shiplings.load import load  # noqa: E402
from shiplings.patience import cpu_seconds  # noqa: E402
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


IN_PROCESS = '''"""One build of the app, served in this process, for its CPU per request.

    python in_process.py VARIANT EMAIL PASSWORD ORIGIN BLOCK

VARIANT: shipped; before (lesson 04's engine, sessions opened without outage_is_503());
+timeouts (the shipped engine, sessions without outage_is_503()); dependency (as shipped,
but outage_is_503() a dependency of get_session() of its own, as lesson 04 first had it);
or shipped minus one layer: -context (the request id and access line), -metrics, -cors,
-limit (the default rate limit). The variant is put in place before the app is imported or
built, so every route is built on it, as a server would build it. Each line read from stdin
runs one block: BLOCK sequential GET /users/me through httpx's ASGI transport (no HTTP
server, no network); the reply is the block's CPU per request in µs, time.process_time():
this process's CPU alone.
"""
import asyncio
import os
import sys
import time
from typing import Annotated

import httpx
from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import create_async_engine

import app.core.db

VARIANT, EMAIL, PASSWORD, ORIGIN, BLOCK = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
# the replies keep stdout; the app's log lines (stdout too) go where stderr goes
REPLIES = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)


def lesson_04_engine(database_url, **options):
    return create_async_engine(database_url, pool_pre_ping=True, hide_parameters=True)


async def session_without_outage_is_503(request: Request):
    async with request.app.state.sessionmaker() as session:
        yield session


async def outage_dependency():
    async with app.core.db.outage_is_503():
        yield


async def session_behind_outage_dependency(request: Request,
                                           _outage: Annotated[None, Depends(outage_dependency)]):
    async with request.app.state.sessionmaker() as session:
        yield session


if VARIANT == "before":
    app.core.db.make_engine = lesson_04_engine
if VARIANT in ("before", "+timeouts"):
    app.core.db.get_session = session_without_outage_is_503
if VARIANT == "dependency":
    app.core.db.get_session = session_behind_outage_dependency

import app.main  # noqa: E402  (after the variant is in place)

MIDDLEWARE = {"-context": "RequestContextMiddleware", "-metrics": "PrometheusInstrumentatorMiddleware",
              "-cors": "CORSMiddleware"}


async def no_limit():
    return None


if VARIANT == "-limit":
    app.main.default_limit = no_limit  # create_app() reads the name when it runs


async def main():
    application = app.main.create_app()
    if VARIANT in MIDDLEWARE:  # the stack is built at the first request, from this list
        application.user_middleware = [layer for layer in application.user_middleware
                                       if layer.cls.__name__ != MIDDLEWARE[VARIANT]]
        assert len(application.user_middleware) == 2, VARIANT
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            answer = await client.post("/auth/token", data={"username": EMAIL, "password": PASSWORD})
            assert answer.status_code == 200, answer.text
            headers = {"Authorization": f"Bearer {answer.json()['access_token']}", "Origin": ORIGIN}
            while sys.stdin.readline():
                started = time.process_time()
                for _ in range(BLOCK):
                    answer = await client.get("/users/me", headers=headers)
                    assert answer.status_code == 200, answer.text
                print(f"{1e6 * (time.process_time() - started) / BLOCK:.1f}", file=REPLIES, flush=True)


asyncio.run(main())
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


@dataclass
class Rounds:
    rates: list[float] = field(default_factory=list)  # requests a second, one per round
    costs: list[float] = field(default_factory=list)  # the server's CPU µs per request (when its process is known)

    def median(self) -> Measured:
        return Measured(statistics.median(self.rates), statistics.median(self.costs) if self.costs else 0.0)


@dataclass(frozen=True)
class Measured:
    rate: float  # requests a second, median of the rounds
    cpu_us: float  # the server's CPU microseconds per request, median of the rounds (0: not measured)


def compare(label: str, runs: dict[str, tuple[str, dict, subprocess.Popen]], rounds: int, connections: int,
            seconds: float) -> dict[str, Measured]:
    """Alternate load runs between the servers; print each round; return the medians of each."""
    return {name: measured.median() for name, measured in compare_rounds(label, runs, rounds, connections,
                                                                          seconds).items()}


def compare_rounds(label: str, runs: dict[str, tuple], rounds: int, connections: int,
                   seconds: float) -> dict[str, Rounds]:
    """Alternate load runs between the servers (A, B, A, B, ...); print each round; return every round.

    A run is (url, headers) or (url, headers, the server's process). With the process, two
    measures: requests a second, and the CPU the server's processes spent per request. Where
    the load generator and the servers share two cores, both move with whatever else runs
    (10-40% between rounds); comparison 4 measures what a few percent needs, in one process.
    The first server is the reference: every round prints the others' rates as a share of it.
    """
    measured: dict[str, Rounds] = {name: Rounds() for name in runs}
    reference = next(iter(runs))
    print(f"\n{label}  ({connections} connections, {seconds:g} s a run, {rounds} rounds)")
    for number in range(1, rounds + 1):
        line = []
        for name, (url, headers, *process) in runs.items():
            cpu_before = (cpu_seconds(process[0].pid) or 0.0) if process else 0.0
            result = load(url, seconds=seconds, connections=connections, headers=headers)
            rounds_of = measured[name]
            rounds_of.rates.append(result.rate)
            share = "" if name == reference else f" ({result.rate / measured[reference].rates[-1]:.0%})"
            shown = f"{name} {result.rate:7,.0f}/s{share}"
            if process:
                requests = max(1.0, result.rate * max(1, round(seconds)))
                rounds_of.costs.append(1e6 * ((cpu_seconds(process[0].pid) or 0.0) - cpu_before) / requests)
                shown += f" {rounds_of.costs[-1]:4.0f} µs"
            line.append(shown + (f" ({result.failed} not 2xx!)" if result.failed else ""))
        print(f"  round {number}: " + "   ".join(line))
    return measured


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


def compare_serving(stack: contextlib.ExitStack, app_dir: Path, env: dict[str, str], rounds: int,
                    connections: int, seconds: float) -> tuple[dict[str, Measured], dict[str, Measured]]:
    """Comparisons 1 and 2: the dev server against production; the full stack against the bare endpoint."""
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

    serving = compare("1. dev server vs production configuration, GET /health",
                      {"dev": (dev.url + "/health", {}, dev.process),
                       "production": (prod.url + "/health", {}, prod.process)},
                      rounds, connections, seconds)
    runs = {"bare": (bare.url + "/users/me", {}, bare.process),
            "full": (prod.url + "/users/me", auth, prod.process)}
    if redis_prod is not None:
        runs["full+redis"] = (redis_prod.url + "/users/me", auth, redis_prod.process)
    stack_rates = compare("2. full production stack vs bare endpoint, GET /users/me, 2 workers",
                          runs, rounds, connections, seconds)
    return serving, stack_rates


def compare_hardening(stack: contextlib.ExitStack, app_dir: Path, env: dict[str, str], rounds: int,
                      connections: int, seconds: float) -> tuple[str, str, dict[str, Measured]]:
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
                    {"no-ping": (bare.url + "/users/me", headers, bare.process),
                     "pre-ping": (before.url + "/users/me", headers, before.process),
                     "shipped": (hardened.url + "/users/me", headers, hardened.process)},
                    rounds, connections, seconds)
    return database, url, rates


LAYERS = {"-context": "request id and JSON access line", "-metrics": "Prometheus instrumentation",
          "-cors": "CORS", "-limit": "default rate limit"}


def in_process_costs(app_dir: Path, env: dict[str, str], label: str, names: list[str], rounds: int = 300,
                     block: int = 50) -> dict[str, list[float]]:
    """The CPU per request of each build `names` (IN_PROCESS), in one process per build.

    The builds run side by side; each round asks each for one short block, the order
    rotating, so that a drift of the machine hits them all alike. A block's CPU still varies
    by 5-15% on a shared virtual machine; many short paired rounds make the median of the
    paired ratios good to about half a percent. Returns every round's µs per build.
    """
    (app_dir / "in_process.py").write_text(IN_PROCESS, encoding="utf-8")
    costs: dict[str, list[float]] = {name: [] for name in names}
    with contextlib.ExitStack() as stack:
        builds = {}
        for name in names:
            builds[name] = stack.enter_context(subprocess.Popen(
                [sys.executable, "in_process.py", name, EMAIL, PASSWORD, ORIGIN, str(block)], cwd=app_dir,
                env={**os.environ, **env}, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                text=True))
            stack.callback(builds[name].kill)

        def one_block(name: str) -> float:
            builds[name].stdin.write("go\n")
            builds[name].stdin.flush()
            reply = builds[name].stdout.readline()
            if not reply:
                sys.exit(f"{label}: the {name} build stopped (run {app_dir / 'in_process.py'} {name} to see why)")
            return float(reply)

        for name in names:
            one_block(name)  # warm: the pool's connections, caches, the first of everything
        print(f"\n{label} ({rounds} rounds of {block} requests, one process per build)")
        for number in range(rounds):
            for name in names[number % len(names):] + names[:number % len(names)]:
                costs[name].append(one_block(name))
            if (number + 1) % 50 == 0:
                print(f"  rounds {number - 48:3}-{number + 1:3}, medians: "
                      + "   ".join(f"{name} {statistics.median(costs[name][-50:]):5.0f} µs" for name in names))
    return costs


def paired(costs: dict[str, list[float]], name: str, reference: str) -> tuple[float, float, float]:
    """Quartiles of the rounds' paired ratios name/reference - 1: (low, median, high)."""
    ratios = [cost / base - 1 for cost, base in zip(costs[name], costs[reference], strict=True)]
    low, middle, high = statistics.quantiles(ratios, n=4)
    return low, middle, high


def compare_layers(stack: contextlib.ExitStack, app_dir: Path, env: dict[str, str]) -> dict[str, list[float]]:
    """Comparison 5: where a signed-in request's CPU goes, one layer taken away at a time."""
    storage = "memory"
    if tools.find("redis"):
        env = {**env, "TASKS_RATE_LIMIT_STORAGE_URI": stack.enter_context(services.redis())}
        storage = "Redis"
    return in_process_costs(app_dir, env, f"5. the layers of a signed-in GET /users/me, rate limit in {storage}",
                            ["shipped", *LAYERS])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=4, help="length of one load run (default 4)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds per comparison (default 5)")
    parser.add_argument("--connections", type=int, default=64, help="concurrent connections (default 64)")
    parser.add_argument("--skip-serving", action="store_true", help="skip comparisons 1 and 2")
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
            serving = stack_rates = None
            if not options.skip_serving:
                serving, stack_rates = compare_serving(stack, app_dir, env, rounds, connections, seconds)
            database, database_url, engines = compare_hardening(stack, app_dir, env, rounds, connections, seconds)
            database_env = {**env, "TASKS_DATABASE_URL": database_url}
            in_process = in_process_costs(app_dir, database_env,
                                          f"4. the hardening's CPU per request, {database}, GET /users/me",
                                          ["before", "+timeouts", "shipped", "dependency"])
            layers = compare_layers(stack, app_dir, database_env)

    print(f"\nResults (median of {rounds} rounds; load average {load_average()}; µs: the server's CPU per request)")
    if serving and stack_rates:
        print_serving(serving, stack_rates)
    print_hardening(database, engines, in_process)
    print_layers(layers)
    print(f"\n{time.perf_counter() - started:.0f} s in all")


def row(label: str, measured: Measured, top: float, note: str = "") -> None:
    """One result line: the rate, the CPU per request, a bar against the fastest of its group."""
    print(f"  {label:47}{measured.rate:8,.0f} req/s  {measured.cpu_us:5.0f} µs  {bar(measured.rate, top)}{note}")


def print_serving(serving: dict[str, Measured], stack_rates: dict[str, Measured]) -> None:
    top = max(measured.rate for measured in serving.values())
    row("dev server   uvicorn --reload, 1 process", serving["dev"], top)
    row("production   gunicorn, 2 uvicorn workers", serving["production"], top)
    print(f"  -> production / dev = {serving['production'].rate / serving['dev'].rate:.2f}x   "
          "(lesson 11 expects >= 1.5x)")
    top = max(measured.rate for measured in stack_rates.values())
    bare = stack_rates["bare"].rate
    row("bare         GET /users/me, no middleware", stack_rates["bare"], top)
    row("full stack   request id + log, metrics, CORS,", stack_rates["full"], top)
    print("               rate limit (memory), JWT")
    print(f"  -> full / bare = {stack_rates['full'].rate / bare:.0%}   (lesson 11 expects >= 60%)")
    if "full+redis" in stack_rates:
        redis = stack_rates["full+redis"]
        row("full stack, rate limit counted in Redis", redis, top, f"  ({redis.rate / bare:.0%} of bare)")


def print_hardening(database: str, engines: dict[str, Measured], in_process: dict[str, list[float]]) -> None:
    top = max(measured.rate for measured in engines.values())
    row("no-ping      create_async_engine(url) alone", engines["no-ping"], top, f"  ({database})")
    row("pre-ping     + pool_pre_ping, hide_parameters", engines["pre-ping"], top, "  (lesson 04's engine)")
    row("shipped      + connect, statement, pool limits", engines["shipped"], top)
    shipped, before, bare = engines["shipped"], engines["pre-ping"], engines["no-ping"]
    print(f"  -> the timeouts cost {1 - shipped.rate / before.rate:.1%} of the rate and "
          f"{shipped.cpu_us / before.cpu_us - 1:.1%} more CPU a request   (the issue's bar: <= 3%); "
          f"pre-ping's round trip costs {1 - before.rate / bare.rate:.1%} of the rate, "
          f"{before.cpu_us / bare.cpu_us - 1:.1%} more CPU")

    before_us = statistics.median(in_process["before"])
    # Served, a request costs the machine more than the app's own work (the HTTP server, the
    # database server, the load generator): all its cores for 1/rate s while the load saturates it.
    machine_us = (os.cpu_count() or 1) * 1e6 / engines["shipped"].rate

    def against_before(name: str) -> str:
        low, middle, high = paired(in_process, name, "before")
        return (f"{middle:+.1%} (middle half of the rounds {low:+.1%} to {high:+.1%}), {middle * before_us:+.0f} µs: "
                f"{middle * before_us / machine_us:+.1%} of the {machine_us:.0f} µs a served request costs the machine")

    print(f"  in one process ({database}, {len(in_process['before'])} paired rounds): before the hardening "
          f"{before_us:.0f} µs of CPU a request")
    print(f"  -> the engine's timeouts {against_before('+timeouts')}")
    print(f"  -> as shipped, outage_is_503() too, {against_before('shipped')}   (the issue's bar: <= 3%)")
    print(f"  -> had outage_is_503() stayed a dependency of its own: {against_before('dependency')}")


def print_layers(layers: dict[str, list[float]]) -> None:
    shipped = statistics.median(layers["shipped"])
    print(f"  where a signed-in GET /users/me's {shipped:.0f} µs go (in one process; a layer costs what taking it "
          "away saves, median of the paired rounds):")
    saved_in_all = 0.0
    for name, what in LAYERS.items():
        # shipped / without it - 1, per round; as a share of the shipped request: 1 - 1 / (1 + ratio)
        low, middle, high = (1 - 1 / (1 + ratio) for ratio in paired(layers, "shipped", name))
        saved = shipped * middle
        saved_in_all += saved
        print(f"    {what:50} {saved:5.0f} µs  {middle:5.1%}   (middle half of the rounds {low:.1%} to {high:.1%})")
    rest = shipped - saved_in_all
    print(f"    {'the rest: JWT, the user lookup, routing, FastAPI':50} {rest:5.0f} µs  {rest / shipped:5.1%}")

if __name__ == "__main__":
    main()
