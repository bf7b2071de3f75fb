"""Helpers for lesson notebooks: experiments against the learner's own app.

Notebooks never embed solution code: they import the learner's workspace as it is
right now and poke at it.

    from shiplings.notebook import open_app, serve, show_file

    async with open_app() as client:          # in-process, lifespan running
        r = await client.get("/tasks")

    with serve("main:app", "--reload") as url:  # a real uvicorn on a free port
        httpx.get(url + "/tasks")
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx

from shiplings import testing
from shiplings.paths import workspace_dir


def workspace() -> Path:
    """The learner's app folder (the same one `shiplings check` tests)."""
    os.environ.setdefault("SHIPLINGS_WORKSPACE", str(workspace_dir()))
    return testing.workspace()


def load_app():
    """The learner's FastAPI app, imported afresh from the files as saved now."""
    workspace()
    return testing.load_app()


@contextlib.asynccontextmanager
async def open_app(app=None, *, raise_app_exceptions: bool = False) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx.AsyncClient wired to the app in-process, its lifespan running."""
    app = app if app is not None else load_app()
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


@contextlib.contextmanager
def serve(target: str | None = None, *options: str, env: dict[str, str] | None = None,
          wait: float = 20.0) -> Iterator[str]:
    """Run `uvicorn TARGET OPTIONS` in the workspace on a free port; yield its base URL.

    The server is a real process, stopped (SIGINT, then SIGKILL) when the block ends.
    """
    folder = workspace()
    target = target or f"{testing.entry_module(folder)}:app"
    port = testing.free_port()
    command = [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1",
               "--port", str(port), *options]
    process = subprocess.Popen(
        command, cwd=folder, env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + wait
        while True:
            if process.poll() is not None:
                output = process.stdout.read() if process.stdout else ""
                raise RuntimeError(f"uvicorn stopped before it answered:\n{output[-2000:]}")
            try:
                httpx.get(url + "/docs", timeout=0.5)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"uvicorn did not answer on {url} within {wait} s") from None
                time.sleep(0.1)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if process.stdout:
            process.stdout.close()


def show_file(relative: str, start: int | None = None, end: int | None = None):
    """Display a workspace file (or some of its lines) with syntax highlighting."""
    from IPython.display import Code

    text = (workspace() / relative).read_text(encoding="utf-8")
    if start or end:
        text = "\n".join(text.splitlines()[(start or 1) - 1 : end])
    return Code(text, language="python")
