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

from http import HTTPStatus

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
    # a 500 only: the id of the request, to quote when reporting the error; the server's
    # log lines about the request carry the same id (left out of every other error)
    request_id: str | None = None


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


class ServiceUnavailableError(AppError):
    """Something every request needs (the database, Redis) does not answer (503)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    code = "service_unavailable"


class ConflictError(AppError):
    """The request clashes with what exists already (an email that has an account)."""

    status_code = status.HTTP_409_CONFLICT
    code = "conflict"


class UpstreamError(AppError):
    """A service we call failed, or answered something we cannot use (502 Bad Gateway).

    Not the client's fault and not quite ours: the status says so, and a client may retry.
    """

    status_code = status.HTTP_502_BAD_GATEWAY
    code = "upstream_error"


class UpstreamTimeoutError(UpstreamError):
    """A service we call did not answer in time (504 Gateway Timeout)."""

    status_code = status.HTTP_504_GATEWAY_TIMEOUT
    code = "upstream_timeout"


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
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
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
    request_id: str | None = None,
) -> JSONResponse:
    """The one place that builds an error body: every handler answers through it."""
    envelope = ErrorEnvelope(error=ErrorBody(code=code, message=message, details=details, request_id=request_id))
    # the request id appears only when there is one to quote
    body = envelope.model_dump(mode="json", exclude={"error": {"request_id"}} if request_id is None else None)
    return JSONResponse(body, status_code=status_code, headers=headers)


async def handle_app_error(request: Request, exc: AppError) -> Response:
    """The app's own errors: they carry their status, code and message."""
    return error_response(exc.status_code, exc.code, exc.message, exc.details)


async def handle_http_exception(request: Request, exc: StarletteHTTPException) -> Response:
    """HTTPException raised in a route, and the router's 404 (no such path) and 405 (wrong method).

    Their headers are part of the answer (Allow on a 405, WWW-Authenticate on a 401), so
    they are kept. Statuses that may not have a body (204, 304) get none.
    """
    if exc.status_code in (status.HTTP_204_NO_CONTENT, status.HTTP_304_NOT_MODIFIED):
        return Response(status_code=exc.status_code, headers=exc.headers)
    if isinstance(exc.detail, str):
        message = exc.detail
    else:
        try:
            message = HTTPStatus(exc.status_code).phrase
        except ValueError:
            message = "The request could not be served."
    return error_response(exc.status_code, code_for_status(exc.status_code), message, headers=exc.headers)


async def handle_validation_error(request: Request, exc: RequestValidationError) -> Response:
    """422 with one detail per problem: where it is and what is wrong.

    Pydantic's errors also hold the rejected value ("input"). It is left out on purpose:
    a rejected password or token would otherwise travel back in the body, and from there
    into proxy logs and error trackers.
    """
    details = [
        ErrorDetail(field=".".join(str(part) for part in error["loc"]), message=error["msg"]) for error in exc.errors()
    ]
    return error_response(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        "validation_error",
        "The request is not valid: see details for what to fix.",
        details,
    )


async def handle_unexpected_error(request: Request, exc: Exception) -> Response:
    """A bug. The client learns that it happened and nothing else.

    The exception's text and traceback can hold secrets (a connection string with its
    password, file paths, other users' data), so none of it goes into the body. It is
    not lost: Starlette raises the exception again after this answer is sent, and the
    server (uvicorn) logs it with its traceback, on a line that carries the request id,
    then closes the connection; the answer says so (Connection: close), or the client
    would send its next request into a connection that is gone.

    That id is the one thing the body adds: the user who reports the error can quote it,
    and it leads to the log lines of exactly this request. Starlette calls this handler
    from its outermost layer, outside RequestContextMiddleware (app/core/logging.py), so
    the middleware never sees this response: the handler sets X-Request-ID itself, from
    request.state.request_id, where the middleware put it.
    """
    request_id = getattr(request.state, "request_id", None)
    response = error_response(
        status.HTTP_500_INTERNAL_SERVER_ERROR,
        "internal_error",
        "Something went wrong on our side. Please try again later.",
        headers={"X-Request-ID": request_id} if request_id else None,
        request_id=request_id,
    )
    response.headers["Connection"] = "close"
    return response


def register_error_handlers(app: FastAPI) -> None:
    """Route every kind of error through the envelope."""
    app.add_exception_handler(AppError, handle_app_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_exception)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(Exception, handle_unexpected_error)
