"""Watch mode and %check answer from a warm process, forked per run."""

import time

import pytest

from shiplings.manifest import load_course
from shiplings.overlays import snapshot_tree, starter_tree, write_tree
from shiplings.runner import run_checks
from shiplings.warm import WarmRunner

pytestmark = pytest.mark.skipif(not WarmRunner.available(), reason="needs os.fork")


@pytest.fixture
def warm():
    runner = WarmRunner()
    yield runner
    runner.close()


def test_warm_runs_see_every_save_and_stay_isolated(tiny_course, warm):
    course = load_course(tiny_course)
    lesson = course.lesson(1)
    workspace = tiny_course / "workspace"
    write_tree(starter_tree(course, lesson, tiny_course), workspace)
    assert not run_checks(course, tiny_course, lesson, workspace, warm=warm).passed
    write_tree(snapshot_tree(course, lesson, tiny_course), workspace)
    assert run_checks(course, tiny_course, lesson, workspace, warm=warm).passed
    # a learner's syntax error kills nothing: the next run still works
    (workspace / "main.py").write_text("def broken(:\n")
    assert run_checks(course, tiny_course, lesson, workspace, warm=warm).app_error["kind"] == "syntax"
    write_tree(snapshot_tree(course, lesson, tiny_course), workspace)
    assert run_checks(course, tiny_course, lesson, workspace, warm=warm).passed


def test_a_warm_run_is_fast(tiny_course, warm):
    """Not a benchmark (see benchmarks/), only a guard that the fork path is taken."""
    course = load_course(tiny_course)
    lesson = course.lesson(1)
    workspace = tiny_course / "workspace"
    write_tree(snapshot_tree(course, lesson, tiny_course), workspace)
    run_checks(course, tiny_course, lesson, workspace, warm=warm)  # starts the helper
    started = time.perf_counter()
    assert run_checks(course, tiny_course, lesson, workspace, warm=warm).passed
    assert time.perf_counter() - started < 5
