"""Lesson 05: GET /holidays/{year} awaits the holidays service without blocking anybody.

Every check talks to a fake holidays service on a loopback port (see conftest.py), never
to the internet, and controls how slow or broken it is.
"""

import asyncio
import time

import httpx
import pytest

from shiplings.testing import make_client, show
from support.accounts import sign_in_as_learner
from support.envelope import expect_envelope

ROUTE = "app/api/routes/holidays.py"
CONCURRENT = 20
# how long the fake holidays service takes to answer in the concurrency check, in seconds
MIN_DELAY, MAX_DELAY = 0.4, 1.5
CALIBRATION_DELAY = 0.05
SLOW_UPSTREAM = 8.0  # the fake's delay in the timeout check: far beyond any timeout it sets
ATTEMPTS = 2
# an app that serves one request at a time shows it after a few: the fake stops waiting then
SERIAL_CUTOFF = 4


async def timed_get(client, path: str) -> tuple[httpx.Response, float]:
    start = time.perf_counter()
    response = await client.get(path)
    return response, time.perf_counter() - start


async def expect_holidays(client, upstream) -> None:
    """GET /holidays/2025?country=de answers the fake service's holidays (precondition)."""
    response = await client.get("/holidays/2025?country=de")
    assert response.status_code == 200, (
        "GET /holidays/2025?country=de should answer 200 with the holidays the holidays service "
        f"sends; your app answered {show(response)}. Look at list_holidays() in {ROUTE} (and at "
        "the lifespan in app/main.py, which opens the app's httpx.AsyncClient)."
    )
    asked = [path for path in upstream.paths if path.split("?")[0].endswith("/PublicHolidays/2025/DE")]
    assert asked and asked[0].startswith("/api/v3/"), (
        "GET /holidays/2025?country=de should ask the holidays service for "
        "{TASKS_HOLIDAYS_API_URL}/PublicHolidays/2025/DE (the country in capitals); the service "
        f"at TASKS_HOLIDAYS_API_URL was asked for {upstream.paths or 'nothing'}. Build the URL from "
        "settings.holidays_api_url (the client's base_url) and the year and country."
    )
    body = response.json()
    names = [item.get("name") for item in body if isinstance(item, dict)] if isinstance(body, list) else []
    assert "Fake Upstream Day" in names, (
        "GET /holidays/2025?country=de should list the holidays the service answered "
        f"(one is \"Fake Upstream Day\" on 2025-07-14); your app answered {show(response)}."
    )


async def burst(client, upstream, path: str) -> tuple[float, list[httpx.Response], float]:
    """Send CONCURRENT requests to path at once.

    Returns the seconds until the last answered, the responses, and how long the event
    loop (the app's, in-process) was held up: the longest it went without running anything
    else, or, when a request ran to its end without ever letting go of the loop, how late
    the last request could start. A blocking call holds it up for as long as it blocks; a
    queue (a pool of one connection) does not: every request starts at once, then waits.
    """
    upstream.reset()
    upstream.serial_cutoff = SERIAL_CUTOFF
    watched = {"last": time.perf_counter(), "stall": 0.0}

    async def watch_loop() -> None:
        while True:
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            watched["stall"] = max(watched["stall"], now - watched["last"] - 0.01)
            watched["last"] = now

    starts: list[float] = []

    async def get() -> httpx.Response:
        starts.append(time.perf_counter())
        return await client.get(path)

    watcher = asyncio.create_task(watch_loop())
    try:
        start = time.perf_counter()
        responses = await asyncio.gather(*(get() for _ in range(CONCURRENT)))
        end = time.perf_counter()
        # a stall that lasted until the end is one the watcher had no turn to see
        stalled = max(watched["stall"], end - watched["last"] - 0.01, max(starts) - min(starts))
        return end - start, responses, stalled
    finally:
        watcher.cancel()
        upstream.serial_cutoff = None


@pytest.fixture
async def reference(app, upstream):
    """A route the check adds to the app that calls the fake service the non-blocking way.

    How long CONCURRENT requests to it take, beyond the fake's delay, is what a non-blocking
    app costs on this machine at this moment: the check makes the fake's delay several
    times that, so that a busy machine cannot make a non-blocking app look slow.
    """
    async with httpx.AsyncClient(base_url=upstream.url, timeout=30) as http:

        async def reference_holidays(year: int):
            return (await http.get(f"/PublicHolidays/{year}/FR")).json()

        app.add_api_route("/__check/reference/{year}", reference_holidays, methods=["GET"])

        async def delay_for(client) -> float:
            upstream.delay = CALIBRATION_DELAY
            took, _, _ = await burst(client, upstream, "/__check/reference/2001")
            return min(max(MIN_DELAY, 3 * (took - CALIBRATION_DELAY)), MAX_DELAY)

        yield delay_for


