"""The shapes of the API's data: what clients send and what they get back."""

from pydantic import BaseModel, Field

# Ids live in the database's INTEGER columns, which hold at most 2**31 - 1 on PostgreSQL:
# a larger id cannot exist, and a query that carries one fails in the driver.
MAX_ID = 2**31 - 1
# Text without the NUL character: PostgreSQL cannot store one and refuses the statement.
NO_NUL = r"^[^\x00]*$"


class TaskIn(BaseModel):
    """What a client sends to create or replace a task."""

    title: str = Field(min_length=1, max_length=200, pattern=NO_NUL)
    done: bool = False


class Task(TaskIn):
    """A task as the API returns it."""

    id: int
