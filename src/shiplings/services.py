"""Real servers for checks and notebooks: PostgreSQL, Redis and the learner's app.

Each starts on a free loopback port in a scratch folder, is waited for until it
answers, and is stopped when the block ends, whatever happened inside. They are started
through shiplings.lifeline, so they also die with the process that started them, even
one killed with SIGKILL; waits follow shiplings.patience, so a slow machine is given
time while a hung server is reported as such.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from shiplings import lifeline, tools
from shiplings.locks import exclusive
from shiplings.net import free_port
from shiplings.paths import state_dir
from shiplings.patience import Patience
from shiplings.scratch import fast_dir
from shiplings.scratch import prefix as scratch_prefix


class ServiceUnavailable(RuntimeError):
    """A tool the lesson needs is not installed on this machine; the message says how to install it.

    A check that meets it reports "cannot run", never a failure: the learner's code was not
    tried, so it is neither right nor wrong (see shiplings.pytest_plugin).
    """

    def __init__(self, tool: str) -> None:
        self.tool = tool
        self.fix = tools.fix_for(tool)
        super().__init__(
            f"cannot run: {tool} is not installed on this machine, and this check needs a real one. "
            f"This says nothing about your code. Install it with: {self.fix}  "
            "(`shiplings doctor` checks everything the course needs), then check again."
        )


def _require(name: str) -> str:
    path = tools.find(name)
    if path is None:
        raise ServiceUnavailable(name)
    return path


def wait_for_port(port: int, process: subprocess.Popen | None = None, timeout: float = 20.0,
                  what: str = "the server") -> None:
    """Wait until something listens on the port: `timeout` s on an idle machine, longer while
    `process` (or this process, without one) is busy starting."""
    patience = Patience(timeout, pid=process.pid if process is not None else None)
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} stopped before it listened on port {port}")
        with socket.socket() as probe:
            probe.settimeout(0.2)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        if verdict := patience.look():
            reason = verdict.explain()
            raise TimeoutError(f"{what} did not listen on 127.0.0.1:{port} within {verdict.waited:.0f} s"
                               + (f": {reason}" if reason else ""))
        time.sleep(0.05)


def stop(process: subprocess.Popen, grace: float = 10.0, sig: int | None = None) -> None:
    """Stop a server and its workers: its stop signal to its process group, wait, then kill."""
    lifeline.stop(process, grace=grace, sig=sig)


# --- PostgreSQL -------------------------------------------------------------------------

@dataclass(frozen=True)
class Postgres:
    port: int
    user: str = "postgres"
    database: str = "postgres"

    def url(self, driver: str = "postgresql+asyncpg", database: str | None = None) -> str:
        return f"{driver}://{self.user}@127.0.0.1:{self.port}/{database or self.database}"


def _as_postgres_user() -> dict:
    """Popen arguments that run initdb and postgres as Debian's `postgres` user when we are root.

    They refuse to run as root. Python switches the user itself (no runuser, which would
    fork: the server would not be our child, and would not die with us).
    """
    if tools.is_root():
        return {"user": "postgres", "group": "postgres", "extra_groups": []}
    return {}


INITDB_OPTIONS = ["-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"]


@contextlib.contextmanager
def postgres() -> Iterator[Postgres]:
    """A throwaway PostgreSQL cluster on a free port (trust auth, loopback only)."""
    initdb = _require("postgresql")
    bin_dir = Path(os.path.realpath(initdb)).parent
    scratch = Path(tempfile.mkdtemp(prefix=scratch_prefix("pg"), dir=fast_dir()))
    data = scratch / "data"
    if tools.is_root():
        shutil.chown(scratch, "postgres")
        scratch.chmod(0o700)
    port = free_port()
    log = scratch / "server.log"
    try:
        _copy_cluster(_cluster_template(bin_dir), data)
        with open(log, "w") as log_file:
            process = lifeline.spawn(
                [str(bin_dir / "postgres"), "-D", str(data), "-p", str(port),
                 "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={scratch}",
                 "-c", "fsync=off", "-c", "full_page_writes=off"],
                stop_signal=signal.SIGINT,  # PostgreSQL's "fast" shutdown
                stdout=subprocess.DEVNULL, stderr=log_file, **_as_postgres_user(),
            )
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    try:
        wait_for_port(port, process, what="PostgreSQL")
        _wait_until_accepting(port, process)
        yield Postgres(port)
    finally:
        stop(process)
        shutil.rmtree(scratch, ignore_errors=True)


def _cluster_template(bin_dir: Path) -> Path:
    """A fresh cluster's data folder, made by initdb once per PostgreSQL build and kept.

    initdb costs 1.3 s of CPU (2-5 s on a loaded machine) every time; copying its result
    costs a fraction of that, and every check that needs PostgreSQL starts one.
    """
    build = bin_dir / "postgres"
    info = build.stat()
    key = hashlib.sha256(f"{build}\0{info.st_size}\0{info.st_mtime_ns}\0{INITDB_OPTIONS}".encode()).hexdigest()[:16]
    template = state_dir() / "cache" / "postgres" / key
    if (template / "PG_VERSION").is_file():
        return template
    with exclusive(template.with_suffix(".lock")):
        if (template / "PG_VERSION").is_file():  # another check made it while we waited
            return template
        scratch = Path(tempfile.mkdtemp(prefix=scratch_prefix("pginit")))
        try:
            if tools.is_root():
                shutil.chown(scratch, "postgres")
            lifeline.run([str(bin_dir / "initdb"), "-D", str(scratch / "data"), *INITDB_OPTIONS],
                         **_as_postgres_user())
            for leftover in (template, template.with_suffix(".partial")):  # what a killed check left half-made
                shutil.rmtree(leftover, ignore_errors=True)
            shutil.copytree(scratch / "data", template.with_suffix(".partial"), symlinks=True)
            template.with_suffix(".partial").rename(template)  # whole, or not there at all
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
            shutil.rmtree(template.with_suffix(".partial"), ignore_errors=True)
    return template


def _copy_cluster(template: Path, data: Path) -> None:
    """The template's files as a new cluster, owned by the user the server runs as."""
    shutil.copytree(template, data, symlinks=True)
    data.chmod(0o700)  # PostgreSQL refuses a data folder others can read
    if tools.is_root():
        import pwd

        postgres_user = pwd.getpwnam("postgres")
        ids = postgres_user.pw_uid, postgres_user.pw_gid
        os.chown(data, *ids)
        for folder, subfolders, files in os.walk(data):
            for name in subfolders + files:
                os.chown(os.path.join(folder, name), *ids, follow_symlinks=False)


