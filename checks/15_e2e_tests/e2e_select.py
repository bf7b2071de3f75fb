"""A pytest plugin for the checks' runs of the learner's suite: which tests run, in which order.

- E2E_SKIP (one test id a line, "e2e/test_path.py::test_a", without parameters): tests whose
  verdict the check kept from an earlier run (conftest.py) are deselected, as `--deselect`
  would, but by the whole id: `--deselect e2e/t.py::test_a` also drops test_a_second.
- E2E_FIRST_TEST (a test id) and E2E_FIRST (words): a bug run stops at the first failure
  (-x), so the test that caught the bug last time goes first, then those whose names hold
  one of the words. Only the order changes; whether the suite catches the bug does not.

Only top-level test functions have such ids; any other test always runs.
"""

import os
from pathlib import Path

import pytest


def test_id(item: pytest.Item) -> str:
    """The item's id as the check's keys name it, or "" for a test that is not a module's own function."""
    try:
        module = Path(item.path).resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:  # a test outside the workspace
        return ""
    if not isinstance(item.parent, pytest.Module):
        return ""
    return f"{module}::{getattr(item, 'originalname', item.name)}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = set(filter(None, os.environ.get("E2E_SKIP", "").splitlines()))
    if skip:
        deselected = [item for item in items if test_id(item) in skip]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = [item for item in items if test_id(item) not in skip]
    first = os.environ.get("E2E_FIRST_TEST", "")
    words = os.environ.get("E2E_FIRST", "").lower().split()
    if first or words:
        items.sort(key=lambda item: (test_id(item) != first,
                                     not any(word in item.name.lower() for word in words)))
