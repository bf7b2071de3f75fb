"""Fakes: stand-ins for what the app talks to over the network, for tests.

The app asks the public-holidays service (Nager.Date) for GET /holidays/{year}. Tests must
not: a call over the internet is slow, fails when the network or the service does, is
rate-limited, and cannot be told to time out on demand. So the tests give the app an
httpx client whose transport is FakeUpstream.handle, in this process: httpx.MockTransport
calls it for every request, and what it returns (or raises) is the "upstream's" answer.
"""

from __future__ import annotations

import httpx

NEW_YEAR = {"date": "2026-01-01", "localName": "Neujahr", "name": "New Year's Day",
            "countryCode": "DE", "global": True, "types": ["Public"]}
UNITY_DAY = {"date": "2026-10-03", "localName": "Tag der Deutschen Einheit", "name": "German Unity Day",
             "countryCode": "DE", "global": True, "types": ["Public"]}


class FakeUpstream:
    """Nager.Date's GET /PublicHolidays/{year}/{country}, answered from a dict.

    A test changes what it answers: `holidays[(2026, "FR")] = [...]`, or makes every call
    fail with `fail_with = httpx.ReadTimeout("too slow")`, or answer with `status_code`.
    `requests` lists what the app asked, so a test can check it asked the right thing.
    """

    # an address on no network: if anything reached for the real thing, it would fail
    base_url = "http://holidays.invalid/api/v3"

    def __init__(self) -> None:
        self.holidays: dict[tuple[int, str], list[dict]] = {(2026, "DE"): [NEW_YEAR, UNITY_DAY]}
        self.requests: list[httpx.Request] = []
        self.fail_with: Exception | None = None
        self.status_code: int | None = None  # answer this status instead of the holidays

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.fail_with is not None:
            raise self.fail_with
        if self.status_code is not None:
            return httpx.Response(self.status_code, text="the fake upstream was told to fail")
        *_, endpoint, year, country = request.url.path.split("/")
        if endpoint != "PublicHolidays" or not year.isdigit():
            return httpx.Response(404)
        known = {code for _, code in self.holidays}
        if country not in known:
            return httpx.Response(404, json={"title": "Not Found", "status": 404})
        return httpx.Response(200, json=self.holidays.get((int(year), country), []))

    def client(self) -> httpx.AsyncClient:
        """An httpx client whose every request is answered by this fake."""
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handle), base_url=self.base_url)
