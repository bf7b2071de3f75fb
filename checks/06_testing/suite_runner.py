"""Run the learner's own test suite: once on their app, then once per seeded bug.

    python suite_runner.py SPEC.json   ->  writes SPEC's "results" file (JSON)

Each run is a real pytest process in its own copy of the workspace (pytest's own
`python -m pytest` behaviour: the copy is the working directory and the first entry of
sys.path). To save the ~1.5 s every Python process here spends importing pytest,
FastAPI, SQLAlchemy and friends, this process imports them once and forks one child per
run (where fork exists; elsewhere each run is a fresh interpreter). Nothing of the
learner's is imported before the fork, so every run starts clean.

The clean run goes first: planting bugs in an app whose suite is not green yet would
prove nothing, so then the bug runs are skipped. Each run records its tests' outcomes
(Recorder below) and the check modules read them with load_results().
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

PRELOAD = (
    "pytest", "_pytest.python", "_pytest.junitxml", "_pytest.skipping", "_pytest.fixtures",
    "anyio", "anyio._backends._asyncio",
    "httpx", "fastapi", "fastapi.routing", "starlette.applications",
    "pydantic", "pydantic_settings",
    "sqlalchemy", "sqlalchemy.ext.asyncio", "sqlalchemy.dialects.sqlite.aiosqlite", "aiosqlite",
    "alembic", "alembic.command", "alembic.config", "alembic.runtime.migration", "alembic.script",
)


@dataclass
class TestOutcome:
    nodeid: str
    outcome: str  # passed | failed | error | skipped
    message: str = ""


@dataclass
class SuiteResult:
    """What one run of the learner's suite did."""

    name: str
    ran: bool = False
    exit_code: int | None = None
    timed_out: bool = False
    seconds: float = 0.0
    tests: list[TestOutcome] = field(default_factory=list)
    collect_errors: list[str] = field(default_factory=list)
    refused_hosts: list[str] = field(default_factory=list)
    output: str = ""

    def with_outcome(self, *outcomes: str) -> list[TestOutcome]:
        return [test for test in self.tests if test.outcome in outcomes]

    @property
    def broken(self) -> list[TestOutcome]:
        return self.with_outcome("failed", "error")

    @property
    def passed(self) -> list[TestOutcome]:
        return self.with_outcome("passed")

    def todo_skips(self, marker: str) -> list[TestOutcome]:
        return [test for test in self.with_outcome("skipped") if marker in test.message]

    def green(self, marker: str) -> bool:
        """Every test passed (or was skipped for a reason of the learner's), at least one ran."""
        return (self.ran and not self.timed_out and self.exit_code == 0 and bool(self.passed)
                and not self.broken and not self.todo_skips(marker))


class Recorder:
    """A pytest plugin (an object passed to pytest.main) that writes each test's outcome as JSON."""

    def __init__(self, path: str, likely: tuple[str, ...] = ()) -> None:
        self.path = path
        self.likely = [word.lower() for word in likely]
        self.tests: dict[str, dict] = {}
        self.collect_errors: list[str] = []

    def pytest_collection_modifyitems(self, items) -> None:
        """With a bug planted: the tests most likely to catch it first (the run stops at one).

        A test whose name has one of the bug's words goes first, then the other tests that
        talk to the API (the bugs live there), then the rest; pytest's order otherwise.
        """
        if not self.likely:
            return

        def rank(item) -> int:
            name = item.nodeid.lower()
            if any(word in name.rpartition("::")[2] for word in self.likely):
                return 0
            return 1 if "client" in getattr(item, "fixturenames", ()) else 2

        items.sort(key=rank)

    def pytest_runtest_logreport(self, report) -> None:
        entry = self.tests.setdefault(report.nodeid, {"nodeid": report.nodeid, "outcome": "passed", "message": ""})
        if report.skipped and entry["outcome"] == "passed":
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr or "")
            entry.update(outcome="skipped", message=reason.removeprefix("Skipped: "))
        elif report.failed:
            outcome = "failed" if report.when == "call" else "error"
            if entry["outcome"] not in ("failed", "error"):
                entry.update(outcome=outcome, message=_last_line(report))

    def pytest_collectreport(self, report) -> None:
        if report.failed:
            self.collect_errors.append(f"{report.nodeid or 'collection'}: {_last_line(report)}")

    def pytest_sessionfinish(self, session) -> None:
        data = {"tests": list(self.tests.values()), "collect_errors": self.collect_errors}
        Path(self.path).write_text(json.dumps(data))


def _last_line(report) -> str:
    """The one line that says what went wrong ("AssertionError: assert 200 == 201")."""
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else (getattr(report, "longreprtext", "") or str(report.longrepr or ""))
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if crash is None and lines:
        return lines[-1][:300]
    return lines[0][:300] if lines else ""


# --- running ----------------------------------------------------------------------------------


def go_offline(log: str) -> None:
    """Refuse every connection beyond this machine, and note which host was asked for.

    A test suite must not depend on the internet (slow, flaky, rate-limited, absent in
    CI), so the checks run it offline: the holidays service has to be faked.
    """
    import ipaddress
    import socket

    resolve = socket.getaddrinfo

    def local_only(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host)
        try:
            local = ipaddress.ip_address(name.split("%")[0]).is_loopback
        except ValueError:
            local = name == "localhost" or name.endswith(".localhost")
        if host is None or local:
            return resolve(host, *args, **kwargs)
        with open(log, "a", encoding="utf-8") as file:
            file.write(name + "\n")
        raise socket.gaierror(socket.EAI_NONAME, f"the checks run your tests offline: {name} is not reachable")

    socket.getaddrinfo = local_only


