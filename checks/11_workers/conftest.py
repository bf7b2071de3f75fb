"""Helpers for the lesson 11 checks: read the learner's gunicorn.conf.py, run it for real.

- `gunicorn_config(cpus=..., env=...)` loads gunicorn.conf.py the way gunicorn does (a fresh
  module run from the file) on a machine with that many CPUs and that environment, and
  returns gunicorn's own validated Config, so defaults and types are gunicorn's.
- `gunicorn_server(...)` starts `gunicorn -c gunicorn.conf.py app.main:app` from the
  workspace on a free loopback port, each run with its own XDG_RUNTIME_DIR (gunicorn's
  control socket lives there: parallel runs never meet) and its own metrics folder.
- `three_workers` is one such server with WEB_CONCURRENCY=3, shared by the checks that run
  it: the worker count, the load, and last the SIGTERM, which stops it. `plain_gunicorn` is
  the same command with neither TASKS_ENVIRONMENT nor TASKS_SECRET_KEY set, which should
  refuse to start; it boots in the background while the others run (`gunicorns`).
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

from shiplings import testing
from support.apps import app_environment
from support.upstream import FakeUpstream

CONFIG = "gunicorn.conf.py"
COMMAND = ["gunicorn", "-c", CONFIG, "--bind", "127.0.0.1:{port}", "app.main:app"]
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


# gunicorn forks its workers one after another, at most 0.1 s apart (Arbiter.spawn_workers):
# once the youngest worker is this old, the master is done forking.
FORKS_DONE_AFTER = 0.5


def seconds_since_start(pid: int) -> float | None:
    """How long ago the process started (Linux: /proc), or None where that cannot be read."""
    if not hasattr(time, "CLOCK_BOOTTIME"):
        return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # field 22, starttime: clock ticks after boot, the clock CLOCK_BOOTTIME reads
    started = int(stat.rsplit(")", 1)[1].split()[19]) / os.sysconf("SC_CLK_TCK")
    return time.clock_gettime(time.CLOCK_BOOTTIME) - started


def _wait_for_workers(master: int, expected: int, timeout: float = 3.0) -> list[int]:
    """The master's children once gunicorn is done forking them, or what there is at the deadline.

    By the time the server has answered a request they usually all exist; the wait covers a
    master still forking, or a worker that dies at boot and is replaced. Where process ages
    cannot be read (macOS), the count is trusted once it is `expected` and holds 0.3 s.
    """
    deadline = time.monotonic() + timeout
    while True:
        seen = worker_pids(master)
        ages = [seconds_since_start(pid) for pid in seen]
        if seen and None not in ages:
            if min(ages) >= FORKS_DONE_AFTER:
                return seen
        elif len(seen) == expected and not Path("/proc").is_dir():
            time.sleep(0.3)
            if worker_pids(master) == seen:
                return seen
        if time.monotonic() >= deadline:
            return seen
        time.sleep(0.05)


@pytest.fixture
def workers_of():
    """workers_of(master_pid, expected) -> the master's children once gunicorn is done forking them."""
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


@contextlib.contextmanager
def gunicorn_server(workspace: Path, folder: Path, env: dict[str, str], grace: float = 15.0,
                    stale_metrics: bool = False):
    """`gunicorn -c gunicorn.conf.py app.main:app` from the workspace, answering on a free loopback port.

    `folder` is a new folder of this server's own: its XDG_RUNTIME_DIR (gunicorn's control
    socket lives there: parallel runs never meet) and its PROMETHEUS_MULTIPROC_DIR, as a
    production image sets it (`.metrics` on the server); with stale_metrics=True that folder
    holds the file an earlier run left. `env` is the app's environment. The server is a
    lifeline child (shiplings.services): it stops when the block ends, and dies with the check
    however the check ends.
    """
    from shiplings import services

    runtime = folder / "runtime"
    metrics = folder / "prometheus"
    runtime.mkdir()
    metrics.mkdir()
    if stale_metrics:
        leave_stale_metrics(metrics)
    full_env = {
        "XDG_RUNTIME_DIR": str(runtime),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics),
        "TASKS_RATE_LIMIT_DEFAULT": LOAD_RATE_LIMIT,
        "TASKS_LOG_JSON": "true",
        "PYTHONUNBUFFERED": "1",
        **env,
    }
    server = services.app_server(COMMAND, cwd=workspace, env=full_env, ready_path="/health",
                                 timeout=40, grace=grace)
    try:
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


def server_env(migrated_template, folder: Path, **more: str) -> dict[str, str]:
    """The app's environment for a server of a check: test mode, its own migrated SQLite database."""
    return {**app_environment(testing.copy_template(migrated_template, folder / "tasks.db")), **more}


@pytest.fixture(scope="module")
def gunicorns(migrated_template, tmp_path_factory, slow_upstream):
    """The module's two gunicorn runs, as Futures: (three_workers, plain_gunicorn) below.

    One background thread starts them one after the other: the first answers as soon as it
    would alone, and the second boots while the checks use the first (the SIGTERM check
    mostly waits), instead of after them. Both stop when the module's checks are done.
    """
    from shiplings import services

    three = tmp_path_factory.mktemp("three-workers")
    three_env = server_env(migrated_template, three, WEB_CONCURRENCY="3", TASKS_HOLIDAYS_API_URL=slow_upstream.url)
    plain = tmp_path_factory.mktemp("plain-gunicorn")
    plain_env = {
        **server_env(migrated_template, plain),
        "TASKS_ENVIRONMENT": None,  # nobody remembered it
        "TASKS_SECRET_KEY": None,
        "WEB_CONCURRENCY": "2",
        "XDG_RUNTIME_DIR": str(plain),
        "PROMETHEUS_MULTIPROC_DIR": str(plain / "metrics"),
    }
    (plain / "metrics").mkdir()  # the multiprocess folder is not what this run is about
    three_server = gunicorn_server(testing.workspace(), three, three_env, stale_metrics=True)
    plain_server = services.app_server(COMMAND, cwd=testing.workspace(), env=plain_env, ready_path="/health",
                                       timeout=40)
    with services.started_in_background() as start:
        yield start(three_server), start(plain_server)


@pytest.fixture(scope="module")
def three_workers(gunicorns):
    """gunicorn with the learner's config and WEB_CONCURRENCY=3, for every check of the module that runs it.

    Three, not two: a config that ignores WEB_CONCURRENCY still runs one worker per core,
    two on a 2-core machine, and the worker count shows it. Its metrics folder starts with
    the file an earlier run left (stale_metrics), which on_starting must remove. Checks that
    share it must measure what they change (a count before and after), never a total; the
    SIGTERM check stops it, so it comes last of them.
    """
    return gunicorns[0].result()


@pytest.fixture(scope="module")
def plain_gunicorn(gunicorns):
    """A Future of `gunicorn -c gunicorn.conf.py app.main:app` run with neither TASKS_ENVIRONMENT nor
    TASKS_SECRET_KEY: the running server (shiplings.services.RunningApp), or services.AppStopped
    once it stopped before it answered."""
    return gunicorns[1]


# --- a slow holidays service --------------------------------------------------------------

@pytest.fixture(scope="module")
def slow_upstream():
    """A fake holidays service that answers after 1.5 s; `reached` is set once a request arrived."""
    with FakeUpstream(delay=1.5) as upstream:
        yield upstream
