"""Shared by the board's tests: the board as a real server on a free loopback port, in a thread.

httpx's ASGITransport reads a whole response before it returns, so a stream of
server-sent events, a learner's outbox and a browser need a server that really listens.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from shiplings.net import free_port


@contextmanager
def serving(app, port: int | None = None) -> Iterator[str]:
    """Run app under uvicorn on 127.0.0.1 (a free port unless given) until the block ends; yields its base URL."""
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False,
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the board did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