def _wait_until_accepting(port: int, process: subprocess.Popen, timeout: float = 20.0) -> None:
    """The port opens a moment before the server accepts logins; ask until it does."""
    patience = Patience(timeout, pid=process.pid)
    startup = (
        b"\x00\x03\x00\x00user\x00postgres\x00database\x00postgres\x00\x00"
    )
    message = (len(startup) + 4).to_bytes(4, "big") + startup
    while True:
        reply = b""
        with contextlib.suppress(OSError):  # a loaded machine may take its time to accept
            with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
                conn.sendall(message)
                reply = conn.recv(1)
        if reply == b"R":  # AuthenticationOk (trust): the server is ready
            return
        if verdict := patience.look():
            reason = verdict.explain()
            raise TimeoutError("PostgreSQL did not accept connections in time" + (f": {reason}" if reason else ""))
        time.sleep(0.1)


# --- Redis ------------------------------------------------------------------------------

@contextlib.contextmanager
def redis() -> Iterator[str]:
    """A throwaway Redis on a free port, nothing persisted; yields its redis:// URL."""
    server = _require("redis")
    port = free_port()
    scratch = Path(tempfile.mkdtemp(prefix=scratch_prefix("redis")))
    process = lifeline.spawn(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(scratch), "--daemonize", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process, what="Redis")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(process)
        shutil.rmtree(scratch, ignore_errors=True)


# --- the learner's app as a real server -------------------------------------------------

