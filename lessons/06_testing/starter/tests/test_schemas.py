"""Unit tests of app/schemas.py: the models validate input without any app running.

A pure piece like this is tested by calling it directly: no client, no database, a
millisecond per test. The API tests (tests/api/) then only need to prove that the routes
use it.
"""

import pytest
from pydantic import ValidationError  # noqa: F401  (the TODO below needs it)

from app.schemas import TaskIn


def test_a_new_task_is_open():
    assert TaskIn(title="Buy milk").done is False


def test_titles_must_have_1_to_200_characters():
    pytest.skip(
        "TODO(06): TaskIn(title=...) accepts 1 and 200 characters, and raises "
        "ValidationError for \"\" and 201 (with pytest.raises(ValidationError):)"
    )
