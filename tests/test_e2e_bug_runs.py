"""Lesson 15's runs of the learner's suite: which verdicts count, and which are kept.

On a busy machine a red bug run counts as a catch only when it is red again: a browser
suite can fail for the machine's slowness alone; if the check took that failure for a
catch, a suite that never looks at the bug would pass its check. The unit tests pin down
the verdict; the last test proves it on the real lesson, with a suite that never checks
the second user's list and a test that fails only the first time it runs.

What settles a check is kept by the content of what it read, test by test: a test's pass
on the app, a bug's catch by the test that caught it. An edit of one test runs that test again
(and the bugs it caught); an edit of what the tests share, the backend or the build runs
everything; a failure is never kept.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CHECKS = REPO / "checks"
STALE = "test_catches_a_stale_task_list"


@pytest.fixture
def lesson(on_the_checks_path, monkeypatch):
    """Lesson 15's check modules, imported as checks/pytest.ini has them (checks/ on sys.path)."""
    import importlib.util

    modules = {}
    for name in ("conftest", "test_suite"):
        spec = importlib.util.spec_from_file_location(f"lesson15_{name}", CHECKS / "15_e2e_tests" / f"{name}.py")
        modules[name] = importlib.util.module_from_spec(spec)
        monkeypatch.setitem(sys.modules, spec.name, modules[name])  # dataclasses look their module up
        spec.loader.exec_module(modules[name])
    return modules


def results(lesson, bug_run):
    conftest = lesson["conftest"]
    clean = conftest.SuiteRun("clean", exit_code=0, tests=[conftest.TestOutcome("e2e/test_t.py::test_a", "passed")])
    return conftest.Results(clean, {"stale-task-list": bug_run}, [Path("e2e/test_t.py")])


def red(lesson, name="stale-task-list"):
    conftest = lesson["conftest"]
    return conftest.SuiteRun(name, exit_code=1, tests=[
        conftest.TestOutcome("e2e/test_t.py::test_a_user_sees_only_their_own_tasks", "failed", "Ada's plan is shown")])


def test_a_red_bug_run_is_a_catch(lesson):
    lesson["test_suite"].caught(results(lesson, red(lesson)), "stale-task-list")


def test_a_red_bug_run_that_was_green_when_run_again_is_no_catch(lesson):
    conftest = lesson["conftest"]
    first = red(lesson)
    first.green_again = conftest.SuiteRun("stale-task-list-again", exit_code=0,
                                          tests=[conftest.TestOutcome("e2e/test_t.py::test_a", "passed")])
    with pytest.raises(AssertionError) as failure:
        lesson["test_suite"].caught(results(lesson, first), "stale-task-list")
    said = str(failure.value)
    assert said.startswith("Your end-to-end suite should fail on this bug, and it passed")
    assert "test_a_user_sees_only_their_own_tasks: Ada's plan is shown" in said
    assert "passed when the check ran it again" in said and "timing on a busy machine" in said


SUITE = """from e2e.helpers import sign_in


def test_a(page):
    sign_in(page)


def test_a_user_sees_only_their_own_tasks(page):
    sign_in(page)
"""


@pytest.fixture
def kept_runs(lesson, tmp_path, monkeypatch):
    """Lesson 15's conftest with a workspace holding a suite, and a state folder of its own."""
    workspace = tmp_path / "workspace"
    (workspace / "e2e").mkdir(parents=True)
    (workspace / "e2e" / "test_t.py").write_text(SUITE)
    (workspace / "e2e" / "helpers.py").write_text("def sign_in(page): ...\n")
    (workspace / "lesson.ipynb").write_text("{}")
    monkeypatch.setenv("SHIPLINGS_WORKSPACE", str(workspace))
    monkeypatch.setenv("SHIPLINGS_STATE", str(tmp_path / "state"))
    return lesson["conftest"], workspace


def base(conftest, keys, name="clean", backend="backend", dist=Path("/builds/abc")):
    return conftest.run_key(name, keys.shared, backend, dist)


