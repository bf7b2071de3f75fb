"""Structured logs (lesson 10): one JSON line per event, one access line per request, no secrets.

The access line is written by a pure ASGI middleware (not @app.middleware, which costs most
of a small endpoint's throughput), and never holds a header or a body: tokens and join
codes travel in those.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import TextIO

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HANDLER_NAME = "shiplings.board"


def configure_logging(level: str = "INFO", json_logs: bool = True, stream: TextIO | None = None) -> None:
    stream = stream or sys.stdout
    shared = [structlog.contextvars.merge_contextvars, structlog.processors.add_log_level,
              structlog.processors.TimeStamper(fmt="iso", utc=True)]
    renderer = ([structlog.processors.format_exc_info, structlog.processors.JSONRenderer()] if json_logs
                else [structlog.dev.ConsoleRenderer(colors=stream.isatty())])
    structlog.configure(
        processors=[*shared, *renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.WriteLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderer],
    ))
    root = logging.getLogger()
    for old in [known for known in root.handlers if known.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").handlers.clear()
    logging.getLogger("uvicorn.access").propagate = False


class AccessLog:
    """One line per request: method, path, status, duration_ms (pure ASGI)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.log = structlog.get_logger("shiplings.board.access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status_code = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            self.log.info("request", method=scope["method"], path=scope["path"], status=status_code,
                          duration_ms=round((time.perf_counter() - started) * 1000, 1))
