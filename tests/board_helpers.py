"""Shared by the board's tests: the board as a real server on a free loopback port, in a thread.

httpx's ASGITransport reads a whole response before it returns, so a stream of
server-sent events, a learner's outbox and a browser need a server that really listens.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from shiplings.net import serving_in_thread


@contextmanager
def serving(app, port: int | None = None) -> Iterator[str]:
    """Run app under uvicorn on 127.0.0.1 (a free port unless given) until the block ends; yields its base URL."""
    with serving_in_thread(app, port=port, log_config=None) as url:
        yield url
