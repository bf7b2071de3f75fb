"""One error envelope for every error the API returns.

Whatever goes wrong, and whoever notices, the client gets the same shape, so one piece
of client code can read every error:

    {"error": {"code": "not_found", "message": "Task 7 not found", "details": null}}

- `code` is stable and machine-readable: clients branch on it, never on the message.
- `message` is for people, and never carries internals (exception text, SQL, paths).
- `details` says field by field what was wrong with the request, or is null.

The app's own errors derive from AppError and are raised where the problem is found
(the store knows that a task is missing; it knows nothing about HTTP). The handlers
below turn them, FastAPI's HTTPException, validation errors and any unexpected
exception into the envelope; create_app() installs them with register_error_handlers().
"""

from __future__ import annotations

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException


class ErrorDetail(BaseModel):
    """One thing wrong with the request: where it is, and what is wrong."""

    field: str  # where, as a dotted path: "body.title", "query.done", "path.task_id"
    message: str


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail] | None = None


class ErrorEnvelope(BaseModel):
    """The body of every error response (and the schema /docs shows for them)."""

    error: ErrorBody


class AppError(Exception):
    """An error the app expects and can explain; subclasses set the status and the code."""

    status_code: int = status.HTTP_500_INTERNAL_SERVER_ERROR
    code: str = "internal_error"

    def __init__(self, message: str, details: list[ErrorDetail] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFoundError(AppError):
    """What the client asked for does not exist."""

    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"


# Stable codes for the statuses an HTTPException carries. A table, not the reason phrase:
# phrases change between Python versions (422 became "Unprocessable Content" in 3.13).
HTTP_ERROR_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
    503: "service_unavailable",
}


def code_for_status(status_code: int) -> str:
    """The envelope code for an HTTP status."""
    return HTTP_ERROR_CODES.get(status_code, "client_error" if status_code < 500 else "server_error")


def error_response(
    status_code: int,
    code: str,
    message: str,
    details: list[ErrorDetail] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The one place that builds an error body: every handler answers through it."""
    envelope = ErrorEnvelope(error=ErrorBody(code=code, message=message, details=details))
    return JSONResponse(envelope.model_dump(mode="json"), status_code=status_code, headers=headers)


async def handle_app_error(request: Request, exc: AppError) -> Response:
    """The app's own errors: they carry their status, code and message."""
    # TODO(03): answer in the envelope: error_response(...) with the error's status_code,
    # code, message and details, instead of FastAPI's usual {"detail": ...}.
    return JSONResponse({"detail": exc.message}, status_code=exc.status_code)


async def handle_http_exception(request: Request, exc: StarletteHTTPException) -> Response:
    """HTTPException raised in a route, and the router's 404 (no such path) and 405 (wrong method).

    Their headers are part of the answer (Allow on a 405, WWW-Authenticate on a 401), so
    they are kept. Statuses that may not have a body (204, 304) get none.
    """
    # TODO(03): answer with error_response(): the exception's status_code, the code
    # code_for_status() gives for it, exc.detail as the message, and headers=exc.headers.
    raise NotImplementedError("handle_http_exception() in app/core/errors.py is not written yet")


async def handle_validation_error(request: Request, exc: RequestValidationError) -> Response:
    """422 with one detail per problem: where it is and what is wrong.

    Pydantic's errors also hold the rejected value ("input"). It is left out on purpose:
    a rejected password or token would otherwise travel back in the body, and from there
    into proxy logs and error trackers.
    """
    # TODO(03): answer 422 with the code "validation_error" and one ErrorDetail per entry
    # of exc.errors(): field is the entry's "loc" joined with dots ("body.title"), message
    # is its "msg". Leave its "input" out.
    raise NotImplementedError("handle_validation_error() in app/core/errors.py is not written yet")


async def handle_unexpected_error(request: Request, exc: Exception) -> Response:
    """A bug. The client learns that it happened and nothing else.

    The exception's text and traceback can hold secrets (a connection string with its
    password, file paths, other users' data), so none of it goes into the body. It is
    not lost: Starlette raises the exception again after this answer is sent, and the
    server (uvicorn) logs it with its traceback, then closes the connection; the answer
    says so (Connection: close), or the client would send its next request into a
    connection that is gone.
    """
    # TODO(03): answer 500 with the code "internal_error" and a fixed, generic message.
    # Nothing from exc: not str(exc), not its type, not the traceback. Starlette raises exc
    # again after this answer and the server then closes the connection: set the answer's
    # Connection header to "close", so the client knows not to send anything more on it.
    raise NotImplementedError("handle_unexpected_error() in app/core/errors.py is not written yet")


def register_error_handlers(app: FastAPI) -> None:
    """Route every kind of error through the envelope."""
    app.add_exception_handler(AppError, handle_app_error)
    # TODO(03): register the three other handlers with app.add_exception_handler():
    # handle_http_exception for StarletteHTTPException, handle_validation_error for
    # RequestValidationError, and handle_unexpected_error for Exception (any other error).