@pytest.mark.timeout(60)
async def test_concurrent_requests_do_not_block(client, upstream, reference):
    await expect_holidays(client, upstream)
    upstream.delay = await reference(client)
    for attempt in range(ATTEMPTS):
        _, first = await timed_get(client, "/holidays/2024?country=FR")
        _, second = await timed_get(client, "/holidays/2023?country=FR")
        alone = max(first, second)
        together, responses, stall = await burst(client, upstream, f"/holidays/{2000 + attempt}?country=FR")
        failed = [response for response in responses if response.status_code != 200]
        assert not failed, (
            f"{CONCURRENT} requests to GET /holidays/... sent at the same time should all answer "
            f"200; {len(failed)} did not, for example {show(failed[0])}. Look at list_holidays() "
            f"in {ROUTE}."
        )
        # an app that serves one request at a time gets no second chance: that is not noise
        if together < 2 * alone or upstream.peak <= 1:
            break
        # a busy moment? measure the machine again, and try once more
        upstream.delay = max(upstream.delay, await reference(client))
    if upstream.peak <= 1 and stall < upstream.delay / 2:
        why = (
            "The holidays service saw them one at a time, yet your app's event loop kept running "
            f"meanwhile (it never stalled for more than {stall:.2f} s): the requests queued for "
            "something that lets one through at a time, such as a connection limit on the app's "
            "httpx.AsyncClient (its limits=) or a lock around the call. Look at how the lifespan "
            f"in app/main.py opens the client, and at list_holidays() in {ROUTE}."
        )
    elif upstream.peak <= 1:
        why = (
            "The holidays service saw them one at a time: while one request waited for it, your "
            "app served nobody else. Something in the route blocks the event loop: a "
            "time.sleep(), requests.get(), or a sync httpx.get() / httpx.Client inside an async "
            "def stops every other request until it returns. Look at how list_holidays() in "
            f"{ROUTE} calls the service, and which client it uses. (Seeing that, the check stopped making the service "
            f"wait: served one at a time, {CONCURRENT} requests would take about "
            f"{CONCURRENT * upstream.delay:.0f} s.)"
        )
    else:
        why = (
            f"The holidays service saw up to {upstream.peak} of them at once, so the waiting "
            "happens elsewhere: look for a blocking call (time.sleep, a sync HTTP client, a lock) "
            f"after the call to the service in {ROUTE}, or a connection limit on the app's "
            "httpx.AsyncClient."
        )
    assert together < 2 * alone, (
        f"{CONCURRENT} requests sent at the same time should take less than twice as long as one "
        f"request alone, since each one only waits for the holidays service ({upstream.delay:.1f} "
        f"s); they took {together:.1f} s, {together / alone:.1f} times one request "
        f"({alone:.2f} s). {why}"
    )


@pytest.mark.timeout(20)
@pytest.mark.upstream_timeout(1.0)
async def test_upstream_timeout_is_504(client, upstream, upstream_timeout):
    upstream.delay = SLOW_UPSTREAM
    response, took = await timed_get(client, "/holidays/2025?country=DE")
    expect_envelope(
        response, 504, "upstream_timeout",
        "When the holidays service takes longer than TASKS_UPSTREAM_TIMEOUT_SECONDS "
        f"({upstream_timeout} s here; the fake service takes {SLOW_UPSTREAM} s), GET /holidays/2025",
        f"It answered after {took:.1f} s. Look at the timeout of the app's httpx.AsyncClient (the "
        f"lifespan in app/main.py) and at what list_holidays() in {ROUTE} does when httpx gives up.",
    )
    assert took < upstream_timeout + 1.5, (
        f"GET /holidays/2025 answered 504, but only after {took:.1f} s: with "
        f"TASKS_UPSTREAM_TIMEOUT_SECONDS={upstream_timeout} it should give up after about "
        f"{upstream_timeout} s. Look at where the timeout of the app's httpx.AsyncClient (app/main.py) "
        "comes from: the setting, or a number of its own?"
    )


