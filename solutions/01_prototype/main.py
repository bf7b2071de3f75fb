"""Tasks: a small team task board, as a first prototype.

Run it with:  uvicorn main:app --reload
then open http://127.0.0.1:8000/docs to try every route.
"""

from fastapi import FastAPI, HTTPException, status
from pydantic import BaseModel, Field

app = FastAPI(title="Tasks")


class TaskIn(BaseModel):
    """What a client sends to create or replace a task."""

    title: str = Field(min_length=1, max_length=200)
    done: bool = False


class Task(TaskIn):
    """A task as the API returns it."""

    id: int


# The whole "database": a dict in this process's memory.
tasks: dict[int, Task] = {}
next_id = 1


@app.get("/tasks")
def list_tasks(done: bool | None = None) -> list[Task]:
    """Every task, or only the finished (?done=true) or open (?done=false) ones."""
    return [task for task in tasks.values() if done is None or task.done == done]


@app.post("/tasks", status_code=status.HTTP_201_CREATED)
def create_task(task_in: TaskIn) -> Task:
    global next_id
    task = Task(id=next_id, **task_in.model_dump())
    tasks[task.id] = task
    next_id += 1
    return task


@app.get("/tasks/{task_id}")
def get_task(task_id: int) -> Task:
    if task_id not in tasks:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=f"Task {task_id} not found")
    return tasks[task_id]


@app.put("/tasks/{task_id}")
def replace_task(task_id: int, task_in: TaskIn) -> Task:
    if task_id not in tasks:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=f"Task {task_id} not found")
    tasks[task_id] = Task(id=task_id, **task_in.model_dump())
    return tasks[task_id]


@app.delete("/tasks/{task_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_task(task_id: int) -> None:
    if tasks.pop(task_id, None) is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=f"Task {task_id} not found")
