"""The class board under a workshop's load: N learners reporting every 5 s for T minutes.

    .venv/bin/python benchmarks/board_load.py [--learners 200] [--minutes 10] [--quick] [--database URL]

Starts `shiplings board serve` as the instructor would (its own state folder, SQLite unless
--database names a PostgreSQL), joins N learners, keeps the board page's live stream open
(as an instructor's browser would), and has every learner send one report every 5 s
(staggered), like the outbox does: a report that fails is sent again with the next one.
Prints p50/p95/p99 latency of the report requests, errors, and lost reports (sent but not on
the board at the end), with the machine's load average: the load generator shares the CPU
with the board, so the figures are an upper bound on the board's own latency.
The issue's bar: p99 under 100 ms and zero lost.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
INTERVAL = 5.0
LESSONS = ["01_prototype", "02_structure", "03_errors", "04_database"]
TESTS = ["test_create_task", "test_list_filters_by_done", "test_unknown_task_is_404", "test_settings"]


def start_board(state: Path, port: int, database: str | None, learners: int) -> tuple[subprocess.Popen, str]:
    env = dict(os.environ, SHIPLINGS_STATE=str(state), SHIPLINGS_BOARD_JOIN_RATE_LIMIT=f"{learners * 2}/minute",
               COLUMNS="250")
    command = [str(REPO / ".venv/bin/shiplings"), "board", "serve", "--port", str(port)]
    if database:
        command += ["--database", database]
    log = open(state / "board.log", "w")  # noqa: SIM115 (open for the server's whole life)
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = re.search(r"shiplings join \S+ (\S{4}-\S{4})", (state / "board.log").read_text())
        if found:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    return server, found.group(1)
            except httpx.HTTPError:
                pass
        if server.poll() is not None:
            raise SystemExit(f"the board did not start:\n{(state / 'board.log').read_text()}")
        time.sleep(0.2)
    server.kill()
    raise SystemExit("the board did not start within 120 s")


def secret_of(state: Path) -> str:
    found = re.search(r"Instructor secret \(shown once, keep it\): (\S+)", (state / "board.log").read_text())
    return found.group(1)


def a_report(learner_index: int, sequence: int) -> dict:
    lesson = LESSONS[min(sequence // 30, len(LESSONS) - 1)]
    passed = random.random() < 0.3
    checks = [{"test": test, "outcome": "passed" if passed or random.random() < 0.5 else "failed",
               "duration": round(random.uniform(0.05, 0.8), 3)} for test in TESTS]
    return {"key": uuid.uuid4().hex, "kind": "check", "lesson": lesson, "passed": passed,
            "duration": round(random.uniform(0.5, 3), 3), "checks": checks, "at": time.time()}


async def join(client: httpx.AsyncClient, index: int, code: str, outcome: dict) -> dict[str, str]:
    """Join as `shiplings join` does; a connection the busy board drops is tried again, and counted."""
    for attempt in range(10):
        try:
            joined = await client.post("/api/join", json={"code": code, "name": f"learner {index:03d}"}, timeout=60)
            joined.raise_for_status()
            return {"Authorization": f"Bearer {joined.json()['token']}"}
        except httpx.TransportError as error:
            outcome["join_errors"][type(error).__name__] = outcome["join_errors"].get(type(error).__name__, 0) + 1
            await asyncio.sleep(1 + attempt)
    raise SystemExit(f"learner {index} could not join in ten tries: {outcome['join_errors']}")


async def learner(client: httpx.AsyncClient, index: int, code: str, until: float, latencies: list[float],
                  outcome: dict) -> None:
    await asyncio.sleep(random.uniform(0, INTERVAL))  # a room does not join or check in step
    headers = await join(client, index, code, outcome)
    queue: list[dict] = []
    sequence = 0
    while True:
        last_round = time.monotonic() >= until
        if not last_round:
            queue.append(a_report(index, sequence))
            sequence += 1
            outcome["generated"] += 1
        if queue:
            started = time.perf_counter()
            try:
                response = await client.post("/api/reports", json={"reports": queue[:50]}, headers=headers)
                latencies.append(time.perf_counter() - started)
                if response.status_code == 200:
                    acknowledged = set(response.json()["keys"])
                    queue = [each for each in queue if each["key"] not in acknowledged]
                else:
                    outcome["errors"] += 1
                    outcome["why"][str(response.status_code)] = outcome["why"].get(str(response.status_code), 0) + 1
            except httpx.HTTPError as error:
                latencies.append(time.perf_counter() - started)
                outcome["errors"] += 1
                outcome["why"][type(error).__name__] = outcome["why"].get(type(error).__name__, 0) + 1
        if last_round:
            outcome["unsent"] += len(queue)
            return
        await asyncio.sleep(INTERVAL)


async def watch_board(url: str, secret: str, stop: asyncio.Event, seen: dict) -> None:
    """The instructor's page: the live stream stays open and is read all along."""
    async with httpx.AsyncClient(base_url=url, timeout=None) as client:
        token = (await client.post("/api/instructor/session", json={"secret": secret})).json()["token"]
        async with client.stream("GET", "/api/events", headers={"Authorization": f"Bearer {token}"}) as stream:
            async for line in stream.aiter_lines():
                if line.startswith("event: board"):
                    seen["updates"] += 1
                if stop.is_set():
                    return


