"""A warm check process: the test stack imported once, then one fork per run.

A cold `shiplings check` spends most of its time importing pytest and FastAPI. Watch
mode and %check keep a helper process that has imported them already; each run forks
it, so every run still starts from a clean interpreter state (the learner's modules are
never imported in the parent) and a crash or hang in learner code only kills the fork.

Protocol: one JSON object per line on stdin ({"args": [...], "workspace": "...",
"cwd": "..."}), one JSON object per line on stdout ({"output": "..."}).

Lifetimes (see shiplings.lifeline): the helper dies with its owner (the notebook kernel or
`shiplings watch`), each fork dies with the helper, and whatever a fork starts is killed
when its run ends, or when the helper or its owner die.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from shiplings import keep, lifeline
from shiplings.patience import Patience
from shiplings.runner import RUN_GRACE, RUN_TIMEOUT, run_timeout_problem

PRELOAD = ("pytest", "_pytest.python", "anyio.pytest_plugin", "anyio._backends._asyncio",
           "httpx", "fastapi", "fastapi.routing", "fastapi.security", "pydantic_settings", "shiplings.testing",
           "shiplings.pytest_plugin",
           # what the course's app imports as it grows: each fork that imports the learner's app
           # would otherwise import these again (about half a second from lesson 07 on)
           "sqlalchemy.orm", "sqlalchemy.ext.asyncio", "aiosqlite", "jwt", "pwdlib", "pwdlib.hashers.argon2",
           "structlog", "slowapi", "limits", "prometheus_client", "prometheus_fastapi_instrumentator",
           "redis.asyncio")


class WarmRunner:
    """Client side: start the helper once, then `run(args, workspace)` per check run."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None

    @staticmethod
    def available() -> bool:
        return hasattr(os, "fork")

    def _ensure(self) -> subprocess.Popen:
        if self.process is None or self.process.poll() is not None:
            self.process = lifeline.spawn(
                [sys.executable, "-m", "shiplings.warm"], tree=True,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
            )
            ready = self.process.stdout.readline()
            if not ready.startswith("ready"):
                raise RuntimeError("the warm check process did not start")
        return self.process

    def run(self, args: list[str], workspace: Path, cwd: Path) -> str:
        process = self._ensure()
        request = {"args": args, "workspace": str(workspace), "cwd": str(cwd)}
        try:
            process.stdin.write(json.dumps(request) + "\n")
            process.stdin.flush()
            line = process.stdout.readline()
        except BaseException:
            # interrupted (Ctrl-C, a kernel interrupt): the run in flight would answer the
            # next request; stop the helper and everything the run started instead
            self.close(grace=0)
            raise
        if not line:
            self.close(grace=0)
            return "the warm check process stopped unexpectedly"
        return json.loads(line)["output"]

    def close(self, grace: float = 5.0) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.stdin.close()  # the helper's signal to finish and leave
                # and time to do so: a SIGTERM while it leaves would land outside its handler,
                # and print "stopped by SIGTERM" after a run that went well
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(timeout=grace)
            lifeline.stop(self.process, grace=grace)
        self.process = None


def _run_forked(request: dict, keeper: keep.Keeper) -> str:
    helper_end, run_end = socket.socketpair()
    with tempfile.TemporaryFile(mode="w+") as captured, helper_end, run_end:
        pid = lifeline.fork(stop_signal=signal.SIGINT)
        if pid == 0:  # the child: run pytest once, then leave without cleanup handlers
            code = 3
            try:
                helper_end.close()
                keep.channel = run_end  # servers this run asks the helper to keep (shiplings.keep)
                os.dup2(captured.fileno(), 1)
                os.dup2(captured.fileno(), 2)
                os.environ.update(SHIPLINGS_WORKSPACE=request["workspace"],
                                  PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
                os.chdir(request["cwd"])
                import pytest

                code = int(pytest.main(request["args"]))
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        run_end.close()
        patience = Patience(RUN_TIMEOUT, pid=pid)
        problem = ""
        asked = bytearray()  # what the run has sent so far of its next request to the keeper
        try:
            while not _ended(pid):
                if verdict := patience.look():
                    problem = run_timeout_problem(verdict)
                    break
                if select.select([helper_end], [], [], 0.005)[0]:
                    received = helper_end.recv(65536)
                    if not received:  # the run is leaving
                        time.sleep(0.005)
                    asked += received
                    while b"\n" in asked:
                        line, _, rest = asked.partition(b"\n")
                        asked[:] = rest
                        answer = keeper.answer(line.decode())
                        with contextlib.suppress(OSError):  # a run that has died meanwhile
                            helper_end.sendall(answer.encode())
        finally:
            lifeline.stop(pid, grace=RUN_GRACE)
        captured.seek(0)
        return captured.read() + (f"\n{problem}\n" if problem else "")


def _ended(pid: int) -> bool:
    """True once the fork has ended (it stays unreaped, so that its pid cannot be reused
    before lifeline.stop() has killed what it left behind)."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def serve() -> None:
    import importlib

    from _pytest.config import default_plugins

    for name in (*PRELOAD, *(f"_pytest.{plugin}" for plugin in default_plugins)):
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    # what is imported now is shared by every fork: keep the collector off it
    gc.freeze()
    # SIGTERM and SIGHUP stop the run in flight and its servers, as Ctrl-C does
    lifeline.install_handlers()
    print("ready", flush=True)
    keeper = keep.Keeper()
    try:
        for line in sys.stdin:
            if line.strip():
                output = _run_forked(json.loads(line), keeper)
                print(json.dumps({"output": output}), flush=True)
    finally:
        keeper.close()


if __name__ == "__main__":
    try:
        serve()
    except (KeyboardInterrupt, BrokenPipeError):
        # the notebook kernel or watch command that owns us is shutting down
        pass
