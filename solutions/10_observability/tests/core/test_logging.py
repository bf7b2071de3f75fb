"""Tests of app/core/logging.py: redaction, the request id, and the one line per request."""

import io
import json

import httpx
import pytest

from app.core.logging import REDACTED, configure_logging, incoming_request_id, redact_secrets


@pytest.fixture
def log_lines():
    """log_lines() -> the JSON lines the app has logged since the test started."""
    stream = io.StringIO()
    configure_logging(stream=stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    configure_logging()  # back to stdout


def test_secrets_are_redacted_at_any_depth():
    event = {
        "event": "sign-in failed",
        "email": "ada@example.com",
        "form": {"username": "ada@example.com", "password": "hunter2"},
        "headers": {"Accept": "application/json", "Authorization": "Bearer abc.def.ghi"},
        "cookies": [("session", "xyz")],
        "client_secret": "s3cr3t",
    }

    redacted = redact_secrets(None, "warning", event)

    assert redacted["form"] == {"username": "ada@example.com", "password": REDACTED}
    assert redacted["headers"] == {"Accept": "application/json", "Authorization": REDACTED}
    assert redacted["cookies"] == REDACTED
    assert redacted["client_secret"] == REDACTED
    assert event["form"]["password"] == "hunter2"  # the caller's dict is left alone


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        (b"checkout-7f3a9c", "checkout-7f3a9c"),
        (b"x" * 129, None),  # too long
        (b'abc" admin="yes', None),  # spaces and quotes: forged fields
    ],
)
def test_an_incoming_request_id_is_kept_only_when_safe(sent, kept):
    assert incoming_request_id({"headers": [(b"x-request-id", sent)]}) == kept


async def test_each_request_is_one_json_line_with_its_id(anonymous_client, log_lines):
    response = await anonymous_client.get("/tasks", headers={"X-Request-ID": "test-42"})
    made = await anonymous_client.get("/health")

    assert response.headers["X-Request-ID"] == "test-42"
    new_id = made.headers["X-Request-ID"]
    assert new_id and new_id != "test-42"
    requests = [line for line in log_lines() if line.get("event") == "request"]
    assert [line["request_id"] for line in requests] == ["test-42", new_id]  # one line each
    first = requests[0]
    assert (first["method"], first["path"], first["status"]) == ("GET", "/tasks", 401)
    assert first["duration_ms"] >= 0


async def test_a_crash_answers_with_its_request_id(running_app):
    async def crash():
        raise ConnectionError("could not connect to postgresql://tasks:hunter2@db/tasks")

    running_app.add_api_route("/crash", crash)
    transport = httpx.ASGITransport(app=running_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/crash", headers={"X-Request-ID": "ada-report-1"})

    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "ada-report-1"
    assert response.json()["error"]["request_id"] == "ada-report-1"
    assert "hunter2" not in response.text
