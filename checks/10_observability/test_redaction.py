"""Lesson 10: the redaction processor scrubs secrets from every line, wherever they hide."""

from __future__ import annotations

import importlib
import io
import json
import secrets

import structlog

LOGGING = "app/core/logging.py"


async def test_redaction_processor(app, build_app):
    logging_module = importlib.import_module("app.core.logging")  # imported by the app
    password, token, cookie, client_secret = (secrets.token_hex(10) for _ in range(4))
    email = "redaction@example.com"
    event = {
        "event": "sign-in failed",
        "email": email,
        "password": password,
        "form": {"username": email, "password": password},
        "headers": {"Accept": "application/json", "Authorization": f"Bearer {token}", "Cookie": f"session={cookie}"},
        "access_token": token,
        "client_secret": client_secret,
    }
    values = {"password": password, "token": token, "cookie": cookie, "client secret": client_secret}

    scrubbed = logging_module.redact_secrets(None, "warning", json.loads(json.dumps(event)))
    text = json.dumps(scrubbed, default=str)
    kept = {what: value for what, value in values.items() if value in text}
    assert not kept, (
        f"redact_secrets() in {LOGGING} should replace the value of every key that names a secret "
        "(password, token, authorization, secret, cookie, in any case, at any depth: form.password, "
        f"headers.Authorization); it let through the {', '.join(kept)}:\n        {text[:400]}"
    )
    assert email in text and "application/json" in text, (
        f"redact_secrets() in {LOGGING} should keep everything that is not a secret (the email, the "
        f"Accept header); it returned:\n        {text[:400]}"
    )

    stream = io.StringIO()
    logging_module.configure_logging(stream=stream)
    try:
        structlog.get_logger("check").warning(event.pop("event"), **event)
    finally:
        logging_module.configure_logging()
    lines = [line for line in stream.getvalue().splitlines() if "sign-in failed" in line]
    assert lines, (
        f"configure_logging(stream=...) in {LOGGING} should send structlog's lines to that stream; "
        f"a structlog warning wrote nothing there (the stream holds {stream.getvalue()[:200]!r})."
    )
    kept = {what: value for what, value in values.items() if value in lines[-1]}
    assert not kept, (
        f"redact_secrets() works when called, but the line the app writes still holds the "
        f"{', '.join(kept)}:\n        {lines[-1][:400]}\n    configure_logging() in {LOGGING} should "
        "run redact_secrets among its processors, before the renderer turns the event into text."
    )
    try:
        record = json.loads(lines[-1])
    except ValueError:
        record = None
    assert isinstance(record, dict) and record.get("email") == email, (
        f"configure_logging() in {LOGGING} should write each event as one JSON object (when "
        f"json_logs is true, the default); the line is:\n        {lines[-1][:400]}"
    )

    # tests build many apps after configuring logging their own way: create_app() must leave it alone
    stream = io.StringIO()
    logging_module.configure_logging(stream=stream)
    try:
        build_app()
        structlog.get_logger("check").warning("logged after create_app()")
    finally:
        logging_module.configure_logging()
    assert "logged after create_app()" in stream.getvalue(), (
        "The check configured logging to its own stream, built an app with create_app(), then logged "
        "a warning: the warning did not reach that stream, so create_app() configured logging again. "
        "Logging belongs to the process, not to one app: configured once, where app/main.py makes "
        "the app uvicorn serves. Otherwise every app a test builds (and every worker's second app) "
        "replaces the logging set up before it. Look at create_app() in app/main.py."
    )
