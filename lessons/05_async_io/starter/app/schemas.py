"""The shapes of the API's data: what clients send and what they get back."""

import datetime

from pydantic import BaseModel, Field


class TaskIn(BaseModel):
    """What a client sends to create or replace a task."""

    title: str = Field(min_length=1, max_length=200)
    done: bool = False


class Task(TaskIn):
    """A task as the API returns it."""

    id: int


class Holiday(BaseModel):
    """A public holiday, as GET /holidays/{year} returns it."""

    date: datetime.date
    name: str  # in English: "New Year's Day"
    local_name: str  # in the country's language: "Neujahr"
