"""A pytest plugin for the checks' runs of the learner's suite with a bug planted.

A bug run stops at the first failure (-x), so the tests most likely to meet the bug go
first: those whose names hold one of the words in E2E_FIRST. Only the order changes;
whether the suite catches the bug does not.
"""

import os


def pytest_collection_modifyitems(items) -> None:
    words = os.environ.get("E2E_FIRST", "").lower().split()
    if words:
        items.sort(key=lambda item: not any(word in item.name.lower() for word in words))
