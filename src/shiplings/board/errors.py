"""The error envelope the course teaches (lesson 03), for the board's API.

Every error, whoever raises it, answers the same shape, and never carries internals:

    {"error": {"code": "unauthorized", "message": "...", "details": null}}
"""

from __future__ import annotations

from http import HTTPStatus

import structlog
from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

log = structlog.get_logger(__name__)

CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 410: "gone", 413: "payload_too_large", 422: "validation_error", 429: "too_many_requests",
         500: "internal_error", 503: "service_unavailable"}


class BoardError(Exception):
    """An error the board expects and can explain."""

    def __init__(self, status_code: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.headers = headers


def error_response(status_code: int, message: str, details: list[dict] | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    code = CODES.get(status_code, "client_error" if status_code < 500 else "server_error")
    body = {"error": {"code": code, "message": message, "details": details}}
    return JSONResponse(body, status_code=status_code, headers=headers)


async def handle_board_error(request: Request, exc: BoardError) -> Response:
    return error_response(exc.status_code, exc.message, headers=exc.headers)


async def handle_http_exception(request: Request, exc: StarletteHTTPException) -> Response:
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    return error_response(exc.status_code, message, headers=exc.headers)


async def handle_validation_error(request: Request, exc: RequestValidationError) -> Response:
    # the rejected values are left out: a report must never travel back into logs
    details = [{"field": ".".join(str(part) for part in error["loc"]), "message": error["msg"]}
               for error in exc.errors()]
    return error_response(status.HTTP_422_UNPROCESSABLE_CONTENT, "The request is not valid: see details.", details)


async def handle_unexpected_error(request: Request, exc: Exception) -> Response:
    log.error("unexpected error", error=type(exc).__name__, path=request.url.path)
    response = error_response(500, "Something went wrong on the board. Please try again later.")
    response.headers["Connection"] = "close"
    return response


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(BoardError, handle_board_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_exception)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(Exception, handle_unexpected_error)
