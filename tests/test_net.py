"""shiplings.net: free loopback ports, and an app served in a thread for what ASGITransport cannot do."""

from __future__ import annotations

import contextlib
import socket
import time

import httpx
import pytest
from fastapi import FastAPI

from shiplings.net import DidNotStart, free_port, serving_in_thread


def hello_app(lifespan=None) -> FastAPI:
    app = FastAPI(lifespan=lifespan)

    @app.get("/hello")
    def hello() -> dict:
        return {"hello": "world"}

    return app


def test_a_free_port_can_be_listened_on():
    port = free_port()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", port))
        listener.listen()


def test_an_app_served_in_a_thread_answers_and_stops_with_the_block():
    with serving_in_thread(hello_app(), log_config=None) as url:
        assert httpx.get(f"{url}/hello").json() == {"hello": "world"}
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/hello", timeout=2)


def test_an_app_whose_lifespan_fails_is_reported_at_once():
    @contextlib.asynccontextmanager
    async def broken(app):
        raise RuntimeError("no database")
        yield

    started = time.monotonic()
    with pytest.raises(DidNotStart), serving_in_thread(hello_app(broken), timeout=20, log_config=None):
        pass
    assert time.monotonic() - started < 10, "a failed start should not wait for the whole timeout"


def test_a_port_in_use_is_reported_not_hung():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(DidNotStart), serving_in_thread(hello_app(), port=port, timeout=20, log_config=None):
            pass
