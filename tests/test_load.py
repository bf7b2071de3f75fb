"""The load generator: both of its engines count answers and failures against a real server."""

from __future__ import annotations

import http.server
import threading

import pytest

from shiplings import load, tools
from shiplings.net import free_port


class KeepAlive(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the load generators expect

    def do_GET(self) -> None:
        body = b"ok" if self.path == "/ok" else b"no such page"
        self.send_response(200 if self.path == "/ok" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # a load generator hangs up mid-request when its time is up: expected, not news


@pytest.fixture(scope="module")
def server_url():
    server = Server(("127.0.0.1", free_port()), KeepAlive)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(params=["python", "wrk"])
def engine(request, monkeypatch):
    if request.param == "python":
        monkeypatch.setattr(tools, "find", lambda name: None)
    elif tools.find("wrk") is None:
        pytest.skip(f"wrk is not installed; {tools.fix_for('wrk')}")
    return request.param


def test_counts_answers_per_second(server_url, engine):
    result = load.load(f"{server_url}/ok", seconds=1, connections=4)
    assert result.tool == engine
    assert result.rate > 50, f"{result.rate:.0f} requests/s from a local server is too few to be counting"
    assert result.failed == 0


def test_counts_answers_that_are_not_2xx_as_failed(server_url, engine):
    result = load.load(f"{server_url}/missing", seconds=1, connections=2)
    assert result.rate > 0 and result.failed > 0
