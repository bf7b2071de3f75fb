"""Real servers for checks and notebooks: PostgreSQL, Redis and the learner's app.

Each starts on a free loopback port in a scratch folder, is waited for until it
answers, and is stopped by its pid when the block ends, whatever happened inside.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from shiplings import tools
from shiplings.net import free_port


class ServiceUnavailable(RuntimeError):
    """A tool the lesson needs is not installed; the message says how to install it."""


def _require(name: str) -> str:
    path = tools.find(name)
    if path is None:
        raise ServiceUnavailable(
            f"{name} is not installed, and this lesson's checks need a real one. "
            f"Install it with: {tools.fix_for(name)}  (`shiplings doctor` lists everything)."
        )
    return path


def wait_for_port(port: int, process: subprocess.Popen | None = None, timeout: float = 20.0,
                  what: str = "the server") -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} stopped before it listened on port {port}")
        with socket.socket() as probe:
            probe.settimeout(0.2)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not listen on 127.0.0.1:{port} within {timeout} s")
        time.sleep(0.05)


def stop(process: subprocess.Popen, grace: float = 10.0, sig: int = signal.SIGTERM) -> None:
    """Stop a process group started with start_new_session=True: signal, wait, then kill."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- PostgreSQL -------------------------------------------------------------------------

@dataclass(frozen=True)
class Postgres:
    port: int
    user: str = "postgres"
    database: str = "postgres"

    def url(self, driver: str = "postgresql+asyncpg", database: str | None = None) -> str:
        return f"{driver}://{self.user}@127.0.0.1:{self.port}/{database or self.database}"


def _as_postgres_user(command: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root; Debian ships a `postgres` system user
    if tools.is_root():
        runuser = shutil.which("runuser") or "/usr/sbin/runuser"
        return [runuser, "-u", "postgres", "--", *command]
    return command


@contextlib.contextmanager
def postgres() -> Iterator[Postgres]:
    """A throwaway PostgreSQL cluster on a free port (trust auth, loopback only)."""
    initdb = _require("postgresql")
    bin_dir = Path(os.path.realpath(initdb)).parent
    scratch = Path(tempfile.mkdtemp(prefix="shiplings-pg-"))
    data = scratch / "data"
    if tools.is_root():
        shutil.chown(scratch, "postgres")
        scratch.chmod(0o700)
    port = free_port()
    log = scratch / "server.log"
    subprocess.run(
        _as_postgres_user([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres",
                           "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"]),
        check=True, capture_output=True,
    )
    process = subprocess.Popen(
        _as_postgres_user([str(bin_dir / "postgres"), "-D", str(data), "-p", str(port),
                           "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={scratch}",
                           "-c", "fsync=off", "-c", "full_page_writes=off"]),
        stdout=subprocess.DEVNULL, stderr=open(log, "w"), start_new_session=True,  # noqa: SIM115
    )
    try:
        wait_for_port(port, process, what="PostgreSQL")
        _wait_until_accepting(port)
        yield Postgres(port)
    finally:
        stop(process, sig=signal.SIGINT)  # SIGINT is PostgreSQL's "fast" shutdown
        shutil.rmtree(scratch, ignore_errors=True)


def _wait_until_accepting(port: int, timeout: float = 20.0) -> None:
    """The port opens a moment before the server accepts logins; ask until it does."""
    deadline = time.monotonic() + timeout
    startup = (
        b"\x00\x03\x00\x00user\x00postgres\x00database\x00postgres\x00\x00"
    )
    message = (len(startup) + 4).to_bytes(4, "big") + startup
    while True:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
            conn.sendall(message)
            reply = conn.recv(1)
        if reply == b"R":  # AuthenticationOk (trust): the server is ready
            return
        if time.monotonic() > deadline:
            raise TimeoutError("PostgreSQL did not accept connections in time")
        time.sleep(0.1)


# --- Redis ------------------------------------------------------------------------------

@contextlib.contextmanager
def redis() -> Iterator[str]:
    """A throwaway Redis on a free port, nothing persisted; yields its redis:// URL."""
    server = _require("redis")
    port = free_port()
    scratch = Path(tempfile.mkdtemp(prefix="shiplings-redis-"))
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(scratch), "--daemonize", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
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


@contextlib.contextmanager
def app_server(command: list[str], cwd: Path, env: dict[str, str | None] | None = None, port: int | None = None,
               ready_path: str = "/docs", timeout: float = 30.0, grace: float = 10.0) -> Iterator[RunningApp]:
    """Run a server command (with {port} filled in) in the workspace until it answers.

    `command` is e.g. ["uvicorn", "app.main:app", "--port", "{port}"]; a leading
    "uvicorn", "gunicorn" or "fastapi" runs from this Python environment. `env` adds to
    this process's environment; a value of None removes that variable.
    """
    import httpx

    port = port or free_port()
    argv = [part.replace("{port}", str(port)) for part in command]
    if argv[0] in ("uvicorn", "gunicorn", "fastapi"):
        argv = [sys.executable, "-m", {"fastapi": "fastapi"}.get(argv[0], argv[0]), *argv[1:]]
    scratch = Path(tempfile.mkdtemp(prefix="shiplings-app-"))
    log = scratch / "server.log"
    with open(log, "w") as log_file:
        process = subprocess.Popen(
            argv, cwd=cwd, env=merged_env(env), stdout=log_file, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
    running = RunningApp(f"http://127.0.0.1:{port}", port, process, log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"`{' '.join(command)}` stopped before it answered. What it printed:\n"
                    + running.output()[-2000:]
                )
            try:
                httpx.get(running.url + ready_path, timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"`{' '.join(command)}` did not answer on {running.url} within {timeout} s. "
                        "What it printed:\n" + running.output()[-2000:]
                    ) from None
                time.sleep(0.1)
        yield running
    finally:
        stop(process, grace=grace)
        shutil.rmtree(scratch, ignore_errors=True)
