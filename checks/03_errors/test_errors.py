"""Lesson 03: every error, whoever raises it, reaches the client in one envelope.

{"error": {"code": "not_found", "message": "Task 7 not found", "details": null}}
"""

import importlib
import secrets

from fastapi import HTTPException

from shiplings.testing import show
from support.envelope import SHAPE, expect_envelope


async def test_app_errors_use_envelope(app, client, envelope, mount):
    expect_envelope(
        await client.get("/tasks/424242"), 404, "not_found", "GET /tasks/424242 (no such task)",
        "The store raises NotFoundError, and handle_app_error() in app/core/errors.py decides what "
        "the client gets for it.",
    )
    errors = importlib.import_module("app.core.errors")

    class GoneError(errors.AppError):
        status_code = 410
        code = "gone"

    async def gone():
        raise GoneError("This board was archived")

    response = await client.get(mount("/__check/gone", gone))
    expect_envelope(
        response, 410, "gone", 'A route raising a subclass of AppError with status_code = 410 and code = "gone"',
        "handle_app_error() in app/core/errors.py should take the status, code and message from the error itself.",
    )
    error, _ = envelope(response)
    assert error["message"] == "This board was archived", (
        "The envelope's message should be the AppError's message ('This board was archived'); "
        f"it is {error['message']!r}. Look at handle_app_error() in app/core/errors.py."
    )


async def test_validation_errors_use_envelope(client, envelope):
    response = await client.post("/tasks", json={"title": ""})
    expect_envelope(
        response, 422, "validation_error", "POST /tasks with an empty title",
        "Look at handle_validation_error() in app/core/errors.py, and at what it is registered for.",
    )
    details = envelope(response)[0]["details"] or []
    shaped = all(isinstance(item, dict) and {"field", "message"} <= set(item) for item in details)
    assert details and shaped, (
        'A 422 should list what is wrong in details, one {"field": ..., "message": ...} '
        f"per problem; details is {details!r}. Look at how handle_validation_error() in "
        "app/core/errors.py builds details from exc.errors()."
    )
    assert any(item["field"] == "body.title" for item in details), (
        'The details of a 422 for an empty title should name the field and where it was sent, '
        '"body.title" (a query parameter would be "query.title"); '
        f'they are {details!r}. field is the entry\'s "loc" joined with dots, all of it.'
    )


async def test_validation_errors_do_not_echo_input(client):
    secret = "hunter2-" + secrets.token_hex(8)
    response = await client.post("/tasks", json={"title": "Fine", "done": secret})
    assert response.status_code == 422, (
        f"POST /tasks with done={secret!r} (not a boolean) should answer 422; your app answered {show(response)}."
    )
    assert secret not in response.text, (
        "A 422 should say what is wrong, not send the rejected value back: the body repeats "
        f"the submitted value {secret!r} ({show(response)}). Were it a password, it would now "
        'sit in every log that records response bodies. Leave the "input" of exc.errors() '
        "out in handle_validation_error() in app/core/errors.py."
    )


async def test_unknown_routes_use_envelope(client, envelope):
    expect_envelope(
        await client.get("/no/such/page"), 404, "not_found", "GET /no/such/page (no such route)",
        "The router raises Starlette's HTTPException, not FastAPI's: look at which class "
        "handle_http_exception() is registered for in app/core/errors.py.",
    )
    response = await client.patch("/tasks")
    expect_envelope(
        response, 405, "method_not_allowed", "PATCH /tasks (a method the route does not have)",
        "Look at handle_http_exception() in app/core/errors.py: code_for_status() gives the code.",
    )
    assert "GET" in response.headers.get("allow", ""), (
        "A 405 must keep its Allow header (which methods the route has); your app answered "
        f"with the headers {dict(response.headers)}. Look at the headers handle_http_exception() "
        "in app/core/errors.py answers with."
    )


async def test_http_exceptions_keep_status_and_headers(client, envelope, mount):
    async def sign_in_first():
        raise HTTPException(status_code=401, detail="Sign in first", headers={"WWW-Authenticate": "Bearer"})

    response = await client.get(mount("/__check/sign-in-first", sign_in_first))
    error, problem = envelope(response)
    assert response.status_code == 401 and error is not None, (
        "A route that raises HTTPException(401, 'Sign in first') should answer 401 with the "
        f"envelope {SHAPE}; your app answered {show(response)}"
        f"{' (' + problem + ')' if problem else ''}. Look at handle_http_exception() in "
        "app/core/errors.py."
    )
    assert error["code"] == "unauthorized" and error["message"] == "Sign in first", (
        "HTTPException(401, detail='Sign in first') should become the code \"unauthorized\" "
        f"and the message 'Sign in first'; the envelope holds {error}. Look at where "
        "handle_http_exception() in app/core/errors.py takes the code and the message from."
    )
    assert response.headers.get("www-authenticate") == "Bearer", (
        "HTTPException(..., headers={'WWW-Authenticate': 'Bearer'}) should keep its header "
        "(clients need it to know how to sign in); your app answered with the headers "
        f"{dict(response.headers)}. Look at the headers handle_http_exception() in app/core/errors.py "
        "answers with."
    )


async def test_crash_is_a_generic_500(client, envelope, mount):
    secret = secrets.token_hex(8)

    async def crash():
        raise RuntimeError(f"could not connect to postgresql://tasks:secret-{secret}@db/tasks")

    response = await client.get(mount("/__check/crash", crash))
    leaked = [word for word in (secret, "Traceback", "RuntimeError", "postgresql://") if word in response.text]
    assert not leaked, (
        "A crash must not tell the client what went wrong inside: the 500 body contains "
        f"{', '.join(repr(word) for word in leaked)}. handle_unexpected_error() in "
        "app/core/errors.py should answer a fixed message, nothing from the exception, and "
        "the app must not run with debug=True."
    )
    expect_envelope(
        response, 500, "internal_error", "A route that raises an unexpected exception",
        "Look at handle_unexpected_error() and register_error_handlers() in app/core/errors.py.",
    )

    async def lookup():
        raise KeyError("owner")  # another kind of bug than the first crash

    expect_envelope(
        await client.get(mount("/__check/lookup", lookup)), 500, "internal_error",
        "Every unexpected exception, whatever its class, so a route that raises KeyError,",
        "Look at the exception class that handle_unexpected_error() is registered for in "
        "register_error_handlers() in app/core/errors.py.",
    )
