"""Lesson 10: one JSON line per request, a request id on it, and no secret in any line."""

from __future__ import annotations

import json
import re
import secrets

import httpx
import pytest

from shiplings.testing import show

# what a request id sent back by the app may look like: short, no spaces or quotes
SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")

MIDDLEWARE = "RequestContextMiddleware in app/core/logging.py"


def duration_of(record: dict) -> object:
    return next((value for key, value in record.items() if key.startswith("duration")), None)


@pytest.mark.timeout(60)
def test_one_json_line_per_request(server):
    server = server.require()
    access_lines, tail = server.access_lines, server.tail
    marker = secrets.token_hex(4)
    requests = [
        ("GET", "/health"),
        ("GET", f"/tasks/{int(marker, 16) + 1000}"),
        ("GET", f"/no-such-page-{marker}"),
        ("DELETE", f"/tasks/{int(marker, 16) + 2000}"),
    ]
    with httpx.Client(base_url=server.url, timeout=10) as http:
        for method, path in requests:
            request_id = f"check-{secrets.token_hex(6)}"
            response = http.request(method, path, headers={"X-Request-ID": request_id})
            lines = server.wait_for(lambda lines, rid=request_id: bool(access_lines(lines, rid)))
            mentioned = [line for line in lines if request_id in line]
            records = access_lines(lines, request_id)
            assert mentioned, (
                f"After {method} {path} (sent with X-Request-ID: {request_id}), no line of your "
                "server's output holds that request id. Every request should be logged as one JSON "
                f"line with request_id, method, path, status and duration_ms: {MIDDLEWARE} writes it. "
                f"The last lines your server wrote:\n        {tail(lines)}"
            )
            assert records, (
                f"The line that logs {method} {path} should be one JSON object with request_id, "
                f"method, path, status and duration_ms; your server wrote:\n        {tail(mentioned, 3)}\n"
                "    configure_logging() in app/core/logging.py should end its processors with "
                "structlog.processors.JSONRenderer() (when json_logs is true), and the access line "
                f"should come from {MIDDLEWARE}, not from print()."
            )
            assert len(records) == 1, (
                f"One request ({method} {path}) should make one access line; your server wrote "
                f"{len(records)} JSON lines with its request_id and a status:\n        {tail(mentioned, 4)}"
            )
            record = records[0]
            expected = {"method": method, "path": path, "status": response.status_code}
            wrong = {key: record.get(key) for key, value in expected.items() if record.get(key) != value}
            assert not wrong, (
                f"The access line of {method} {path} should say {expected}; it says {wrong} "
                f"(missing keys show as None). The line: {json.dumps(record)[:400]}. The status is the "
                "one in the http.response.start message the app sends through the middleware's send."
            )
            duration = duration_of(record)
            assert isinstance(duration, (int, float)) and not isinstance(duration, bool) and duration >= 0, (
                f"The access line of {method} {path} should hold the request's duration in "
                f"milliseconds as a number (duration_ms); it holds {duration!r}. The line: "
                f"{json.dumps(record)[:400]}"
            )
            if marker in path:
                same_path = [line for line in lines if path in line]
                assert len(same_path) == 1, (
                    f"One request ({method} {path}) should make one log line; {len(same_path)} lines "
                    f"of your server's output name that path:\n        {tail(same_path, 4)}\n"
                    "    A second line usually comes from uvicorn's own access log (configure_logging() "
                    "turns it off: the middleware's line replaces it) or from a print() left in the code."
                )


