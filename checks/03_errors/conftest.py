"""Helpers for the lesson 03 checks: read an error envelope, mount a route on the app."""

import pytest


def envelope_problem(response) -> str | None:
    """None when the body is {"error": {"code": str, "message": str, "details": list | null}}."""
    if response.status_code >= 500 and not response.content:
        return (
            "the body is empty: an exception handler raised an exception itself (is one still a "
            "stub that raises NotImplementedError?); send the request from /docs and read the "
            "traceback in the uvicorn terminal"
        )
    try:
        body = response.json()
    except ValueError:
        kind = response.headers.get("content-type", "no content type")
        return f"the body is not JSON ({kind})"
    if not isinstance(body, dict) or set(body) != {"error"} or not isinstance(body["error"], dict):
        return 'the body should be an object with one key, "error"'
    error = body["error"]
    if not isinstance(error.get("code"), str) or not isinstance(error.get("message"), str):
        return '"error" should hold a "code" and a "message", both strings'
    if "details" not in error or not (error["details"] is None or isinstance(error["details"], list)):
        return '"error" should hold "details": a list, or null'
    return None


@pytest.fixture
def envelope():
    """envelope(response) -> (error dict or None, what is wrong with the shape)."""

    def read(response):
        problem = envelope_problem(response)
        return (None, problem) if problem else (response.json()["error"], "")

    return read


@pytest.fixture
def mount(app):
    """mount(path, endpoint): add a route to the learner's app for one check."""

    def add(path: str, endpoint) -> str:
        app.add_api_route(path, endpoint, methods=["GET"])
        return path

    return add
