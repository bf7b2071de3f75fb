"""A warm check process: the test stack imported once, then one fork per run.

A cold `shiplings check` spends most of its time importing pytest and FastAPI. Watch
mode and %check keep a helper process that has imported them already; each run forks
it, so every run still starts from a clean interpreter state (the learner's modules are
never imported in the parent) and a crash or hang in learner code only kills the fork.

Protocol: one JSON object per line on stdin ({"args": [...], "workspace": "...",
"cwd": "..."}), one JSON object per line on stdout ({"output": "..."}).
"""

from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from shiplings.runner import RUN_TIMEOUT

PRELOAD = ("pytest", "_pytest.python", "pytest_timeout", "anyio.pytest_plugin", "anyio._backends._asyncio",
           "httpx", "fastapi", "fastapi.routing", "pydantic_settings", "shiplings.testing",
           "shiplings.pytest_plugin")


class WarmRunner:
    """Client side: start the helper once, then `run(args, workspace)` per check run."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None

    @staticmethod
    def available() -> bool:
        return hasattr(os, "fork")

    def _ensure(self) -> subprocess.Popen:
        if self.process is None or self.process.poll() is not None:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "shiplings.warm"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
            )
            ready = self.process.stdout.readline()
            if not ready.startswith("ready"):
                raise RuntimeError("the warm check process did not start")
        return self.process

    def run(self, args: list[str], workspace: Path, cwd: Path) -> str:
        process = self._ensure()
        request = {"args": args, "workspace": str(workspace), "cwd": str(cwd)}
        process.stdin.write(json.dumps(request) + "\n")
        process.stdin.flush()
        line = process.stdout.readline()
        if not line:
            self.process = None
            return "the warm check process stopped unexpectedly"
        return json.loads(line)["output"]

    def close(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None


def _run_forked(request: dict) -> str:
    with tempfile.TemporaryFile(mode="w+") as captured:
        pid = os.fork()
        if pid == 0:  # the child: run pytest once, then leave without cleanup handlers
            code = 3
            try:
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
        deadline = time.monotonic() + RUN_TIMEOUT
        while True:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                break
            time.sleep(0.005)
        captured.seek(0)
        return captured.read()


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
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip():
            output = _run_forked(json.loads(line))
            print(json.dumps({"output": output}), flush=True)


if __name__ == "__main__":
    try:
        serve()
    except (KeyboardInterrupt, BrokenPipeError):
        # the notebook kernel or watch command that owns us is shutting down
        pass
