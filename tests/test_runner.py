"""What a learner sees when their code is broken: file:line, the line, never a raw traceback."""

import re
from pathlib import Path

import pytest

from shiplings.manifest import load_course
from shiplings.overlays import snapshot_tree, starter_tree, write_tree
from shiplings.runner import run_checks


def workspace_with(course_root: Path, main_py: str | None = None, lesson: int = 1, starter: bool = False) -> Path:
    course = load_course(course_root)
    tree = (starter_tree if starter else snapshot_tree)(course, course.lesson(lesson), course_root)
    folder = course_root / "workspace"
    write_tree(tree, folder)
    if main_py is not None:
        (folder / "main.py").write_text(main_py)
    return folder


def run(course_root: Path, workspace: Path, lesson: int = 1, at: int | None = None):
    course = load_course(course_root)
    return run_checks(course, course_root, course.lesson(lesson), workspace,
                      at=course.lesson(at) if at else None)


def test_solution_passes_and_starter_fails_with_the_learner_message(tiny_course):
    assert run(tiny_course, workspace_with(tiny_course)).passed
    result = run(tiny_course, workspace_with(tiny_course, starter=True))
    assert not result.passed
    [check] = result.checks
    assert check.outcome == "failed"
    assert check.name == "GET /hello says hello"
    assert "should say hello" in check.message and "Look at main.py" in check.message
    assert check.hints == ["Return a dict.", "Return {'message': 'hello'}."]


def test_syntax_error_is_reported_as_file_line_and_the_line(tiny_course):
    source = "from fastapi import FastAPI\n\napp = FastAPI(\n\ndef broken(:\n    pass\n"
    result = run(tiny_course, workspace_with(tiny_course, source))
    error = result.app_error
    assert error["kind"] == "syntax" and error["file"] == "main.py"
    assert error["line"] in (3, 5)
    assert "Python cannot read main.py" in error["message"]
    assert "Traceback" not in error["message"]


def test_import_error_names_what_is_missing(tiny_course):
    source = "from fastapi import FastAPI, NoSuchThing\n\napp = FastAPI()\n"
    result = run(tiny_course, workspace_with(tiny_course, source))
    error = result.app_error
    assert error["kind"] == "import" and error["file"] == "main.py" and error["line"] == 1
    assert "NoSuchThing" in error["message"]
    assert error["code"].startswith("from fastapi import")


def test_missing_module_is_named(tiny_course):
    source = "import fastapi_helpers_that_do_not_exist\n"
    result = run(tiny_course, workspace_with(tiny_course, source))
    assert "fastapi_helpers_that_do_not_exist" in result.app_error["message"]


def test_an_exception_in_a_route_points_at_the_learner_line(tiny_course):
    source = (
        "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        "@app.get('/hello')\ndef hello():\n    return {'message': 1 / 0}\n"
    )
    # the app answers 500 (the check fails by assertion) ...
    result = run(tiny_course, workspace_with(tiny_course, source))
    assert result.checks[0].outcome == "failed"
    assert "expected JSON from GET /hello" in result.checks[0].message
    assert "Behind that answer: Your code raised ZeroDivisionError" in result.checks[0].message
    assert "main.py line 8" in result.checks[0].message
    # ... and a crash at import is reported at its line
    result = run(tiny_course, workspace_with(tiny_course, "x = {}['missing']\n"))
    [check] = result.checks
    assert check.outcome == "error"
    assert "KeyError" in check.message and "main.py line 1" in check.message


def test_a_hanging_app_is_stopped_and_the_message_says_what_hung(tiny_course, monkeypatch):
    ini = tiny_course / "checks" / "pytest.ini"
    ini.write_text(ini.read_text().replace("check_timeout = 10", "check_timeout = 2"))
    monkeypatch.setenv("SHIPLINGS_TIMEOUT_FACTOR", "1")  # the limit as written, however loaded the machine
    source = (
        "import time\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        "@app.get('/hello')\nasync def hello():\n    time.sleep(60)\n"
    )
    result = run(tiny_course, workspace_with(tiny_course, source))
    [check] = result.checks
    assert check.outcome == "timeout"
    # 2 s, or a little more while importing the app still used CPU at that moment
    assert re.search(r"did not answer within [2-4] s", check.message), check.message
    assert "GET /hello" in check.message
    assert "used no CPU" in check.message  # a blocking sleep: hung, not slow
    assert result.duration < 30


def test_missing_workspace_says_what_to_run(tiny_course):
    result = run(tiny_course, tiny_course / "nowhere")
    assert not result.passed
    assert "shiplings start 01" in result.problem


def test_a_check_the_manifest_lists_but_nobody_wrote_is_reported(tiny_course):
    (tiny_course / "checks" / "01_hello" / "test_hello.py").write_text(
        "async def test_other(client):\n    assert True, 'never fails'\n"
    )
    result = run(tiny_course, workspace_with(tiny_course))
    outcomes = {check.test: check.outcome for check in result.checks}
    assert outcomes == {"test_hello": "missing", "test_other": "passed"}
    assert not result.passed


def test_retired_checks_are_skipped_from_the_retiring_lesson_on(tiny_course):
    manifest = tiny_course / "course.toml"
    manifest.write_text(manifest.read_text().replace(
        'removes = ["old.txt"]',
        'removes = ["old.txt"]\nretires = [{ check = "01_hello::test_hello", reason = "hello is gone now" }]',
    ))
    workspace = workspace_with(tiny_course, "from fastapi import FastAPI\napp = FastAPI()\n")
    assert not run(tiny_course, workspace, lesson=1).passed
    at_two = run(tiny_course, workspace, lesson=1, at=2)
    assert at_two.checks[0].retired and at_two.checks[0].outcome == "skipped"
    # and it is not even run: a retired check may hang or crash on the later app
    from shiplings.runner import launch

    report, output, _ = launch(tiny_course, ["01_hello"], {"01_hello": {"test_hello"}}, workspace).finish()
    assert report["checks"] == [] and "1 deselected" in output


@pytest.mark.parametrize("lesson", [1, 2])
def test_checks_of_several_lessons_run_in_one_process(tiny_course, lesson):
    from shiplings.runner import run_lessons

    course = load_course(tiny_course)
    workspace = workspace_with(tiny_course, lesson=2)
    results = run_lessons(course, tiny_course, course.lessons[:lesson], workspace)
    assert [r.lesson for r in results] == [each.id for each in course.lessons[:lesson]]
    assert all(r.passed for r in results)


def test_checks_import_the_shared_support_package_and_root_conftest(tiny_course):
    support = tiny_course / "checks" / "support"
    support.mkdir()
    (support / "__init__.py").write_text("")
    (support / "greetings.py").write_text("EXPECTED = {'message': 'hello'}\n")
    (tiny_course / "checks" / "conftest.py").write_text(
        "import pytest\n\nfrom support.greetings import EXPECTED\n\n\n"
        "@pytest.fixture\ndef expected():\n    return EXPECTED\n"
    )
    (tiny_course / "checks" / "01_hello" / "test_hello.py").write_text(
        "from support.greetings import EXPECTED\n\n\n"
        "async def test_hello(client, expected):\n"
        "    response = await client.get('/hello')\n"
        "    assert response.json() == EXPECTED == expected, 'GET /hello should say hello'\n"
    )
    result = run(tiny_course, workspace_with(tiny_course))
    assert result.passed, (result.problem, result.checks)