async def run(url: str, code: str, secret: str, learners: int, minutes: float) -> dict:
    latencies: list[float] = []
    outcome = {"generated": 0, "errors": 0, "unsent": 0, "why": {}, "join_errors": {}}
    seen = {"updates": 0}
    until = time.monotonic() + minutes * 60
    stop = asyncio.Event()
    limits = httpx.Limits(max_connections=learners, max_keepalive_connections=learners)
    async with httpx.AsyncClient(base_url=url, timeout=10, limits=limits) as client:
        watcher = asyncio.create_task(watch_board(url, secret, stop, seen))
        await asyncio.gather(*(learner(client, index, code, until, latencies, outcome) for index in range(learners)))
        stop.set()
        watcher.cancel()
        token = (await client.post("/api/instructor/session", json={"secret": secret}, timeout=60)).json()["token"]
        board = (await client.get("/api/board", headers={"Authorization": f"Bearer {token}"})).json()
    stored = sum(cell["runs"] for row in board["learners"] for cell in row["lessons"].values())
    return {"latencies": latencies, "stored": stored, "updates": seen["updates"], **outcome}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--quick", action="store_true", help="one minute")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--database", help="a PostgreSQL URL; default SQLite in a temporary state folder")
    args = parser.parse_args()
    minutes = 1 if args.quick else args.minutes
    from shiplings.net import free_port

    port = args.port or free_port()
    with tempfile.TemporaryDirectory(prefix="board-load-") as folder:
        state = Path(folder)
        server, code = start_board(state, port, args.database, args.learners)
        try:
            load_before = os.getloadavg()
            started = time.monotonic()
            result = asyncio.run(run(f"http://127.0.0.1:{port}", code, secret_of(state), args.learners, minutes))
            elapsed = time.monotonic() - started
            load_after = os.getloadavg()
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    latencies = [value * 1000 for value in result["latencies"]]
    lost = result["generated"] - result["stored"]
    print(f"board load: {args.learners} learners, one report each every {INTERVAL:g} s, {minutes:g} min "
          f"({elapsed:.0f} s with joining), {'SQLite' if not args.database else 'PostgreSQL'}")
    print(f"  requests {len(latencies)}  ({len(latencies) / elapsed:.1f}/s)   reports generated {result['generated']}"
          f"  stored {result['stored']}  lost {lost}  errors/retried {result['errors']} {result['why'] or ''}"
          f"  unsent {result['unsent']}"
          + (f"  joins retried {result['join_errors']}" if result["join_errors"] else ""))
    print(f"  latency ms: p50 {percentile(latencies, 0.5):.1f}  p95 {percentile(latencies, 0.95):.1f}  "
          f"p99 {percentile(latencies, 0.99):.1f}  max {max(latencies):.1f}  mean {statistics.fmean(latencies):.1f}")
    print(f"  live updates the page received: {result['updates']}")
    print(f"  load average (1/5/15 min) before {load_before[0]:.1f}/{load_before[1]:.1f}/{load_before[2]:.1f}, "
          f"after {load_after[0]:.1f}/{load_after[1]:.1f}/{load_after[2]:.1f}; {os.cpu_count()} CPUs")
    met = percentile(latencies, 0.99) < 100 and lost == 0
    print(f"  the issue's bar (p99 < 100 ms, zero lost): {'met' if met else 'NOT met'}")
    sys.exit(0)


if __name__ == "__main__":
    main()
