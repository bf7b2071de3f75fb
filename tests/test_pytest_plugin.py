"""The check plugin's outcomes as a learner meets them, from a real check run."""

from __future__ import annotations

import io

from rich.console import Console

from shiplings import tools
from shiplings.manifest import load_course
from shiplings.overlays import snapshot_tree, write_tree
from shiplings.report import failing, html, print_result
from shiplings.runner import run_checks

NEEDS_REDIS = '''
from shiplings.testing import show


async def test_counts_in_redis(client, redis_url):
    response = await client.get("/hello")
    assert response.status_code == 200, f"GET /hello should answer 200; your app answered {show(response)}."
'''


def lesson_that_needs_redis(course_root):
    """Lesson 01 of the tiny course with a second check, one that needs a real Redis."""
    manifest = course_root / "course.toml"
    manifest.write_text(manifest.read_text().replace(
        'hints = ["Return a dict.", "Return {\'message\': \'hello\'}."]\n',
        'hints = ["Return a dict.", "Return {\'message\': \'hello\'}."]\n\n'
        '[[lessons.checks]]\ntest = "test_counts_in_redis"\nname = "Counts hellos in Redis"\n'
        'hints = ["Start Redis."]\n',
    ))
    (course_root / "checks" / "01_hello" / "test_redis.py").write_text(NEEDS_REDIS)
    course = load_course(course_root)
    lesson = course.lesson(1)
    workspace = course_root / "workspace"
    write_tree(snapshot_tree(course, lesson, course_root), workspace)
    return course, lesson, workspace


def test_a_missing_server_binary_means_cannot_run_not_failed(tiny_course, tmp_path, monkeypatch):
    course, lesson, workspace = lesson_that_needs_redis(tiny_course)
    # a machine without redis-server: nothing on PATH (the check runs with this Python's full path)
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert tools.find("redis") is None

    result = run_checks(course, tiny_course, lesson, workspace)

    outcomes = {check.test: check.outcome for check in result.checks}
    assert outcomes == {"test_hello": "passed", "test_counts_in_redis": "unavailable"}
    blocked = result.checks[1]
    assert blocked.cannot_run and not blocked.passed
    assert blocked.message.startswith("cannot run: redis is not installed")
    assert tools.fix_for("redis") in blocked.message and "shiplings doctor" in blocked.message
    assert "bug in the course" not in blocked.message
    # the lesson is not passed by it, and nothing in it counts as the learner's failure
    assert not result.passed
    assert failing(result) == []

    buffer = io.StringIO()
    print_result(result, "01", Console(file=buffer, soft_wrap=True, highlight=False, color_system=None))
    text = buffer.getvalue()
    assert "! Counts hellos in Redis" in text
    assert "1/2 checks pass, 1 cannot run on this machine" in text
    assert "shiplings doctor" in text and "Stuck?" not in text
    page = html(result, "01")
    assert "cannot run: redis is not installed" in page and "#9a6700" in page


def app_answering(course_root, body: str):
    """The tiny course's lesson 01 workspace with GET /hello's body replaced."""
    course = load_course(course_root)
    lesson = course.lesson(1)
    workspace = course_root / "workspace"
    write_tree(snapshot_tree(course, lesson, course_root), workspace)
    (workspace / "main.py").write_text(
        "from fastapi import FastAPI, HTTPException\n\napp = FastAPI()\n\n\n"
        f"@app.get('/hello')\ndef hello() -> dict:\n{body}\n"
    )
    [check] = run_checks(course, course_root, lesson, workspace).checks
    return check


def test_an_http_exception_returned_not_raised_is_named(tiny_course):
    check = app_answering(tiny_course, "    return HTTPException(status_code=404, detail='no hello')")
    assert check.outcome == "failed"
    assert "Behind that answer: hello() (main.py line 6) returned HTTPException(404: no hello)" in check.message
    assert "instead of raising it" in check.message


def test_a_500_the_framework_raised_is_explained(tiny_course):
    check = app_answering(tiny_course, "    return {'message': object()}")
    assert check.outcome == "failed"
    assert "Behind that answer: pydantic raised PydanticSerializationError" in check.message
    assert "No line of your code is in its traceback" in check.message