def merged_env(changes: dict[str, str | None] | None) -> dict[str, str]:
    env = dict(os.environ)
    for key, value in (changes or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


@dataclass
class RunningApp:
    url: str
    port: int
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def not_ready_message(command: list[str], url: str, verdict) -> str:
    shown = " ".join(command)
    if verdict.kind == "hung":
        return (f"`{shown}` did not answer on {url} within {verdict.waited:.0f} s, and it used no CPU "
                f"in the last {verdict.window:.0f} s, so it is waiting on something: a database or "
                "service it cannot reach, or a blocking call while it starts.")
    if verdict.kind == "busy":
        return (f"`{shown}` was still busy starting after {verdict.waited:.0f} s without answering on "
                f"{url}: it kept the CPU working all that time, so look for an endless loop in what runs "
                "at start-up.")
    return f"`{shown}` did not answer on {url} within {verdict.waited:.0f} s."


class AppStopped(RuntimeError):
    """The server command ended before it answered; `output` is everything it printed (the
    message keeps only its end, where the reason usually is)."""

    def __init__(self, command: list[str], output: str) -> None:
        super().__init__(f"`{' '.join(command)}` stopped before it answered. What it printed:\n{output[-2000:]}")
        self.output = output


def app_server(command: list[str], cwd: Path, env: dict[str, str | None] | None = None, port: int | None = None,
               ready_path: str = "/docs", timeout: float = 30.0, grace: float = 10.0,
               ceiling: float = 3.0) -> contextlib.AbstractContextManager[RunningApp]:
    """Run a server command (with {port} filled in) in the workspace until it answers.

    `command` is e.g. ["uvicorn", "app.main:app", "--port", "{port}"]; a leading
    "uvicorn", "gunicorn" or "fastapi" runs from this Python environment. `env` adds to
    this process's environment as it is when app_server() is called, not when the server
    starts: a check may enter it in a background thread while other checks change
    os.environ. A value of None removes that variable.

    It gets `timeout` s to answer on an idle machine, more on a loaded one, and more while
    it keeps the CPU busy starting, up to `ceiling` times that (see shiplings.patience).
    """
    return _app_server(command, cwd, merged_env(env), port, ready_path, timeout, grace, ceiling)


@contextlib.contextmanager
def _app_server(command: list[str], cwd: Path, env: dict[str, str], port: int | None, ready_path: str,
                timeout: float, grace: float, ceiling: float) -> Iterator[RunningApp]:
    import httpx

    port = port or free_port()
    command = [part.replace("{port}", str(port)) for part in command]  # as the messages show it
    argv = command
    if argv[0] in ("uvicorn", "gunicorn", "fastapi"):
        argv = [sys.executable, "-m", {"fastapi": "fastapi"}.get(argv[0], argv[0]), *argv[1:]]
    scratch = Path(tempfile.mkdtemp(prefix=scratch_prefix("app")))
    log = scratch / "server.log"
    with open(log, "w") as log_file:
        process = lifeline.spawn(
            argv, cwd=cwd, env=env, stdout=log_file, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    running = RunningApp(f"http://127.0.0.1:{port}", port, process, log)
    try:
        patience = Patience(timeout, pid=process.pid, ceiling=ceiling)
        while True:
            if process.poll() is not None:
                raise AppStopped(command, running.output())
            try:
                httpx.get(running.url + ready_path, timeout=1)
                break
            except httpx.HTTPError:
                if verdict := patience.look():
                    raise TimeoutError(
                        not_ready_message(command, running.url, verdict)
                        + " What it printed:\n" + running.output()[-2000:]
                    ) from None
                time.sleep(0.1)
        yield running
    finally:
        stop(process, grace=grace)
        shutil.rmtree(scratch, ignore_errors=True)


Entered = TypeVar("Entered")


@contextlib.contextmanager
def started_in_background() -> Iterator[Callable[[contextlib.AbstractContextManager[Entered]], Future[Entered]]]:
    """start(server) -> a Future of the entered server; every server is stopped when the block ends.

    A check's servers start while the checks before them run: their seconds of start-up
    overlap work instead of adding to it. One thread starts them one after another, in the
    order given: two starts at once only fight over a small machine's cores. On the way out
    the thread is done first (a start still in flight ends), then each server it started is
    stopped, the last started first; a start that failed is raised by its Future.
    """
    with contextlib.ExitStack() as stack, ThreadPoolExecutor(max_workers=1) as background:
        yield lambda server: background.submit(stack.enter_context, server)
