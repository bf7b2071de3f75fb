"""Lesson 06: the learner's own suite (workspace/tests/) runs green on their app.

The check runs `pytest` in a copy of the workspace, the way the learner runs it, except
that it is offline (a suite must not need the internet) and that the copy holds a
development database, tasks.db, whose bytes are compared before and after.
"""

import re
import tomllib

import pytest

# the first check to ask for `suite` waits for every run of the learner's suite
pytestmark = pytest.mark.timeout(360)

TODO = "TODO(06)"


def pretty(nodeid: str) -> str:
    """tests/api/test_tasks.py::test_x[asyncio-GET] -> tests/api/test_tasks.py::test_x[GET]."""
    name = re.sub(r"\[asyncio-?", "[", nodeid)
    return name.replace("[]", "")


def listing(tests, limit: int = 6, reasons: bool = True) -> str:
    lines = [f"\n  - {pretty(test.nodeid)}" + (f": {test.message}" if reasons and test.message else "")
             for test in tests[:limit]]
    if len(tests) > limit:
        lines.append(f"\n  - ... and {len(tests) - limit} more")
    return "".join(lines)


def run_problem(run, what: str) -> str | None:
    """Why a run of the learner's suite says nothing about their tests, or None."""
    if not run.ran:
        return f"{what} could not be run."
    if run.timed_out:
        return (f"{what} did not finish within {run.seconds:.0f} s and was stopped. A test that waits "
                "forever (an upstream without a timeout, a lifespan never entered) is the usual cause; "
                f"`pytest --timeout=10` in your workspace shows which. Last output:\n{run.output[-800:]}")
    if run.collect_errors:
        return (f"pytest could not load part of {what}:" + "".join(f"\n  - {e}" for e in run.collect_errors[:5])
                + "\nRun `pytest` in your workspace: it shows the file and line.")
    if not run.tests and run.exit_code not in (0, 5):
        return (f"pytest stopped before it ran any test of {what} (exit code {run.exit_code}); "
                "a conftest.py that cannot be imported is the usual cause. What pytest said:\n"
                + "\n".join(run.output.strip().splitlines()[-12:]))
    if not run.tests:
        return (f"pytest found no tests in {what}. Tests live in files named test_*.py under "
                "tests/ in your workspace (pyproject.toml's testpaths), in functions named test_*.")
    return None


# what pytest says of an async test or fixture that no plugin runs
ASYNC_NOT_RUN = ("async def functions are not natively supported", "requested an async fixture")


def async_tests_not_run(run, workspace) -> str | None:
    """Why async tests failed without running, when pytest was never told to run them."""
    stuck = [test for test in run.broken if any(words in test.message for words in ASYNC_NOT_RUN)]
    if not stuck:
        return None
    try:
        config = tomllib.loads((workspace / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        config = {}
    mode = config.get("tool", {}).get("pytest", {}).get("ini_options", {}).get("anyio_mode")
    setting = ("pyproject.toml's [tool.pytest.ini_options] has no anyio_mode" if mode is None
               else f"pyproject.toml's [tool.pytest.ini_options] sets anyio_mode = {mode!r}")
    return (
        f"{len(stuck)} of your {len(run.tests)} tests never ran: pytest runs no `async def` test and no "
        "async fixture by itself, and said so for each of them:"
        f"{listing(stuck, limit=3)}\n"
        f"anyio's pytest plugin runs them for pytest, when anyio_mode tells it to, and {setting}. "
        "Look at that section of pyproject.toml in your workspace."
    )


def test_suite_passes(suite, workspace):
    clean = suite.clean
    problem = run_problem(clean, "your suite")
    assert problem is None, problem
    not_run = async_tests_not_run(clean, workspace)
    assert not_run is None, not_run
    offline = ""
    if clean.refused_hosts:
        offline = (f"\nSome tests tried to reach {', '.join(clean.refused_hosts)} over the network. The "
                   "checks run your suite offline, and a suite should never need the internet: give the "
                   "app a fake upstream in tests/conftest.py (app.dependency_overrides[get_http_client]).")
    assert not clean.broken, (
        f"Your suite should pass on your own app, but {len(clean.broken)} of its {len(clean.tests)} tests "
        f"{'fails' if len(clean.broken) == 1 else 'fail'} (pytest in a copy of your workspace, offline):"
        f"{listing(clean.broken)}{offline}\n"
        "Run `pytest` in your workspace to see each failure in full."
    )
    todo = clean.todo_skips(TODO)
    assert not todo, (
        f"Your suite passes, but {len(todo)} test{'s are' if len(todo) > 1 else ' is'} still skipped "
        f"with a {TODO} marker, testing nothing yet:{listing(todo, reasons=False)}\n"
        "Write each one, then delete its `pytest.skip(...)` line."
    )
    never_awaited = sorted(set(re.findall(r"coroutine '([^']+)' was never awaited", clean.output)))
    assert not never_awaited, (
        f"Your suite passes, but it never ran part of itself: Python warned that the coroutine "
        f"{', '.join(never_awaited[:3])} was never awaited. Calling an async function without "
        "`await` only makes a coroutine object; nothing in it runs, its assertions included, so the "
        "test passes whatever the app does. Run `pytest` in your workspace: its warnings summary "
        "names the test whose call is not awaited."
    )
    assert clean.exit_code == 0, (
        f"pytest ended with exit code {clean.exit_code} although no test failed. What it printed:\n"
        f"{clean.output[-1200:]}"
    )


def test_suite_uses_a_test_database(suite):
    clean = suite.clean
    problem = run_problem(clean, "your suite")
    assert problem is None, problem + " (This check needs your suite to run first.)"
    assert clean.passed, (
        "None of your tests passed, so this check cannot tell which database they use. "
        "Make the first check pass first."
    )
    assert suite.dev_database is not None, "Your workspace has no alembic.ini: lesson 04's migrations are missing."
    assert suite.dev_database_now() == suite.dev_database_before, (
        "Your suite wrote into tasks.db, the development database: the board you click through by "
        "hand. (The check ran your suite next to a tasks.db of its own, and the file changed.) "
        "create_app() without settings reads TASKS_DATABASE_URL or falls back to ./tasks.db; tests "
        "that use it leave tasks behind there, and fail or pass depending on what an earlier run "
        "left. Give every test its own throwaway database: the settings fixture in tests/conftest.py."
    )
