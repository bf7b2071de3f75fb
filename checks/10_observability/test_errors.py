"""Lesson 10: a crash answers a generic 500 that names the request id, header and body."""

from __future__ import annotations

import json
import secrets

from shiplings.testing import running_client, show
from support.apps import app_builder


def access_lines_of(output: str, request_id: str) -> list[dict]:
    """The JSON lines of `output` that log the request with this id (its id and a status)."""
    found = []
    for line in output.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("request_id") == request_id and "status" in record:
            found.append(record)
    return found


async def test_crash_reports_request_id(app, capfd):
    secret = f"hunter2-{secrets.token_hex(4)}"

    async def crash():
        raise ConnectionError(f"could not connect to postgresql://tasks:{secret}@db:5432/tasks")

    app.add_api_route("/check-crash", crash, methods=["GET"])
    # errors not recorded: the crash is the check's own, not a bug of yours to point at
    async with running_client(app, record_errors=False) as client:
        request_id = f"support-{secrets.token_hex(6)}"
        response = await client.get("/check-crash", headers={"X-Request-ID": request_id})
        again = await client.get("/check-crash")
        healthy = await client.get("/health", headers={"X-Request-ID": request_id})
    middleware_works = healthy.headers.get("x-request-id") == request_id
    assert response.status_code == 500 and secret not in response.text, (
        "A crash should still answer a generic 500 that says nothing about the exception (lesson "
        f"03); your app answered {show(response)}."
    )
    assert response.headers.get("x-request-id") == request_id, (
        f"The 500 answer to a request sent with X-Request-ID: {request_id} should carry the same "
        f"X-Request-ID header; it carries {response.headers.get('x-request-id')!r}. "
        + (
            "Starlette answers a crash from its outermost layer, outside your middleware, so "
            "handle_unexpected_error() in app/core/errors.py must add the header itself: the id is "
            "in request.state.request_id, where RequestContextMiddleware put it."
            if middleware_works
            else "No response gets its request id yet (GET /health neither): finish "
            "RequestContextMiddleware in app/core/logging.py first (the request-id check), then "
            "handle_unexpected_error() in app/core/errors.py, which answers crashes outside it."
        )
    )
    error = response.json().get("error") or {}
    assert request_id in json.dumps(error), (
        "The body of a 500 should name the request id, so that the user who reports the error can "
        f"quote it and you can find the request's log lines; the body is {show(response)}. Look at "
        "what handle_unexpected_error() (app/core/errors.py) passes to error_response(): the request "
        "id is on request.state."
    )

    made = again.headers.get("x-request-id")
    assert made and made in json.dumps(again.json().get("error") or {}), (
        "A crashing request that came without an X-Request-ID should get the id the app made for "
        f"it, in the X-Request-ID header and in the body; it got header {made!r} and body {show(again)}."
    )

    # a crashing request still gets its one access line, with status 500
    logged = app_builder()(log_json=True, log_level="INFO")
    logged.add_api_route("/check-crash", crash, methods=["GET"])
    capfd.readouterr()
    async with running_client(logged, record_errors=False) as client:
        crashed_id = f"crash-{secrets.token_hex(6)}"
        await client.get("/check-crash", headers={"X-Request-ID": crashed_id})
    output = "".join(capfd.readouterr())
    records = access_lines_of(output, crashed_id)
    assert [record.get("status") for record in records] == [500], (
        f"A request that crashes (GET /check-crash, sent with X-Request-ID: {crashed_id}) should "
        "still get its one JSON access line, with \"status\": 500: the requests that crash are the "
        f"ones you will look for first. Your app logged {len(records)} such line(s)"
        + (f" with the statuses {[record.get('status') for record in records]}" if records else "")
        + ". Look at RequestContextMiddleware (app/core/logging.py): the access line must be written "
        "whatever happens to the request, in a finally block, with status 500 when the app raised "
        "before it answered."
    )
