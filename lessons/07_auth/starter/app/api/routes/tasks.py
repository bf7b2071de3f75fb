"""The /tasks routes of the task board.

The routes say nothing about errors: an unknown id raises NotFoundError in the store,
and app/core/errors.py answers for it. What they do say is which errors a client can
expect, so /docs (and clients generated from /openapi.json) show the real error shape.

Nor do they say anything about users: TaskStoreDep needs a signed-in user (401
otherwise) and hands over a store of that user's tasks only (app/api/deps.py).
"""

from typing import Annotated, Any

from fastapi import APIRouter, Path, status

from app.api.deps import TaskStoreDep
from app.core.errors import ErrorEnvelope
from app.schemas import MAX_ID, Task, TaskIn

# A task id in the path: a number its database column can hold, or a 422 (a larger one
# cannot exist, and the query would fail on it).
TaskId = Annotated[int, Path(ge=1, le=MAX_ID)]

INVALID: dict[int | str, dict[str, Any]] = {
    status.HTTP_422_UNPROCESSABLE_CONTENT: {
        "model": ErrorEnvelope,
        "description": "The request is not valid; details says what to fix",
    },
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    status.HTTP_404_NOT_FOUND: {"model": ErrorEnvelope, "description": "There is no task with this id"},
}

SIGN_IN: dict[int | str, dict[str, Any]] = {
    status.HTTP_401_UNAUTHORIZED: {
        "model": ErrorEnvelope,
        "description": "Not signed in, or the token is not valid (expired, altered, its user gone)",
    },
}

router = APIRouter(prefix="/tasks", tags=["tasks"], responses={**INVALID, **SIGN_IN})


@router.get("")
async def list_tasks(store: TaskStoreDep, done: bool | None = None) -> list[Task]:
    """Every task, or only the finished (?done=true) or open (?done=false) ones."""
    return await store.list_tasks(done=done)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_task(task_in: TaskIn, store: TaskStoreDep) -> Task:
    return await store.add(task_in)


@router.get("/{task_id}", responses=NOT_FOUND)
async def get_task(task_id: TaskId, store: TaskStoreDep) -> Task:
    return await store.get(task_id)


@router.put("/{task_id}", responses=NOT_FOUND)
async def replace_task(task_id: TaskId, task_in: TaskIn, store: TaskStoreDep) -> Task:
    return await store.replace(task_id, task_in)


@router.delete("/{task_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def delete_task(task_id: TaskId, store: TaskStoreDep) -> None:
    await store.delete(task_id)
