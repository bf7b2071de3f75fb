"""The error envelope every error answers in from lesson 03 on.

    {"error": {"code": "not_found", "message": "...", "details": null}}
"""

from __future__ import annotations

from shiplings.testing import show

SHAPE = '{"error": {"code": ..., "message": ..., "details": ...}}'


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


def read_envelope(response) -> tuple[dict | None, str]:
    """(the "error" object, "") when the body is the envelope; else (None, what is wrong)."""
    problem = envelope_problem(response)
    return (None, problem) if problem else (response.json()["error"], "")


def envelope_code(response) -> str | None:
    """The envelope's code, or None when the body is not the error envelope."""
    error, _ = read_envelope(response)
    return None if error is None else error["code"]


def expect_envelope(response, status: int, code: str, asked: str, look: str) -> None:
    """Fail with a learner's message unless the response has `status` and `code` in the envelope.

    asked: the request in words ("GET /tasks/424242 (no such task)"); look: where to look.
    """
    problem = envelope_problem(response)
    if problem is None and response.status_code == status and response.json()["error"]["code"] == code:
        return
    raise AssertionError(
        f'{asked} should answer {status} with the envelope {SHAPE} and the code "{code}"; your app '
        f"answered {show(response)}" + (f" ({problem})" if problem else "") + f". {look}"
    )
