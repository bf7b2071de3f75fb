"""Seeded bugs for lesson 06: plausible mistakes, planted in the learner's app one at a time.

The learner's test suite is run once on their app as it is, then once per bug below with
that bug planted. A good suite fails when a bug is planted: that is what a test is for.

Each bug is an ASGI wrapper put around every Starlette/FastAPI app the suite builds (by
patching Starlette.build_middleware_stack before the suite imports anything), so it is
planted the same way whatever the learner's code looks like, and it behaves, seen from
the API, exactly like the mistake it names: a forgotten status_code, a lookup that
returns None, a validator dropped, an except clause missing, a delete that deletes
nothing, a filter never applied.

This module is imported by suite_runner.py in the process that runs the learner's
pytest; it imports nothing of the learner's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

Scope = dict
Message = dict
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

TASKS = re.compile(r"^/tasks/?$")
ONE_TASK = re.compile(r"^/tasks/[^/]+/?$")
HOLIDAYS = re.compile(r"^/holidays(/|$)")

GENERIC_500 = json.dumps({"error": {
    "code": "internal_error",
    "message": "Something went wrong on our side. Please try again later.",
    "details": None,
}}).encode()


@dataclass(frozen=True)
class Bug:
    name: str
    what: str  # the bug, as the learner reads it
    catch: str  # a test that would catch it
    where: str  # the test file for it
    wrap: Callable[[ASGIApp], ASGIApp]
    # words in the names of the tests likely to catch it: those run first, so that a run
    # (which stops at the first failure) is short when the bug is caught
    likely: tuple[str, ...] = ()


def _is(scope: Scope, method: str | None, pattern: re.Pattern) -> bool:
    return (
        scope["type"] == "http"
        and (method is None or scope["method"] == method)
        and bool(pattern.match(scope["path"]))
    )


async def _answer(send: Send, status: int, body: bytes = b"", content_type: bytes = b"application/json") -> None:
    headers = [(b"content-length", str(len(body)).encode())]
    if body:
        headers.append((b"content-type", content_type))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _replace_status(app: ASGIApp, applies: Callable[[Scope], bool], old: int, new: int,
                    body: bytes | None = None) -> ASGIApp:
    """Where `applies`, a response with status `old` goes out with status `new` (and `body`)."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if not applies(scope):
            return await app(scope, receive, send)
        replaced = False

        async def send_changed(message: Message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start" and message["status"] == old:
                if body is None:
                    message = {**message, "status": new}
                else:
                    replaced = True
                    await _answer(send, new, body)
                    return
            elif message["type"] == "http.response.body" and replaced:
                return  # the original body is dropped: ours went out already
            await send(message)

        await app(scope, receive, send_changed)

    return wrapped


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A receive() that hands the app `body` (read from the client already), then what comes next."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


# --- the bugs -------------------------------------------------------------------------------


def create_answers_200(app: ASGIApp) -> ASGIApp:
    # the decorator lost its status_code=201
    return _replace_status(app, lambda scope: _is(scope, "POST", TASKS), 201, 200)


def unknown_task_answers_500(app: ASGIApp) -> ASGIApp:
    # the lookup returns None instead of raising NotFoundError: the response model fails, 500
    return _replace_status(app, lambda scope: _is(scope, None, ONE_TASK), 404, 500, GENERIC_500)


def empty_title_accepted(app: ASGIApp) -> ASGIApp:
    # the title lost its Field(min_length=1)
    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        writes = _is(scope, "POST", TASKS) or _is(scope, "PUT", ONE_TASK)
        if not writes:
            return await app(scope, receive, send)
        body = await _read_body(receive)
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("title"), str) and not data["title"].strip():
            # the app, checking nothing, stores a task with a blank title
            data["title"] = "(untitled)"
            body = json.dumps(data).encode()
            headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
            scope = {**scope, "headers": [*headers, (b"content-length", str(len(body)).encode())]}
        await app(scope, _replaying(body, receive), send)

    return wrapped