def edit(workspace, file, old, new):
    path = workspace / "e2e" / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_a_pass_is_kept_test_by_test_and_an_edit_of_one_test_runs_that_test_alone(kept_runs, lesson):
    conftest, workspace = kept_runs
    keys = conftest.keys_now()
    assert sorted(keys.tests) == ["e2e/test_t.py::test_a", "e2e/test_t.py::test_a_user_sees_only_their_own_tasks"]
    run = conftest.SuiteRun("clean", exit_code=1, tests=[
        conftest.TestOutcome("e2e/test_t.py::test_a", "passed"),
        conftest.TestOutcome("e2e/test_t.py::test_a_user_sees_only_their_own_tasks", "failed", "Ada's plan is shown")])
    assert conftest.kept_passes(base(conftest, keys), keys) == {}
    conftest.keep_passes(base(conftest, keys), keys, run)
    assert list(conftest.kept_passes(base(conftest, keys), keys)) == ["e2e/test_t.py::test_a"]  # a failure runs again
    assert conftest.nothing_else_runs(base(conftest, keys))

    edit(workspace, "test_t.py", "def test_a(page):\n    sign_in(page)",
         "def test_a(page):\n    sign_in(page)\n    # ok")
    assert conftest.keys_now() == keys  # a comment
    edit(workspace, "test_t.py", "def test_a(page):\n    sign_in(page)", "def test_a(page):\n    sign_in(page, 2)")
    edited = conftest.keys_now()
    assert conftest.kept_passes(base(conftest, edited), edited) == {}  # that test runs again
    conftest.keep_passes(base(conftest, edited), edited, conftest.SuiteRun("clean", exit_code=0, tests=[
        conftest.TestOutcome("e2e/test_t.py::test_a_user_sees_only_their_own_tasks", "passed")]))
    assert list(conftest.kept_passes(base(conftest, edited), edited)) == [
        "e2e/test_t.py::test_a_user_sees_only_their_own_tasks"]
    for other in [dict(backend="backend changed"), dict(dist=Path("/builds/other")), dict(name="stale-task-list")]:
        assert conftest.kept_passes(base(conftest, edited, **other), edited) == {}, other
    edit(workspace, "helpers.py", "...", "return page")  # what every test shares: all of them run again
    assert conftest.kept_passes(base(conftest, conftest.keys_now()), conftest.keys_now()) == {}


def test_the_kept_passes_and_the_run_of_the_rest_make_the_whole_suites_run(kept_runs):
    conftest, _ = kept_runs
    keys = conftest.keys_now()
    conftest.keep_passes(base(conftest, keys), keys, conftest.SuiteRun("clean", exit_code=0, tests=[
        conftest.TestOutcome("e2e/test_t.py::test_a", "passed", ""),
        conftest.TestOutcome("e2e/test_t.py::test_b", "passed")]))
    kept = conftest.kept_passes(base(conftest, keys), keys)
    nothing_left = conftest.with_kept(conftest.SuiteRun("clean", exit_code=conftest.NOTHING_LEFT), kept)
    assert nothing_left.green and [test.name for test in nothing_left.tests] == ["e2e/test_t.py::test_a"]
    red = conftest.with_kept(conftest.SuiteRun("clean", exit_code=1, tests=[
        conftest.TestOutcome("e2e/test_t.py::test_a_user_sees_only_their_own_tasks", "failed", "no")]), kept)
    assert not red.green and len(red.tests) == 2
    assert not conftest.with_kept(conftest.SuiteRun("clean", exit_code=conftest.NOTHING_LEFT), {}).green
    # test_b has no key of its own (a Test class's, a collector's): the suite always runs
    assert not conftest.nothing_else_runs(base(conftest, keys))


def test_a_run_that_did_not_end_on_its_own_keeps_nothing(kept_runs):
    conftest, _ = kept_runs
    keys = conftest.keys_now()
    passed = [conftest.TestOutcome("e2e/test_t.py::test_a", "passed")]
    for run in [conftest.SuiteRun("clean", timed_out=True, tests=passed),
                conftest.SuiteRun("clean", exit_code=2, tests=passed),  # interrupted, or a collection error
                conftest.SuiteRun("clean", problem="The check run ended before this run of the suite did.",
                                  tests=passed)]:
        conftest.keep_passes(base(conftest, keys), keys, run)
        assert conftest.kept_passes(base(conftest, keys), keys) == {}, run
        assert not conftest.nothing_else_runs(base(conftest, keys))


