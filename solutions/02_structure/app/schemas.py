"""The shapes of the API's data: what clients send and what they get back."""

from pydantic import BaseModel, Field


class TaskIn(BaseModel):
    """What a client sends to create or replace a task."""

    title: str = Field(min_length=1, max_length=200)
    done: bool = False


class Task(TaskIn):
    """A task as the API returns it."""

    id: int