def _child(run: dict, args: list[str]) -> int:
    """In the run's own process: go offline, plant the bug (if any), run pytest in the copy."""
    import seeded_bugs  # next to this script, which is sys.path[0] until the copy takes its place

    os.chdir(run["cwd"])
    sys.path[0] = run["cwd"]  # as `python -m pytest` run in that folder would have it
    go_offline(run["network_log"])
    likely: tuple[str, ...] = ()
    if run.get("bug"):
        seeded_bugs.plant(run["bug"])
        likely = seeded_bugs.BUGS[run["bug"]].likely
    import pytest

    return int(pytest.main(args, plugins=[Recorder(run["report"], likely)]))


def _start(run: dict, spec: dict) -> tuple[int, object]:
    """Start one run; returns (pid, handle) where handle is a Popen or None (forked)."""
    env = spec["env"]
    log = open(run["log"], "w")  # noqa: SIM115  (closed by the caller's os/process end)
    if hasattr(os, "fork") and not spec.get("no_fork"):
        pid = os.fork()
        if pid == 0:
            code = 3
            try:
                os.setsid()
                os.dup2(log.fileno(), 1)
                os.dup2(log.fileno(), 2)
                os.environ.clear()
                os.environ.update(env)
                code = _child(run, spec["args"])
            except BaseException as error:  # noqa: BLE001  (report, never escape the fork)
                print(f"the run could not start: {error!r}", file=sys.stderr)
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        log.close()
        return pid, None
    process = subprocess.Popen(
        [sys.executable, __file__, "--one", json.dumps({"run": run, "args": spec["args"]})],
        cwd=run["cwd"], env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    log.close()
    return process.pid, process


def _poll(pid: int, handle) -> int | None:
    if handle is not None:
        return handle.poll()
    done, status = os.waitpid(pid, os.WNOHANG)
    if not done:
        return None
    return os.waitstatus_to_exitcode(status)


def _kill(pid: int, handle) -> None:
    """Stop a run and everything it started (its own process group where there are groups)."""
    import signal

    try:
        if hasattr(os, "killpg"):
            os.killpg(pid, signal.SIGKILL)
        elif handle is not None:
            handle.kill()
    except (ProcessLookupError, PermissionError):
        pass
    if handle is not None:
        handle.wait()
    else:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


def run_all(runs: list[dict], spec: dict, parallel: int) -> dict[str, dict]:
    """Run `runs` at most `parallel` at a time; a run past its deadline is killed.

    The deadline is the engine's patience: run_timeout on an idle machine, more on a loaded
    one and while the suite still uses CPU, so a busy machine never fails a learner's suite.
    """
    from shiplings.patience import Patience

    results: dict[str, dict] = {}
    waiting = list(runs)
    active: dict[int, tuple[dict, object, Patience]] = {}
    while waiting or active:
        while waiting and len(active) < parallel:
            run = waiting.pop(0)
            pid, handle = _start(run, spec)
            active[pid] = (run, handle, Patience(spec["run_timeout"], pid=pid))
        for pid, (run, handle, patience) in list(active.items()):
            code = _poll(pid, handle)
            late = code is None and patience.look() is not None
            if late:
                _kill(pid, handle)
            if code is not None or late:
                del active[pid]
                results[run["name"]] = {"exit_code": code, "timed_out": late,
                                        "seconds": round(patience.elapsed(), 2)}
        time.sleep(0.01)
    return results


def collect(run: dict, raw: dict | None) -> SuiteResult:
    result = SuiteResult(run["name"])
    if raw is not None:
        result.ran = True
        result.exit_code, result.timed_out, result.seconds = raw["exit_code"], raw["timed_out"], raw["seconds"]
        try:
            report = json.loads(Path(run["report"]).read_text())
        except (OSError, ValueError):
            report = {"tests": [], "collect_errors": []}
        result.tests = [TestOutcome(**test) for test in report["tests"]]
        result.collect_errors = report["collect_errors"]
        try:
            result.output = Path(run["log"]).read_text(errors="replace")[-4000:]
        except OSError:
            pass
        try:
            hosts = Path(run["network_log"]).read_text().split()
            result.refused_hosts = sorted(set(hosts))
        except OSError:
            pass
    return result


def main(spec_path: Path) -> None:
    spec = json.loads(spec_path.read_text())
    if hasattr(os, "fork") and not spec.get("no_fork"):
        import importlib

        for name in PRELOAD:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001  (a missing extra only costs time)
                pass
    clean, *bugs = spec["runs"]
    raw = run_all([clean], spec, 1)
    results = [collect(clean, raw.get(clean["name"]))]
    if bugs and results[0].green(spec["todo_marker"]):
        spec = {**spec, "args": [*spec["args"], *spec.get("bug_args", [])]}
        raw = run_all(bugs, spec, spec.get("parallel", 2))
        results += [collect(run, raw.get(run["name"])) for run in bugs]
    Path(spec["results"]).write_text(json.dumps([asdict(result) for result in results]))


def load_results(path: Path) -> dict[str, SuiteResult]:
    results = {}
    for data in json.loads(path.read_text()):
        tests = [TestOutcome(**test) for test in data.pop("tests")]
        results[data["name"]] = SuiteResult(**data, tests=tests)
    return results


if __name__ == "__main__":
    if sys.argv[1] == "--one":
        request = json.loads(sys.argv[2])
        sys.exit(_child(request["run"], request["args"]))
    main(Path(sys.argv[1]))