@pytest.mark.timeout(60)
def test_request_id(server):
    server = server.require()
    access_lines, tail = server.access_lines, server.tail
    with httpx.Client(base_url=server.url, timeout=10) as http:
        sent = f"check-{secrets.token_hex(8)}"
        response = http.get("/health", headers={"X-Request-ID": sent})
        echoed = response.headers.get("x-request-id")
        assert echoed == sent, (
            f"A request that arrives with X-Request-ID: {sent} should get the same id back in its "
            f"X-Request-ID response header; the response's header is {echoed!r}. {MIDDLEWARE} "
            "should keep a valid incoming id and add it to the headers of the http.response.start "
            "message (wrap `send`)."
        )
        lines = server.wait_for(lambda lines: bool(access_lines(lines, sent)))
        assert access_lines(lines, sent), (
            f"The id a client sends (X-Request-ID: {sent}) should be the request_id of the request's "
            f"JSON log line, so that a report quoting it finds the line; no JSON line with "
            f'"request_id": "{sent}" and a status. The last lines:\n        {tail(lines)}'
        )

        made = [http.get("/health") for _ in range(2)]
        ids = [response.headers.get("x-request-id") for response in made]
        assert all(ids) and ids[0] != ids[1] and all(SAFE_ID.fullmatch(value) for value in ids), (
            "A request without an X-Request-ID should get a new id, different for every request, "
            f"in its X-Request-ID response header; two requests got {ids}. new_request_id() in "
            "app/core/logging.py makes one (uuid4().hex)."
        )
        lines = server.wait_for(lambda lines: all(access_lines(lines, value) for value in ids))
        missing = [value for value in ids if not access_lines(lines, value)]
        assert not missing, (
            f"The id the app made for a request ({missing[0]}, sent back in X-Request-ID) should "
            "also be the request_id of the request's log line; no JSON line has it. Look at the id "
            f"{MIDDLEWARE} binds to structlog's context: it should be the one it sends back."
        )

        hostile = {
            "a 300-character id": "x" * 300,
            "an id with spaces and quotes": 'abc" status=200 admin="yes',
        }
        for what, value in hostile.items():
            response = http.get("/health", headers={"X-Request-ID": value})
            got = response.headers.get("x-request-id") or ""
            assert got != value and SAFE_ID.fullmatch(got), (
                f"An incoming X-Request-ID is the client's text: {what} ({value[:40]!r}...) should be "
                "refused and replaced by a new id, so nobody can write what they like into your logs "
                f"and headers. Your app answered with X-Request-ID {got[:60]!r}. incoming_request_id() "
                "in app/core/logging.py should keep an id only when REQUEST_ID_PATTERN fullmatches it."
            )
        lines = server.wait_for(lambda lines: bool(access_lines(lines, got)))
        leaked = [line for line in lines if "x" * 300 in line or 'admin="yes' in line or 'admin=\\"yes' in line]
        assert not leaked, (
            "A refused X-Request-ID should not reach the log either; this line still holds it:\n"
            f"        {tail(leaked, 1)}"
        )


@pytest.mark.timeout(60)
def test_no_secrets_in_logs(server):
    server = server.require()
    email = f"secret-{secrets.token_hex(4)}@example.com"
    password = f"Pw-{secrets.token_hex(8)}-never-logged"
    wrong = f"Wrong-{secrets.token_hex(8)}-never-logged"
    cookie = f"session-{secrets.token_hex(12)}"
    with httpx.Client(base_url=server.url, timeout=10) as http:
        registered = http.post("/auth/register", json={"email": email, "password": password})
        signed_in = http.post("/auth/token", data={"username": email, "password": password})
        assert registered.status_code == 201 and signed_in.status_code == 200, (
            "To look for secrets in the logs the check signs up (POST /auth/register) and in "
            f"(POST /auth/token) on a real server; they answered {show(registered)} and "
            f"{show(signed_in)}, where 201 and 200 were expected."
        )
        token = signed_in.json()["access_token"]
        authorized = {"Authorization": f"Bearer {token}", "Cookie": f"session={cookie}"}
        listed = http.get("/tasks", headers=authorized)
        created = http.post("/tasks", json={"title": "Logged, not leaked"}, headers=authorized)
        refused = http.post("/auth/token", data={"username": email, "password": wrong})
        last = f"check-{secrets.token_hex(6)}"
        http.get("/health", headers={"X-Request-ID": last})
    assert listed.status_code == 200 and created.status_code == 201 and refused.status_code in (400, 401), (
        "With the token from POST /auth/token, GET /tasks should answer 200 and POST /tasks 201, "
        f"and a wrong password 400; your app answered {show(listed)}, {show(created)} and {show(refused)}."
    )
    lines = server.lines_with(last)
    leaks = {
        "The access token (the Authorization header)": token,
        "The password": password,
        "The wrong password of a failed sign-in": wrong,
        "The session cookie": cookie,
    }
    for what, value in leaks.items():
        found = [line for line in lines if value in line or value[-24:] in line]
        shown = found[0].replace(value, "<" + what.split("(")[0].strip().lower() + ">")[:400] if found else ""
        assert not found, (
            f"{what} reached your server's log ({len(found)} line(s)), where everybody who can read "
            f"logs, and every log service they are shipped to, can read it:\n        {shown}\n"
            "    Nothing should log request headers or bodies as they are: remove the print() "
            "debugging middleware from app/main.py (the access line of RequestContextMiddleware says "
            "what a request line needs), and let redact_secrets() in app/core/logging.py scrub every "
            "key that names a secret."
        )
