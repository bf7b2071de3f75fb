"""Helpers for the lesson 11 checks: read the learner's gunicorn.conf.py, run it for real.

- `gunicorn_config(cpus=..., env=...)` loads gunicorn.conf.py the way gunicorn does (a fresh
  module run from the file) on a machine with that many CPUs and that environment, and
  returns gunicorn's own validated Config, so defaults and types are gunicorn's.
- `run_gunicorn(...)` starts `gunicorn -c gunicorn.conf.py app.main:app` from the
  workspace on a free loopback port, in the check's app environment, each run with its
  own XDG_RUNTIME_DIR (gunicorn's control socket lives there: parallel runs never meet).
- `workers_of(master, n)` lists the master's child processes (/proc, or `ps` on macOS).
- `slow_upstream` is the fake holidays service (support.upstream) answering after
  `delay` seconds; it says when a request reached it, so a check knows one is in flight.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.upstream import FakeUpstream

CONFIG = "gunicorn.conf.py"
# Not the learner's 120/minute: the load check sends 200 requests from one address.
LOAD_RATE_LIMIT = "100000/minute"


# --- the configuration, as gunicorn reads it ---------------------------------------------

def _run_config_file(path: Path) -> dict:
    spec = importlib.util.spec_from_file_location("__config__", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as error:  # the learner's file: show where it broke, as gunicorn would
        raise AssertionError(
            f"gunicorn could not read {CONFIG}: running it raised {type(error).__name__}: {error}. "
            "gunicorn runs the file as Python when it starts and stops when it raises."
        ) from error
    return vars(module)


def _read_config(workspace: Path, monkeypatch, cpus: int = 2, env: dict[str, str] | None = None):
    from gunicorn.config import Config

    path = workspace / CONFIG
    assert path.is_file(), (
        f"There is no {CONFIG} in your workspace ({workspace}). Create it next to app/: gunicorn "
        "reads ./gunicorn.conf.py when it starts."
    )
    with monkeypatch.context() as patch:
        for name in ("WEB_CONCURRENCY", "TASKS_WORKERS"):
            patch.delenv(name, raising=False)
        for name, value in (env or {}).items():
            patch.setenv(name, value)
        patch.setattr(os, "cpu_count", lambda: cpus)
        if hasattr(os, "process_cpu_count"):
            patch.setattr(os, "process_cpu_count", lambda: cpus)
        if hasattr(os, "sched_getaffinity"):
            patch.setattr(os, "sched_getaffinity", lambda pid: set(range(cpus)))
        import multiprocessing

        patch.setattr(multiprocessing, "cpu_count", lambda: cpus)
        names = _run_config_file(path)
    config = Config()
    for key, value in names.items():
        if key in config.settings:
            try:
                config.set(key.lower(), value)
            except Exception as error:
                raise AssertionError(
                    f"gunicorn refuses `{key} = {value!r}` in {CONFIG}: {error}"
                ) from error
    return config, names


@pytest.fixture
def gunicorn_config(workspace, monkeypatch):
    """gunicorn_config(cpus=2, env=None) -> (gunicorn's Config, the names the file defines).

    Runs gunicorn.conf.py with WEB_CONCURRENCY unset (plus `env`) on a machine that looks
    like it has `cpus` CPUs to every way Python counts them.
    """

    def read(cpus: int = 2, env: dict[str, str] | None = None):
        return _read_config(workspace, monkeypatch, cpus, env)

    return read


# --- gunicorn for real --------------------------------------------------------------------

def worker_pids(master: int) -> list[int]:
    """The pids of the master's child processes."""
    children = []
    proc = Path("/proc")
    if proc.is_dir():
        for entry in proc.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == master and fields[0] != "Z":
                children.append(int(entry.name))
        return sorted(children)
    listing = subprocess.run(["ps", "-A", "-o", "pid=,ppid=,stat="], capture_output=True, text=True).stdout
    for line in listing.splitlines():
        pid, ppid, state = (line.split() + ["", "", ""])[:3]
        if ppid == str(master) and not state.startswith("Z"):
            children.append(int(pid))
    return sorted(children)


def _wait_for_workers(master: int, expected: int, timeout: float = 3.0) -> list[int]:
    """The master's children once there are `expected` of them, or what there is at the deadline.

    gunicorn forks all its workers right after it binds, so by the time the server has
    answered a request they all exist; the wait only covers a slow fork, or a worker that
    dies at boot (it would vanish within the deadline).
    """
    deadline = time.monotonic() + timeout
    seen = worker_pids(master)
    while time.monotonic() < deadline:
        if len(seen) == expected:
            time.sleep(0.3)
            again = worker_pids(master)
            if again == seen:
                return seen
        time.sleep(0.1)
        seen = worker_pids(master)
    return seen


@pytest.fixture
def workers_of():
    """workers_of(master_pid, expected) -> the master's children once `expected` are up."""
    return _wait_for_workers


STALE_COUNT = 100_000  # what the metrics file of an earlier run claims


def leave_stale_metrics(folder: Path) -> None:
    """Write the metrics file an earlier run of the server would leave: 100,000 GET /health."""
    code = (
        "from prometheus_client import Counter\n"
        "Counter('http_requests_total', 'Total number of requests by method, status and handler.',"
        f" ['method', 'status', 'handler']).labels('GET', '2xx', '/health').inc({STALE_COUNT})\n"
    )
    subprocess.run([sys.executable, "-c", code], env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)},
                   check=True, capture_output=True, timeout=30)


@pytest.fixture
def run_gunicorn(workspace, app_env, tmp_path):
    """run_gunicorn(env) -> a context manager: gunicorn with the learner's config, running.

    The server gets PROMETHEUS_MULTIPROC_DIR, as a production image sets it (`.metrics` on
    the server); with stale_metrics=True that folder holds the file an earlier run left.
    """
    from shiplings import services

    @contextlib.contextmanager
    def start(env: dict[str, str] | None = None, grace: float = 15.0, stale_metrics: bool = False):
        runtime = tmp_path / "runtime"
        runtime.mkdir(exist_ok=True)
        metrics = tmp_path / "prometheus"
        metrics.mkdir(exist_ok=True)
        if stale_metrics:
            leave_stale_metrics(metrics)
        full_env = {
            "XDG_RUNTIME_DIR": str(runtime),
            "PROMETHEUS_MULTIPROC_DIR": str(metrics),
            "TASKS_RATE_LIMIT_DEFAULT": LOAD_RATE_LIMIT,
            "TASKS_LOG_JSON": "true",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        command = ["gunicorn", "-c", CONFIG, "--bind", "127.0.0.1:{port}", "app.main:app"]
        try:
            server = services.app_server(command, cwd=workspace, env=full_env, ready_path="/health",
                                         timeout=40, grace=grace)
            running = server.__enter__()
        except (RuntimeError, TimeoutError) as error:
            raise AssertionError(
                f"`gunicorn -c {CONFIG} app.main:app` should start and answer; it did not. {error}"
            ) from None
        try:
            running.runtime = runtime
            running.metrics = metrics
            yield running
        finally:
            server.__exit__(*sys.exc_info())

    return start


# --- a slow holidays service --------------------------------------------------------------

@pytest.fixture
def slow_upstream():
    """A fake holidays service that answers after 1.5 s; `reached` is set once a request arrived."""
    with FakeUpstream(delay=1.5) as upstream:
        yield upstream