def test_a_catch_is_kept_while_the_test_that_caught_it_is_unchanged(kept_runs, lesson):
    conftest, workspace = kept_runs
    keys = conftest.keys_now()
    bug = base(conftest, keys, "stale-task-list", dist=Path("/builds/def"))
    assert conftest.kept_catch(bug, keys) == (None, "")
    conftest.keep_if_caught(bug, keys, red(lesson))
    caught, first = conftest.kept_catch(bug, keys)
    lesson["test_suite"].caught(results(lesson, caught), "stale-task-list")
    assert first == "e2e/test_t.py::test_a_user_sees_only_their_own_tasks"

    edit(workspace, "test_t.py", "def test_a(page):\n    sign_in(page)", "def test_a(page):\n    sign_in(page, 2)")
    assert conftest.kept_catch(bug, conftest.keys_now())[0] is not None  # another test's edit
    edit(workspace, "test_t.py", "own_tasks(page):\n    sign_in(page)", "own_tasks(page):\n    sign_in(page, 3)")
    assert conftest.kept_catch(bug, conftest.keys_now()) == (None, first)  # the catcher's: that test first


def test_only_a_catch_is_kept(kept_runs, lesson):
    conftest, _ = kept_runs
    keys = conftest.keys_now()
    missed = conftest.SuiteRun("stale-task-list", exit_code=0,
                               tests=[conftest.TestOutcome("e2e/test_t.py::test_a", "passed")])
    green_again = red(lesson)
    green_again.green_again = missed
    stopped = red(lesson)
    stopped.timed_out = True
    for number, run in enumerate([missed, green_again, stopped]):
        bug = base(conftest, keys, f"run {number}")
        conftest.keep_if_caught(bug, keys, run)
        assert conftest.kept_catch(bug, keys) == (None, ""), run


def test_the_checks_own_files_and_pytests_configuration_are_shared(kept_runs):
    conftest, workspace = kept_runs
    keys = conftest.keys_now()
    (workspace / "lesson.ipynb").write_text('{"cells": []}')  # not read by the suite
    assert conftest.keys_now() == keys
    (workspace / "pytest.ini").write_text("[pytest]\n")
    assert conftest.keys_now().shared != keys.shared
    assert any(path.name == "test_suite.py" for path in conftest.HERE.glob("*.py"))


def test_a_run_leaves_out_the_kept_tests_and_puts_the_catcher_first(tmp_path):
    """e2e_select.py in a real pytest run: deselection by the whole id, a Test class's tests always run."""
    (tmp_path / "e2e").mkdir()
    (tmp_path / "e2e" / "test_s.py").write_text(
        "import pytest\n\n\n"
        "def test_a(): ...\n\n\n"
        "def test_a_second(): ...\n\n\n"
        "@pytest.mark.parametrize('n', [1, 2])\ndef test_b(n): ...\n\n\n"
        "class TestViews:\n    def test_a(self): ...\n")

    def collected(**env):
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "e2e", "-p", "e2e_select", "--collect-only", "-q",
             "-p", "no:cacheprovider"],
            cwd=tmp_path, capture_output=True, text=True, timeout=60,
            env={**os.environ, "PYTHONPATH": str(CHECKS / "15_e2e_tests"), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
                 **env})
        return [line for line in done.stdout.splitlines() if "::" in line]

    assert collected(E2E_SKIP="e2e/test_s.py::test_a\ne2e/test_s.py::test_b") == [
        "e2e/test_s.py::test_a_second", "e2e/test_s.py::TestViews::test_a"]
    assert collected(E2E_FIRST_TEST="e2e/test_s.py::test_b", E2E_FIRST="second")[:3] == [
        "e2e/test_s.py::test_b[1]", "e2e/test_s.py::test_b[2]", "e2e/test_s.py::test_a_second"]