async def test_upstream_errors_are_502(client, upstream):
    upstream.status = 500
    expect_envelope(
        await client.get("/holidays/2025?country=DE"), 502, "upstream_error",
        "When the holidays service answers 500, GET /holidays/2025 (Bad Gateway: a service we depend on failed)",
        f"Look at what list_holidays() in {ROUTE} does when the service answers anything but 200 "
        "(or 404: an unknown country).",
    )
    upstream.status = 200
    upstream.disconnect = True
    expect_envelope(
        await client.get("/holidays/2025?country=DE"), 502, "upstream_error",
        "When the holidays service drops the connection without answering, GET /holidays/2025",
        "httpx raises an httpx.HTTPError then (here RemoteProtocolError; ConnectError when nothing "
        f"listens): look at which errors list_holidays() in {ROUTE} turns into a 502.",
    )
    upstream.disconnect = False
    # a 200 whose body is not Nager.Date's list of holidays (an error page, a changed API)
    upstream._answer = lambda path: (200, {"message": "Service moved, see the new API"})
    expect_envelope(
        await client.get("/holidays/2025?country=DE"), 502, "upstream_error",
        "When the holidays service answers 200 with a body that is not a list of holidays "
        '(here {"message": "Service moved, see the new API"}), GET /holidays/2025',
        "The service failed us; our app did not crash. Reading the body can fail too (not JSON, "
        f"not a list, fields missing): look at how list_holidays() in {ROUTE} reads the answer.",
    )


async def test_unknown_country_is_404(client, upstream):
    expect_envelope(
        await client.get("/holidays/2025?country=XX"), 404, "not_found",
        "The holidays service answers 404 for a country it does not know. That is the client's "
        "mistake, not a failure of the service (502) nor of our app (500): GET /holidays/2025?country=XX",
        f"Look at how list_holidays() in {ROUTE} handles the service's status codes.",
    )


async def test_one_client_for_the_app_life(app, upstream, upstream_timeout, monkeypatch):
    # Watch every httpx client the app builds (when) and which ones send requests; the
    # check's own client (in-process, an ASGITransport) is left out.
    phase = ["import"]
    created: list[tuple[str, object]] = []
    senders: list[object] = []

    def watch(cls):
        original_init, original_send = cls.__init__, cls.send

        def init(self, *args, **kwargs):
            original_init(self, *args, **kwargs)
            if not isinstance(kwargs.get("transport"), httpx.ASGITransport):
                created.append((phase[-1], self))

        def send(self, *args, **kwargs):
            if not isinstance(self._transport, httpx.ASGITransport):
                senders.append(self)
            return original_send(self, *args, **kwargs)

        monkeypatch.setattr(cls, "__init__", init)
        monkeypatch.setattr(cls, "send", send)

    watch(httpx.AsyncClient)
    watch(httpx.Client)
    requests = 5
    phase.append("start-up")
    async with app.router.lifespan_context(app):
        phase.append("requests")
        async with make_client(app) as http:
            await sign_in_as_learner(http, app)
            for number in range(requests):
                response = await http.get(f"/holidays/{2020 + number}?country=DE")
                assert response.status_code == 200, (
                    f"GET /holidays/{2020 + number}?country=DE should answer 200; your app answered "
                    f"{show(response)}. Look at list_holidays() in {ROUTE}."
                )
        phase.append("after requests")
        at_start = [made for when, made in created if when == "start-up"]
        per_request = [made for when, made in created if when == "requests"]
        assert not per_request, (
            f"Your app built {len(per_request)} new HTTP client(s) while it served {requests} "
            f"requests, and the holidays service saw {upstream.connections} new connection(s): "
            "every request pays for a new connection pool (a TCP, and on the internet a TLS, "
            "handshake), and a client that is never closed leaks its sockets. Look at where the "
            f"route in {ROUTE} gets its client: the app should open one, in the lifespan in app/main.py."
        )
        shared = [value for value in vars(app.state).get("_state", {}).values()
                  if isinstance(value, httpx.AsyncClient)]
        assert at_start and shared, (
            "When the app starts (its lifespan), it should open one httpx.AsyncClient and keep it "
            f"on app.state (app.state.http_client); {len(at_start)} client(s) were opened at start-up "
            f"and app.state holds {len(shared)}. Look at the lifespan in app/main.py."
        )
        client = shared[0]
        assert senders and all(sender is client for sender in senders), (
            f"The {requests} requests to the holidays service should go through the "
            "httpx.AsyncClient the lifespan put on app.state; "
            + ("none of them did" if senders else "no httpx client sent them")
            + ": the route uses a client of its own (a module-level one, say), which nobody "
            f"configures from settings or closes. Look at where the route in {ROUTE} gets its client."
        )
        assert client.timeout.read == upstream_timeout, (
            "The app's httpx.AsyncClient should wait TASKS_UPSTREAM_TIMEOUT_SECONDS "
            f"({upstream_timeout} s here) for the holidays service; its timeout is {client.timeout}. "
            "Look at how the lifespan in app/main.py opens it."
        )
        assert not client.is_closed, (
            "The app's httpx.AsyncClient is already closed while the app is still running: close it "
            "after the lifespan's yield (app/main.py), not before."
        )
    assert client.is_closed, (
        "When the app stops, its httpx.AsyncClient should be closed (its connections returned to "
        "the system); it is still open. Look at what the lifespan in app/main.py does after its yield."
    )