def upstream_timeout_answers_500(app: ASGIApp) -> ASGIApp:
    # the route lost its `except httpx.TimeoutException`: the timeout escapes as a 500
    return _replace_status(app, lambda scope: _is(scope, None, HOLIDAYS), 504, 500, GENERIC_500)


def delete_does_nothing(app: ASGIApp) -> ASGIApp:
    # the route looks the task up (an unknown id still answers 404), answers 204, and never
    # calls the store's delete: only a test that looks for the task afterwards can tell
    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if not _is(scope, "DELETE", ONE_TASK):
            return await app(scope, receive, send)
        body = await _read_body(receive)
        found: dict[str, int] = {}

        async def nothing() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def status_only(message: Message) -> None:
            if message["type"] == "http.response.start":
                found["status"] = message["status"]

        await app({**scope, "method": "GET"}, nothing, status_only)
        if found.get("status") == 200:
            return await _answer(send, 204)
        await app(scope, _replaying(body, receive), send)

    return wrapped


def done_filter_ignored(app: ASGIApp) -> ASGIApp:
    # list_tasks() takes `done` but never uses it
    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if _is(scope, "GET", TASKS) and scope.get("query_string"):
            kept = [(k, v) for k, v in parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
                    if k != "done"]
            scope = {**scope, "query_string": urlencode(kept).encode("latin-1")}
        await app(scope, receive, send)

    return wrapped


BUGS: dict[str, Bug] = {
    bug.name: bug
    for bug in [
        Bug("create_answers_200",
            "POST /tasks answers 200 OK instead of 201 Created",
            "create a task and assert the status code is 201",
            "tests/api/test_tasks.py",
            create_answers_200,
            ("create", "post", "add", "201")),
        Bug("unknown_task_answers_500",
            "an unknown task id answers 500 Internal Server Error instead of 404 Not Found",
            "GET (or PUT, or DELETE) /tasks/<an id no test created> and assert 404",
            "tests/api/test_tasks.py",
            unknown_task_answers_500,
            ("unknown", "404", "missing", "not_found", "nonexist", "does_not_exist")),
        Bug("empty_title_accepted",
            'POST /tasks accepts an empty title ("") instead of answering 422',
            'POST /tasks with {"title": ""} and assert 422',
            "tests/api/test_tasks.py",
            empty_title_accepted,
            ("title", "empty", "invalid", "valid", "422", "refuse", "reject")),
        Bug("upstream_timeout_answers_500",
            "GET /holidays/{year} answers 500 instead of 504 when the holidays upstream times out",
            "replace the upstream with a fake that raises httpx.ReadTimeout (a dependency override) "
            "and assert 504",
            "tests/api/test_holidays.py, with the fake in tests/conftest.py",
            upstream_timeout_answers_500,
            ("timeout", "504", "slow")),
        Bug("delete_does_nothing",
            "DELETE /tasks/{id} answers 204 but the task is still there",
            "delete a task, then GET it and assert 404",
            "tests/api/test_tasks.py",
            delete_does_nothing,
            ("delete", "remove")),
        Bug("done_filter_ignored",
            "GET /tasks?done=true lists every task, the open ones too",
            "create one open and one finished task, GET /tasks?done=true and assert only the finished one comes back",
            "tests/api/test_tasks.py",
            done_filter_ignored,
            ("filter", "done", "finished", "list")),
    ]
}


def plant(name: str) -> None:
    """Put bug `name` around every Starlette (and FastAPI) app built from now on in this process."""
    from fastapi import FastAPI
    from starlette.applications import Starlette

    bug = BUGS[name]
    for cls in (Starlette, FastAPI):
        if "build_middleware_stack" not in vars(cls):
            continue
        build = vars(cls)["build_middleware_stack"]

        def build_with_bug(self, build=build):
            return bug.wrap(build(self))

        cls.build_middleware_stack = build_with_bug
