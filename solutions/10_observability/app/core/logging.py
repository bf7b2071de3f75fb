"""Logs a program can search: one JSON line per event, a request id on each, no secrets.

Three pieces, installed by create_app():

- configure_logging() sets up structlog to write one JSON object per line to stdout,
  and sends the standard library's loggers (uvicorn's, SQLAlchemy's, Alembic's) through
  the same processors, so every line the process writes has one format. Every line gets
  a timestamp, a level and, while a request is being served, its request_id.
- redact_secrets() is one of those processors. It replaces the value of every key that
  names a secret (password, token, authorization, secret, cookie, ...) at any depth, so
  a careless `log.info("login failed", form=form)` cannot put a password into the logs.
  It only sees keys: log values as key=value pairs, never formatted into the message.
- RequestContextMiddleware is pure ASGI middleware: it takes the caller's X-Request-ID
  (when it is short and plain) or makes one up, binds it to every log line written
  while the request is served, sends it back in the X-Request-ID response header, and
  writes the request's one access line: method, path, status and duration_ms.

Why pure ASGI and not `@app.middleware("http")`: the decorator wraps the app in
Starlette's BaseHTTPMiddleware, which turns every request and response into objects and
streams the body through an extra task and queue. That costs most of the throughput of
a small endpoint. A pure ASGI middleware is a callable that passes the request on and
watches the messages go by: it costs what its own code costs, nothing more.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from collections.abc import Mapping
from typing import Any, TextIO

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from structlog.types import EventDict, Processor, WrappedLogger

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept only if it is 1 to 128 of these characters: enough for UUIDs,
# trace ids and most proxies' ids, and nothing that could forge a log line or a header
# (no spaces, newlines, quotes or angle brackets).
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}")

# A key whose name holds one of these words (in any case) has its value replaced.
SECRET_KEYS = ("password", "passwd", "token", "authorization", "secret", "cookie", "api_key", "apikey")
REDACTED = "[REDACTED]"

# the name of the handler configure_logging() installs, so that calling it again replaces it
HANDLER_NAME = "app.json"


# --- redaction --------------------------------------------------------------------------

def is_secret_key(key: object) -> bool:
    """True for a key such as "password", "Authorization" or b"cookie"."""
    if isinstance(key, bytes):
        key = key.decode("latin-1")
    if not isinstance(key, str):
        return False
    lowered = key.lower()
    return any(word in lowered for word in SECRET_KEYS)


def redact(value: Any) -> Any:
    """value with the value of every secret-named key replaced by REDACTED, at any depth.

    New dicts and lists are made: the caller's own objects are never changed.
    """
    if isinstance(value, Mapping):
        return {key: REDACTED if is_secret_key(key) else redact(item) for key, item in value.items()}
    if isinstance(value, tuple) and len(value) == 2 and is_secret_key(value[0]):
        return (value[0], REDACTED)  # a header pair: ("authorization", "Bearer ...")
    if isinstance(value, (list, tuple)):
        return type(value)(redact(item) for item in value)
    return value


def redact_secrets(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """A structlog processor: no secret-named key keeps its value on the way to the log."""
    return redact(event_dict)


# --- configuration ----------------------------------------------------------------------

def configure_logging(level: str = "INFO", json_logs: bool = True, stream: TextIO | None = None) -> None:
    """Send structlog's and the standard library's logs to `stream` (stdout), one format.

    Called once per process, where app/main.py makes its app; calling it again replaces
    the previous configuration (tests pass a StringIO as `stream` to read what the app logs).
    """
    stream = stream or sys.stdout
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,  # request_id, bound by the middleware
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_secrets,
    ]
    if json_logs:
        renderer: list[Processor] = [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    else:
        renderer = [structlog.dev.ConsoleRenderer(colors=stream.isatty())]

    structlog.configure(
        processors=[*shared, *renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.WriteLoggerFactory(file=stream),
        cache_logger_on_first_use=False,  # configure_logging() may be called again
    )

    # the standard library's loggers: same processors, same stream
    handler = logging.StreamHandler(stream)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderer],
        )
    )
    root = logging.getLogger()
    for old in [known for known in root.handlers if known.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # uvicorn's own messages (start-up, errors with their traceback) go through our handler...
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    # ...and its access log is replaced by the middleware's line, which has more in it
    logging.getLogger("uvicorn.access").handlers.clear()
    logging.getLogger("uvicorn.access").propagate = False
    # httpx logs every outgoing request at INFO; the access line is enough
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # warnings.warn() (the temporary secret key, deprecations) becomes a log line too
    logging.captureWarnings(True)


# --- the request id and the access line -------------------------------------------------

def new_request_id() -> str:
    return uuid.uuid4().hex


def incoming_request_id(scope: Scope) -> str | None:
    """The caller's X-Request-ID, if it has one that is safe to keep; else None."""
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            return candidate if REQUEST_ID_PATTERN.fullmatch(candidate) else None
    return None


class RequestContextMiddleware:
    """Pure ASGI middleware: a request id for every request, and one access line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.log = structlog.get_logger("app.access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan and websocket messages pass through
            await self.app(scope, receive, send)
            return

        request_id = incoming_request_id(scope) or new_request_id()
        # for the app's own code: request.state.request_id (the 500 handler uses it)
        scope.setdefault("state", {})["request_id"] = request_id
        # every log line written while this request is served carries its id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)

        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before it answers
        id_header = (b"x-request-id", request_id.encode("latin-1"))

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        finally:
            duration_ms = round((time.perf_counter() - started) * 1000, 2)
            log = self.log.error if status >= 500 else self.log.info
            log("request", method=scope["method"], path=scope["path"], status=status, duration_ms=duration_ms)
