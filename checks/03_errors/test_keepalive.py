"""Lesson 03: after a crash (500), the client learns that the connection ends with it.

Starlette raises the exception again once the 500 is sent, so that the server logs it;
the server (uvicorn) then closes the connection. A client that was not told so sends its
next request into a closed connection and gets a reset instead of an answer. The check
runs the learner's app under a real uvicorn and talks to it the way a keep-alive client
(a browser, a proxy, httpx) does: two requests on one connection.
"""

from __future__ import annotations

import json
import socket

import anyio
import anyio.to_thread
import pytest
import uvicorn

from shiplings.net import free_port

ERRORS = "app/core/errors.py"

def read_response(connection: socket.socket) -> tuple[int, dict[str, str], bytes] | None:
    """(status, headers, body) of one HTTP/1.1 response, or None when the server closed the connection."""
    received = b""
    try:
        while b"\r\n\r\n" not in received:
            chunk = connection.recv(65536)
            if not chunk:
                return None
            received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = connection.recv(65536)
            if not chunk:
                return None
            body += chunk
    except ConnectionError:  # reset by the server
        return None
    return int(status_line.split()[1]), headers, body


def two_requests(port: int) -> tuple:
    """A keep-alive client's view: the crash's answer, then what the same connection gives
    the next request (None: nothing) when the crash did not announce the close."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        crashed = get(connection, "/__check/crash")
        if crashed is None or crashed[1].get("connection", "").lower() == "close":
            return crashed, None
        return crashed, get(connection, "/__check/ok")


def get(connection: socket.socket, path: str) -> tuple[int, dict[str, str], bytes] | None:
    try:
        connection.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    except ConnectionError:
        return None
    return read_response(connection)


async def test_crash_closes_the_connection_openly(build_app):
    # the learner's app under a real uvicorn, in this process (a server process of its own
    # would cost a second of start-up), plus two routes for this check only
    app = build_app()

    @app.get("/__check/crash")
    async def crash():
        raise RuntimeError("a crash the check planned")

    @app.get("/__check/ok")
    async def ok():
        return {"ok": True}

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, access_log=False, log_level="critical")
    server = uvicorn.Server(config)
    # What Server.serve() runs, minus its main loop and its pause before shutting down: two
    # sleeps of 0.1 s, most of this check's time.
    config.load()
    server.lifespan = config.lifespan_class(config)
    with anyio.fail_after(30):
        await server.startup()
    if server.should_exit:  # the app's lifespan failed, or the port was taken
        pytest.fail("uvicorn stopped before it served your app: look at create_app() in app/main.py")
    try:
        # the client blocks on its socket: it runs in a thread while the server answers here
        crashed, following = await anyio.to_thread.run_sync(two_requests, port)
    finally:
        for listening in server.servers:
            listening.close()
        await server.lifespan.shutdown()
    assert crashed is not None, (
        "A route that raises should answer 500; under uvicorn your app closed the connection "
        f"without any answer. Look at handle_unexpected_error() in {ERRORS}."
    )
    status, headers, body = crashed
    try:
        code = json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        code = None
    assert status == 500 and code == "internal_error", (
        "Under uvicorn, a route that raises should answer 500 with the envelope and the code "
        f'"internal_error"; it answered {status} with {body[:200]!r}. Look at '
        f"handle_unexpected_error() in {ERRORS}."
    )
    announced = headers.get("connection", "").lower() == "close"
    assert announced or following is not None, (
        "After the 500, your app's server closed the keep-alive connection without saying so: the "
        "answer had no `Connection: close` header, and the next request on the same connection got "
        "no answer (a browser or proxy sees a reset and must retry). Starlette raises the exception "
        "again after your handler answers, so that the server logs it, and uvicorn then closes the "
        "connection. Tell the client: give the 500 response the header Connection: close in "
        f"handle_unexpected_error() in {ERRORS}."
    )
