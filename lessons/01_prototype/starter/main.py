"""Tasks: a small team task board, as a first prototype.

Run it with:  uvicorn main:app --reload
then open http://127.0.0.1:8000/docs to try every route.
"""

from fastapi import FastAPI, HTTPException, status
from pydantic import BaseModel

app = FastAPI(title="Tasks")


class TaskIn(BaseModel):
    """What a client sends to create or replace a task."""

    # TODO(01): refuse an empty title and titles longer than 200 characters
    # (pydantic's Field(min_length=..., max_length=...)).
    title: str
    done: bool = False


class Task(TaskIn):
    """A task as the API returns it."""

    id: int


# The whole "database": a dict in this process's memory.
tasks: dict[int, Task] = {}
next_id = 1


# TODO(01): accept an optional `done` query parameter (GET /tasks?done=true) and return
# only the tasks whose `done` matches it; without the parameter, return every task.
@app.get("/tasks")
def list_tasks() -> list[Task]:
    return list(tasks.values())


# TODO(01): a request that creates something answers 201 Created, not the default 200.
@app.post("/tasks")
def create_task(task_in: TaskIn) -> Task:
    global next_id
    task = Task(id=next_id, **task_in.model_dump())
    tasks[task.id] = task
    next_id += 1
    return task


@app.get("/tasks/{task_id}")
def get_task(task_id: int) -> Task:
    # TODO(01): an unknown id must answer 404 Not Found, not crash with a KeyError (500).
    # replace_task() below shows the pattern.
    return tasks[task_id]


@app.put("/tasks/{task_id}")
def replace_task(task_id: int, task_in: TaskIn) -> Task:
    if task_id not in tasks:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=f"Task {task_id} not found")
    tasks[task_id] = Task(id=task_id, **task_in.model_dump())
    return tasks[task_id]


# TODO(01): add DELETE /tasks/{task_id}: 204 No Content when the task existed (and is now
# gone), 404 Not Found when it did not.
