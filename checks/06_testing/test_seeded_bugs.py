"""Lesson 06: the learner's suite catches bugs planted in a copy of their app.

A suite that passes whatever the app does proves nothing. Each check below plants one
plausible bug (seeded_bugs.py), runs the learner's suite against it, and expects at
least one test to fail.
"""

import pytest

pytestmark = pytest.mark.timeout(360)


def assert_caught(suite, name: str) -> None:
    bug = suite.bug(name)
    clean = suite.clean
    assert clean.green("TODO(06)"), (
        f"This check plants a bug in a copy of your app ({bug.what}) and runs your suite "
        "against it: some test should fail. A suite that does not pass on your app as it is "
        "cannot tell, so make the first check (your suite passes) pass first."
    )
    run = suite.runs.get(name)
    if run is None or not run.ran:
        raise RuntimeError(f"the run with the bug {name} is missing from the results")
    caught = run.timed_out or bool(run.broken)
    if not caught and run.exit_code != 0:  # no test failed, yet pytest did not end well
        raise RuntimeError(f"the run with the bug {name} ended with exit code {run.exit_code}:\n{run.output}")
    assert caught, (
        f"Your suite missed a bug: {bug.what}. The check planted it in a copy of your app and "
        f"all {len(run.passed)} tests still passed, so a change that breaks this would ship. "
        f"Add a test that catches it: {bug.catch} (in {bug.where})."
    )


def test_catches_create_answers_200(suite):
    assert_caught(suite, "create_answers_200")


def test_catches_unknown_task_answers_500(suite):
    assert_caught(suite, "unknown_task_answers_500")


def test_catches_empty_title_accepted(suite):
    assert_caught(suite, "empty_title_accepted")


def test_catches_delete_does_nothing(suite):
    assert_caught(suite, "delete_does_nothing")


def test_catches_done_filter_ignored(suite):
    assert_caught(suite, "done_filter_ignored")


def test_catches_upstream_timeout_answers_500(suite):
    assert_caught(suite, "upstream_timeout_answers_500")
