"""A fake holidays service: a stand-in for Nager.Date (date.nager.at) on a loopback port.

It answers GET .../PublicHolidays/{year}/{country} like Nager.Date after `delay` seconds,
from a thread with its own event loop, so it keeps answering even when the learner's app
blocks the check's event loop (a blocking call then shows as requests served one after
the other, not as a deadlock). It counts what it saw: requests, TCP connections, and the
most requests it was answering at the same moment (`peak`); `reached` is set once a
request arrived (a check then knows one is in flight). With `serial_cutoff` set, it stops
waiting once requests meant to be concurrent arrive strictly one by one, so a blocking
app fails a concurrency check in seconds instead of 20 x delay.

    with FakeUpstream(delay=1.5) as upstream:   # or .start() ... .stop()
        env = {"TASKS_HOLIDAYS_API_URL": upstream.url}
"""

from __future__ import annotations

import asyncio
import json
import re
import threading

HOLIDAY_PATH = re.compile(r"/PublicHolidays/(\d{4})/([A-Za-z]{2})$")
UNKNOWN_COUNTRY = "XX"


def holidays_of(year: int, country: str) -> list[dict]:
    """What the fake answers: two holidays in Nager.Date's shape, named so a check can spot them."""
    return [
        {"date": f"{year}-01-01", "localName": "Neujahr", "name": "New Year's Day",
         "countryCode": country, "fixed": True, "global": True, "counties": None,
         "launchYear": None, "types": ["Public"]},
        {"date": f"{year}-07-14", "localName": "Fete du Fake", "name": "Fake Upstream Day",
         "countryCode": country, "fixed": True, "global": True, "counties": None,
         "launchYear": 1975, "types": ["Public"]},
    ]


class FakeUpstream:
    """A stand-in for date.nager.at; set `delay` (seconds), `status` or `disconnect` between requests."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.status = 200
        self.disconnect = False  # close each connection without answering
        # when set, stop waiting once this many requests came strictly one after the other
        self.serial_cutoff: int | None = None
        self.paths: list[str] = []
        self.connections = 0
        self.in_flight = 0
        self.peak = 0
        self.reached = threading.Event()  # set when the first request arrives
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fake-upstream", daemon=True)
        self._server: asyncio.AbstractServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v3"

    def reset(self) -> None:
        """Forget the counts (between the parts of one check)."""
        self.paths.clear()
        self.reached.clear()
        self.connections = 0
        self.peak = self.in_flight

    # --- lifecycle, called from the check's thread ----------------------------------------

    def start(self) -> FakeUpstream:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=256), self._loop
        )
        self._server = future.result(timeout=10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def __enter__(self) -> FakeUpstream:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def stop(self) -> None:
        async def shutdown() -> None:
            assert self._server is not None, "the fake upstream was never started"
            self._server.close()
            current = asyncio.current_task()
            for task in asyncio.all_tasks():
                if task is not current:
                    task.cancel()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    # --- the server, on its own loop --------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                request_line, *header_lines = head.decode("latin-1").split("\r\n")
                _method, target, _version = (request_line.split(" ") + ["", ""])[:3]
                headers = {}
                for line in header_lines:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                if int(headers.get("content-length") or 0):
                    await reader.readexactly(int(headers["content-length"]))
                self.paths.append(target)
                self.reached.set()
                if self.disconnect:
                    return
                self.in_flight += 1
                self.peak = max(self.peak, self.in_flight)
                try:
                    if self.delay and not self._seen_serial():
                        await asyncio.sleep(self.delay)
                    status, body = self._answer(target.split("?")[0])
                finally:
                    self.in_flight -= 1
                payload = json.dumps(body).encode()
                writer.write(
                    f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
                    f"Content-Type: application/json; charset=utf-8\r\n"
                    f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload
                )
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    return
        except (ConnectionError, asyncio.CancelledError):
            return
        finally:
            writer.close()

    def _seen_serial(self) -> bool:
        """True once serial_cutoff requests arrived and none of them overlapped another.

        Requests sent at the same time by an app that does not block all reach the service
        within a fraction of `delay`; when they arrive one by one instead, waiting for each
        would only make the check slow (20 x delay): the rest are answered at once.
        """
        return self.serial_cutoff is not None and self.peak <= 1 and len(self.paths) > self.serial_cutoff

    def _answer(self, path: str) -> tuple[int, object]:
        match = HOLIDAY_PATH.search(path)
        if not path.startswith("/api/v3/") or match is None:
            return 404, {"title": "Not Found", "status": 404}
        if self.status != 200:
            return self.status, {"title": "Upstream failure", "status": self.status}
        year, country = int(match.group(1)), match.group(2).upper()
        if country == UNKNOWN_COUNTRY:
            return 404, {"title": "CountryCode is unknown", "status": 404}
        return 200, holidays_of(year, country)
