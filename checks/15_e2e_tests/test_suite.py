"""Lesson 15: the learner's end-to-end suite passes on their app and fails on each seeded bug.

The suite is theirs (e2e/); the app it drives is the production build served by their
backend in one origin (e2e/conftest.py). conftest.py here runs it (`e2e`) and holds BUGS.
"""

import re

import pytest

from shiplings.testing import workspace

SUITE = "e2e"
TODO = "TODO(15)"

# what waits a fixed time in a browser test: each is either too short on a busy machine or too long on others
FIXED_WAITS = re.compile(r"\b(wait_for_timeout|time\.sleep|asyncio\.sleep)\s*\(|^\s*from\s+time\s+import\s+.*\bsleep\b",
                         re.MULTILINE)
RUN_SECONDS = 900  # a check that runs the suite: the clean run and one bug run side by side, on a busy machine


def no_suite_message() -> str:
    return (f"There should be end-to-end tests in {SUITE}/ (files named test_*.py, as the lesson starts them); "
            f"none were found in your workspace. `shiplings start 15` hands them over.")


def suite_is_green(results) -> None:
    """AssertionError with the learner's message unless the suite passed on the unchanged app."""
    assert results.files, no_suite_message()
    clean = results.clean
    todo = clean.todo_skips()
    assert not todo, (
        f"{len(todo)} end-to-end test(s) still skip with {TODO}: "
        + ", ".join(test.name.rpartition("::")[2] for test in todo[:6])
        + f". Write them in {SUITE}/ and delete each pytest.skip(...) line; run them with `pytest {SUITE}`."
    )
    assert clean.green, (
        f"`pytest {SUITE}` should pass on your app (the production build, served by your backend); it did not:\n"
        f"{clean.what_happened()}\nRun `pytest {SUITE}` yourself (add `--headed --slowmo 300` to watch the browser)."
    )


def test_no_fixed_sleeps():
    files = sorted((workspace() / SUITE).rglob("*.py")) if (workspace() / SUITE).is_dir() else []
    assert files, f"There should be end-to-end tests in {SUITE}/; there is no such folder in your workspace."
    found = [
        f"{path.relative_to(workspace()).as_posix()}:{text[:match.start()].count(chr(10)) + 1}: "
        f"{text.splitlines()[text[:match.start()].count(chr(10))].strip()}"
        for path in files
        for text in [path.read_text(encoding="utf-8", errors="replace")]
        for match in FIXED_WAITS.finditer(text)
    ]
    assert not found, (
        "The end-to-end tests should wait for what they expect, never for a fixed time: a sleep is too short on "
        "a busy machine (the test fails at random) and too long everywhere else (every run pays it). Found:\n"
        + "\n".join(found[:5])
        + "\nAssert with expect(locator).to_have_text(...) / to_be_visible(): it retries until the page gets there."
    )


@pytest.mark.timeout(RUN_SECONDS)
def test_suite_passes(e2e):
    suite_is_green(e2e)
    names = " ".join(test.name for test in e2e.clean.with_outcome("passed"))
    assert len(e2e.clean.with_outcome("passed")) >= 5, (
        f"The suite should walk the whole critical path (sign in, add a task, sign in again, a second user, "
        f"sign out and Back, a wrong password) and scan the main views; only "
        f"{len(e2e.clean.with_outcome('passed'))} test(s) ran and passed: {names}."
    )


def caught(e2e, name: str) -> None:
    """The check of one seeded bug: the suite is green on the app, and red with the bug planted."""
    assert e2e.files, no_suite_message()
    bug = e2e.seeded[name]
    assert e2e.clean.green, (
        f"Not tried yet: the check plants a bug ({bug.what}) once your suite passes on your app, since a suite "
        "that fails anyway proves nothing about the bug. Make `pytest e2e` pass first (the check above says how)."
    )
    run = e2e.bug(name)
    assert not run.problem, run.problem
    assert not run.timed_out, (
        f"With a bug planted ({bug.what}), `pytest {SUITE}` was still running after {run.seconds:.0f} s and was "
        "stopped. A test that waits for something that never comes should fail within expect's 5 s."
    )
    first = run.broken[0] if run.broken else None
    assert first is not None and run.green_again is None, (
        f"Your end-to-end suite should fail on this bug, and it passed: {bug.what}. Which test of the critical "
        f"path would a user of that app notice it in? Add the assertion that fails there (by role or label, "
        f"with expect), run `pytest {SUITE}` against your app, and `shiplings hint 15` for more."
        + (f" (A first run with the bug failed at {first.name}: {first.message[:200]}; and the same suite passed "
           "when the check ran it again with the bug still planted, so that failure came from timing on a busy "
           "machine, not from the bug.)" if first is not None else "")
    )


@pytest.mark.timeout(RUN_SECONDS)
def test_catches_sign_out_that_keeps_the_token(e2e):
    caught(e2e, "sign-out-keeps-token")


@pytest.mark.timeout(RUN_SECONDS)
def test_catches_a_stale_task_list(e2e):
    caught(e2e, "stale-task-list")


@pytest.mark.timeout(RUN_SECONDS)
def test_catches_a_list_that_never_loads(e2e):
    caught(e2e, "list-not-loaded")


@pytest.mark.timeout(RUN_SECONDS)
def test_catches_a_create_form_that_drops_the_title(e2e):
    caught(e2e, "create-drops-title")


@pytest.mark.timeout(RUN_SECONDS)
def test_catches_a_silent_wrong_password(e2e):
    caught(e2e, "silent-wrong-password")


@pytest.mark.timeout(RUN_SECONDS)
def test_catches_an_unreadable_empty_list(e2e):
    caught(e2e, "faint-empty-list")