def test_a_run_is_forked_by_the_zygote_and_reads_as_a_run_of_its_own(kept_runs, tmp_path, on_the_checks_path):
    """run_suite through support/pytest_zygote.py: the learner's tests run in a fork of the zygote,
    and the SuiteRun is what a `python -m pytest` run would give."""
    from support.pytest_zygote import zygote

    conftest, workspace = kept_runs
    (workspace / "e2e" / "test_t.py").write_text(
        "import os\n\n\n"
        "def test_forked():\n"
        "    parent = open(f'/proc/{os.getppid()}/cmdline').read() if os.path.exists('/proc') else 'pytest_zygote'\n"
        "    assert 'pytest_zygote' in parent\n"
        "    assert os.environ['E2E_APP_URL'] == 'http://127.0.0.1:9'\n\n\n"
        "def test_a_user_sees_only_their_own_tasks():\n"
        "    assert False, 'Ada sees her plan'\n")
    with zygote(list(conftest.PRELOAD)) as path:
        run = conftest.run_suite("clean", "http://127.0.0.1:9", Path("/builds/abc"), "http://127.0.0.1:9",
                                 tmp_path, zygote=path)
    assert run.exit_code == 1, run.output
    assert [(test.name, test.outcome) for test in run.tests] == [
        ("e2e/test_t.py::test_forked", "passed"),
        ("e2e/test_t.py::test_a_user_sees_only_their_own_tasks", "failed")], run.output
    assert "Ada sees her plan" in run.tests[1].message


@pytest.mark.timeout(900)
def test_on_a_busy_machine_a_failure_the_second_run_does_not_repeat_is_no_catch(tmp_path):
    """The real lesson 15: a weak suite plus a test that fails once; the check says it did not catch the bug."""
    workspace = tmp_path / "workspace"
    made = subprocess.run([sys.executable, "-m", "shiplings", "dev", "snapshot", "15", "--out", str(workspace)],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    suite = workspace / "e2e" / "test_critical_path.py"
    text = suite.read_text()
    checked = ('    expect(page.get_by_text("No tasks yet")).to_be_visible()\n'
               '    expect(page.get_by_text("Ada\'s secret plan")).to_have_count(0)\n')
    assert checked in text, "lesson 15's solution changed: update this test's weak suite"
    flag = tmp_path / "failed-once"
    # the second user's list is never looked at, and one test fails the first time a bug run runs it
    suite.write_text(text.replace(checked, "") + (
        "\n\ndef test_zz_fails_once_under_load():\n"
        "    import os, pathlib\n"
        f"    flag = pathlib.Path({str(flag)!r})\n"
        "    if os.environ.get('E2E_FIRST') is not None and not flag.exists():\n"
        "        flag.touch()\n"
        "        raise AssertionError('timed out waiting for the list (a busy machine)')\n"))
    env = {**os.environ, "SHIPLINGS_WORKSPACE": str(workspace), "SHIPLINGS_TIMEOUT_FACTOR": "3",
           "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    env.pop("PYTEST_CURRENT_TEST", None)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "shiplings.testing", "-p", "shiplings.pytest_plugin",
         "-p", "anyio.pytest_plugin", "-p", "pytest_timeout", "-c", "pytest.ini", "--rootdir=.",
         "--import-mode=importlib", f"15_e2e_tests/test_suite.py::{STALE}", "-q", "-p", "no:cacheprovider"],
        cwd=CHECKS, env=env, capture_output=True, text=True, timeout=840)
    said = done.stdout + done.stderr
    assert flag.exists(), f"the test that fails once never ran in a bug run:\n{said[-3000:]}"
    assert done.returncode == 1, f"the check passed on a suite that never looks at the bug:\n{said[-3000:]}"
    assert "Your end-to-end suite should fail on this bug, and it passed" in said, said[-3000:]
    assert "test_zz_fails_once_under_load" in said and "passed when the check ran it again" in said, said[-3000:]
