"""Helpers for the lesson 10 checks: the learner's app as a real server, what it logs, and the
PostgreSQL the probe check freezes.

Log lines are read where an operator reads them: from the output of a real uvicorn
process. That catches every way a line can get there (structlog, the standard library's
logging, uvicorn's own access log, a stray print()).

The real servers of a run (the log checks' uvicorn, the metrics check's two workers and the
PostgreSQL the probe check freezes) start in the background as the run begins, so that their
start overlaps the in-process checks instead of following them (early_servers,
outage_postgres).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field

import pytest

from shiplings import services
from shiplings.testing import copy_template, workspace
from support.apps import app_environment, selected
from support.outages import early_postgres


def server_env(database_url: str) -> dict[str, str]:
    """The environment of a server started by a check: test mode, its own database, JSON logs.

    The rate limits of lesson 09 stay on, generous: they do not get in the way of a few
    dozen requests from one address.
    """
    return {
        **app_environment(database_url),
        "TASKS_LOG_LEVEL": "INFO",
        "TASKS_LOG_JSON": "true",
        "TASKS_RATE_LIMIT_STORAGE_URI": "memory://",
        "PYTHONUNBUFFERED": "1",
    }


def as_json(line: str) -> dict | None:
    """The line as a JSON object, or None when it is not one."""
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def tail(lines: list[str], count: int = 8, width: int = 220) -> str:
    shown = [line if len(line) <= width else line[:width] + "..." for line in lines[-count:]]
    return "\n        ".join(shown) if shown else "(nothing)"


@dataclass
class LoggedServer:
    """A running server of the learner's app, or why it did not start."""

    url: str = ""
    running: services.RunningApp | None = None
    problem: str = ""
    seen: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        output = self.running.output() if self.running else ""
        return [line for line in output.splitlines() if line.strip()]

    def wait_for(self, found: Callable[[list[str]], bool], timeout: float = 3.0) -> list[str]:
        """The output's lines, once found(lines) holds (or the timeout passed)."""
        deadline = time.monotonic() + timeout
        while True:
            lines = self.lines()
            if found(lines) or time.monotonic() > deadline:
                return lines
            time.sleep(0.05)

    def lines_with(self, text: str, timeout: float = 3.0) -> list[str]:
        """All lines, after waiting until one of them mentions text."""
        return self.wait_for(lambda lines: any(text in line for line in lines), timeout)

    def require(self) -> LoggedServer:
        assert not self.problem, (
            "The check could not start your app as a real server (`uvicorn app.main:app`), so it "
            f"cannot read its log lines. {self.problem[-1500:]}"
        )
        return self

    # reading lines
    as_json = staticmethod(as_json)
    tail = staticmethod(tail)

    @staticmethod
    def access_lines(lines: list[str], request_id: str) -> list[dict]:
        """The JSON lines that log the request with this id: they carry its id and a status."""
        return [
            record
            for record in map(as_json, lines)
            if record is not None and record.get("request_id") == request_id and "status" in record
        ]


@pytest.fixture(scope="session", autouse=True)
def outage_postgres(request):
    """The PostgreSQL of test_health_and_ready (an EarlyPostgres: `.take()` it), which that check
    freezes and stops: started as the lesson's first check begins, so that its start and
    migrations overlap the log and metrics checks (test_probes.py runs after them). None when
    the run does not include that check."""
    with early_postgres(request.session, "test_health_and_ready") as early:
        yield early


LOG_CHECKS = ("test_one_json_line_per_request", "test_request_id", "test_no_secrets_in_logs")
METRICS_CHECK = "test_metrics_count_across_workers"
UVICORN = ["uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", "{port}"]
METRICS_COMMAND = [*UVICORN, "--workers", "2"]


@dataclass
class EarlyServers:
    """The run's real servers, starting in the background: Futures of their RunningApp (None when
    the run does not include the checks that use them). A failed start is raised by result()."""

    logs: Future | None
    metrics: Future | None


@pytest.fixture(scope="session", autouse=True)
def early_servers(request, migrated_template, tmp_path_factory) -> Iterator[EarlyServers]:
    """`uvicorn app.main:app` for the log checks, on its own migrated SQLite database, and
    `uvicorn ... --workers 2` with a multiprocess metrics folder for the metrics check, both
    started as the run begins. Their environment is taken now (services.app_server), before the
    in-process checks change os.environ. Both stop when the run ends, and die with it however it
    ends (shiplings.lifeline)."""

    def server(command: list[str], name: str, timeout: float, **more: str):
        """The server, not started yet, on its own copy of the migrated database."""
        folder = tmp_path_factory.mktemp(name)
        env = {**server_env(copy_template(migrated_template, folder / "tasks.db")), **more}
        return services.app_server(command, cwd=workspace(), env=env, ready_path="/health", timeout=timeout)

    def logs():
        return server(UVICORN, "log-server", timeout=30)

    def metrics():
        folder = tmp_path_factory.mktemp("prometheus")
        return server(METRICS_COMMAND, "metrics-server", timeout=60, PROMETHEUS_MULTIPROC_DIR=str(folder))

    # One after the other, the log checks' server first: they come first. Two starts at once,
    # beside the outage PostgreSQL and the in-process checks, only fought over two cores
    # (measured: the run took longer).
    with services.started_in_background() as start:
        # only what the run's checks use: a run of one check (a mutant's) starts nothing else
        yield EarlyServers(
            logs=start(logs()) if selected(request.session, *LOG_CHECKS) else None,
            metrics=start(metrics()) if selected(request.session, METRICS_CHECK) else None,
        )


@pytest.fixture(scope="module")
def server(early_servers) -> LoggedServer:
    """`uvicorn app.main:app` on a free port, on its own migrated SQLite database (early_servers)."""
    try:
        running = early_servers.logs.result()
    except (RuntimeError, TimeoutError) as error:
        return LoggedServer(problem=str(error))
    return LoggedServer(url=running.url, running=running)


@pytest.fixture
def metrics_server(early_servers) -> services.RunningApp:
    """`uvicorn app.main:app --workers 2` with PROMETHEUS_MULTIPROC_DIR set, answering (early_servers)."""
    try:
        return early_servers.metrics.result()
    except (RuntimeError, TimeoutError) as error:
        raise AssertionError(
            f"The check could not start `{' '.join(METRICS_COMMAND)}`: {str(error)[-1500:]}"
        ) from None
