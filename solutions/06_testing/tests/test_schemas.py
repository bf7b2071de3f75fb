"""Unit tests of app/schemas.py: the models validate input without any app running.

A pure piece like this is tested by calling it directly: no client, no database, a
millisecond per test. The API tests (tests/api/) then only need to prove that the routes
use it.
"""

import pytest
from pydantic import ValidationError

from app.schemas import Task, TaskIn


def test_a_new_task_is_open():
    assert TaskIn(title="Buy milk").done is False


def test_titles_must_have_1_to_200_characters():
    assert TaskIn(title="x").title == "x"
    assert TaskIn(title="x" * 200).title == "x" * 200
    for title in ["", "x" * 201]:
        with pytest.raises(ValidationError) as refused:
            TaskIn(title=title)
        assert refused.value.errors()[0]["loc"] == ("title",)


def test_a_task_has_an_id():
    task = Task(id=7, title="Buy milk")
    assert task.model_dump() == {"id": 7, "title": "Buy milk", "done": False}
