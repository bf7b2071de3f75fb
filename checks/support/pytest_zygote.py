"""A process that has imported what a pytest suite imports, and forks a ready `pytest` per run.

Lesson 15 runs the learner's `pytest e2e` up to seven times a check run, and each run
started as `python -m pytest` spends most of a second of CPU importing pytest, Playwright,
httpx, Alembic and SQLAlchemy before its first test. The zygote imports them once (the
warm helper keeps it between check runs, shiplings.keep) and forks a child per run: the
child takes the run's working folder, environment and sys.path as `python -m pytest` in
that folder would have them, writes its output to the run's log, and runs pytest.main.
The learner's own modules are imported only in the child, so every run sees their files
as they are now.

Lifetimes: a child leads a session of its own and dies with the zygote (Linux's parent-death
signal); the zygote kills a child's session when the connection of the run that asked for
it closes, however that run ended (its check run stopped, killed, or done waiting); and the
zygote dies with its owner (shiplings.lifeline). A run that found no zygote spawns pytest
as before.

Run as a script (`python pytest_zygote.py SOCKET MODULE...`) it is the zygote: keep the
top-level imports to the standard library.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

LINUX = sys.platform.startswith("linux")
PR_SET_PDEATHSIG = 1
STARTUP_SECONDS = 60


class Run:
    """A run of pytest forked by the zygote at `path`; like a Popen for wait() and stop()."""

    def __init__(self, path: str, args: list[str], env: dict[str, str], cwd: Path, log: Path) -> None:
        self.connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.connection.connect(path)
        request = {"args": args, "env": env, "cwd": str(cwd), "log": str(log)}
        self.connection.sendall(json.dumps(request).encode() + b"\n")
        self.said = b""

    def wait(self, timeout: float) -> int:
        """pytest's exit code; subprocess.TimeoutExpired when it is still running after `timeout` s."""
        deadline = time.monotonic() + timeout
        while not self.said.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0:
                raise subprocess.TimeoutExpired("pytest", timeout)
            self.connection.settimeout(left)
            try:
                chunk = self.connection.recv(4096)
            except TimeoutError:
                continue
            if not chunk:
                return -signal.SIGKILL  # the zygote went away, and with it the run
            self.said += chunk
        return int(json.loads(self.said)["exit"])

    def stop(self) -> None:
        """The run ends: the zygote kills it if it is still running."""
        self.connection.close()


def answers(path: str) -> bool:
    """Whether the zygote at `path` accepts runs (a kept one may have died meanwhile)."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.connect(path)
        return True
    return False


@contextlib.contextmanager
def zygote(preload: list[str]) -> Iterator[str]:
    """Recipe (shiplings.keep): a zygote that has imported `preload`, until the block ends; its socket's path."""
    from shiplings import lifeline, scratch

    folder = Path(tempfile.mkdtemp(prefix=scratch.prefix("zygote")))
    path = str(folder / "socket")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    with open(folder / "zygote.log", "w") as log:
        process = lifeline.spawn([sys.executable, __file__, path, *preload], env=env, stdin=subprocess.DEVNULL,
                                 stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not Path(path).exists():  # bound once everything is imported
            if process.poll() is not None or time.monotonic() > deadline:
                said = (folder / "zygote.log").read_text(errors="replace")[-1500:]
                raise RuntimeError(f"the pytest zygote did not start: {said}")
            time.sleep(0.02)
        yield path
    finally:
        lifeline.stop(process, grace=2.0)
        shutil.rmtree(folder, ignore_errors=True)


def serve(path: str, preload: list[str]) -> None:
    for module in preload:
        with contextlib.suppress(Exception):
            __import__(module)
    set_death_signal = death_signal_setter() if LINUX else None
    base_path = sys.path[1:]  # without this script's folder; the zygote runs without PYTHONPATH
    zygote = os.getpid()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    staging = f"{path}.{zygote}"
    listener.bind(staging)
    listener.listen(16)
    os.replace(staging, path)  # the socket appears once it accepts
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    runs: dict[socket.socket, int] = {}
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):  # lifeline.stop, or a terminal's Ctrl-C
        signal.signal(number, stop_serving)
    try:
        serve_runs(listener, selector, runs, base_path, zygote, set_death_signal)
    finally:  # the runs die with the zygote, and what they started with them
        for pid in runs.values():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)


def stop_serving(number: int, frame) -> None:
    raise SystemExit(0)


def serve_runs(listener: socket.socket, selector: selectors.BaseSelector, runs: dict[socket.socket, int],
               base_path: list[str], zygote: int, set_death_signal) -> None:
    while True:
        for key, _ in selector.select(timeout=0.05):
            if key.fileobj is listener:
                connection, _ = listener.accept()
                request = read_request(connection)
                if request is None:
                    connection.close()  # a probe
                    continue
                pid = os.fork()
                if pid == 0:
                    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                        signal.signal(number, signal.SIG_DFL)
                    selector.close()
                    listener.close()
                    for other in [connection, *runs]:
                        other.close()
                    run_child(request, base_path, zygote, set_death_signal)  # never returns
                runs[connection] = pid
                selector.register(connection, selectors.EVENT_READ)
            else:  # the run's owner closed its end: it stopped waiting, or it is gone
                selector.unregister(key.fileobj)
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(runs[key.fileobj], signal.SIGKILL)
        for connection, pid in list(runs.items()):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                with contextlib.suppress(OSError):
                    connection.sendall(json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode() + b"\n")
                with contextlib.suppress(KeyError, ValueError):
                    selector.unregister(connection)
                connection.close()
                del runs[connection]


def read_request(connection: socket.socket) -> dict | None:
    connection.settimeout(10)
    said = b""
    with contextlib.suppress(OSError):
        while not said.endswith(b"\n"):
            chunk = connection.recv(65536)
            if not chunk:
                break
            said += chunk
    connection.settimeout(None)
    try:
        return json.loads(said)
    except ValueError:
        return None


def run_child(request: dict, base_path: list[str], zygote: int, set_death_signal) -> None:
    """In the fork: become `python -m pytest ARGS` in the run's folder, with the run's environment and log."""
    code = 3  # pytest's "internal error", if this fails before pytest says otherwise
    try:
        os.setsid()
        if set_death_signal:
            set_death_signal()
            if os.getppid() != zygote:  # the zygote died between the fork and now
                os._exit(code)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        env = request["env"]
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(env)
        # as `python -m pytest` in that folder: the folder first, then PYTHONPATH, then the rest
        sys.path[:] = [request["cwd"], *filter(None, env.get("PYTHONPATH", "").split(os.pathsep)), *base_path]
        sys.dont_write_bytecode = bool(env.get("PYTHONDONTWRITEBYTECODE"))
        sys.argv = ["pytest", *request["args"]]
        import pytest

        code = int(pytest.main(request["args"]))
    except BaseException:  # noqa: BLE001 - whatever it was, the log says it and the run ends
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def death_signal_setter():
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl

    def set_death_signal() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)

    return set_death_signal


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2:])
