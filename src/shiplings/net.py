"""Loopback networking helpers shared by the CLI, checks and notebooks."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_is_free(port: int) -> bool:
    """Whether a server can listen on 127.0.0.1:`port` now, as servers bind (uvicorn, Docker's
    proxy): with SO_REUSEADDR, so a closed connection's TIME_WAIT on it is no obstacle."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class DidNotStart(RuntimeError):
    """The app served in a thread never listened: its lifespan failed, or the port was taken."""


@contextlib.contextmanager
def serving_in_thread(app, port: int | None = None, timeout: float = 30.0, **config) -> Iterator[str]:
    """Serve an ASGI app under uvicorn in a thread of this process until the block ends; yields its URL.

    For what an in-process client cannot do: a stream of server-sent events, a browser, a
    proxy in front (httpx's ASGITransport reads a whole response before it returns). The
    thread is a daemon, so the server ends with the process however the process ends.
    `config` goes to uvicorn.Config (log_level, log_config, ...).
    """
    import uvicorn  # here: the CLI imports this module and must start fast

    port = port or free_port()
    options = {"access_log": False, "lifespan": "on"} | config
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, **options))

    def run() -> None:
        with contextlib.suppress(SystemExit):  # uvicorn's answer to a failed start: we report it below
            server.run()

    thread = threading.Thread(target=run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise DidNotStart(f"the app did not listen on 127.0.0.1:{port} within {timeout:.0f} s")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
