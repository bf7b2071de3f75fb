"""Lesson 18's scripts/loadtest.py measures what the lesson says it does.

Run as a learner runs it, against a small threaded server on a free loopback port that stalls
every request during one second of the run: an open model counts each latency from when the request
was due, so the requests due during the stall all show it, and the objective is missed (a loop
of clients that wait for each other would have hidden it). A server that answers 500 fails the
objective whatever the latency.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "lessons" / "18_deploy" / "starter" / "scripts" / "loadtest.py"


class Stalling(BaseHTTPRequestHandler):
    """/stall stalls every request that arrives from 1 s to 2 s after its first one, until 2 s (when on)."""

    stalling = False
    first: float | None = None
    lock = threading.Lock()

    def do_GET(self):  # noqa: N802 - http.server's name
        now = time.monotonic()
        with self.lock:
            first = Stalling.first = Stalling.first or now
        if self.path == "/stall" and self.stalling and first + 1.0 <= now < first + 2.0:
            time.sleep(first + 2.0 - now)
        status = 500 if self.path == "/broken" else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Stalling)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def run(url: str, *args: str) -> tuple[int, dict, str]:
    done = subprocess.run([sys.executable, str(SCRIPT), url, *args], capture_output=True, text=True, timeout=60)
    *report, summary = done.stdout.strip().splitlines()
    return done.returncode, json.loads(summary), "\n".join(report)


def test_a_steady_server_meets_the_objective_at_the_asked_rate(server):
    code, summary, report = run(server + "/stall", "--rate", "40", "--seconds", "2", "--p95-ms", "300")
    assert code == 0, report
    assert summary["sent"] == summary["ok"] == 80 and summary["failed"] == {}
    assert 30 <= summary["achieved_rate"] <= 45, summary
    assert summary["objective"] == {"p95_ms": 300.0, "met": True}
    assert "met" in report and "p95" in report


def test_requests_due_during_a_stall_all_count_it(server):
    Stalling.stalling, Stalling.first = True, None
    try:
        code, summary, report = run(server + "/stall", "--rate", "20", "--seconds", "3", "--p95-ms", "300")
    finally:
        Stalling.stalling = False
    assert code == 1, report
    assert summary["sent"] == 60 and summary["failed"] == {}
    # a third of the requests were due during the stall: the first of them waited nearly all of it
    assert summary["p95_ms"] > 400 and summary["max_ms"] > 700, summary
    assert summary["p50_ms"] < 300, summary
    assert "MISSED" in report


def test_server_errors_miss_the_objective_however_fast(server):
    code, summary, report = run(server + "/broken", "--rate", "20", "--seconds", "1")
    assert code == 1
    assert summary["failed"] == {"500": 20} and summary["ok"] == 0
    assert "20 x 500" in report and "MISSED" in report


def test_nonsense_rates_are_refused():
    done = subprocess.run([sys.executable, str(SCRIPT), "http://127.0.0.1:9/", "--rate", "0"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--rate" in done.stderr
