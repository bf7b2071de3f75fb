"""The /tasks routes of the task board.

The routes say nothing about errors: an unknown id raises NotFoundError in the store,
and app/core/errors.py answers for it. What they do say is which errors a client can
expect, so /docs (and clients generated from /openapi.json) show the real error shape.
"""

from fastapi import APIRouter, status

from app.api.deps import TaskStoreDep
from app.schemas import Task, TaskIn

# TODO(03): tell /docs what errors look like. Every route here can answer 422 (invalid
# input): pass responses={422: {"model": ErrorEnvelope, "description": ...}} to the
# APIRouter (ErrorEnvelope is in app.core.errors). The three routes with a {task_id} can
# also answer 404: give their decorators responses={404: {"model": ErrorEnvelope, ...}}.
router = APIRouter(prefix="/tasks", tags=["tasks"])


@router.get("")
async def list_tasks(store: TaskStoreDep, done: bool | None = None) -> list[Task]:
    """Every task, or only the finished (?done=true) or open (?done=false) ones."""
    return await store.list_tasks(done=done)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_task(task_in: TaskIn, store: TaskStoreDep) -> Task:
    return await store.add(task_in)


@router.get("/{task_id}")
async def get_task(task_id: int, store: TaskStoreDep) -> Task:
    return await store.get(task_id)


@router.put("/{task_id}")
async def replace_task(task_id: int, task_in: TaskIn, store: TaskStoreDep) -> Task:
    return await store.replace(task_id, task_in)


@router.delete("/{task_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_task(task_id: int, store: TaskStoreDep) -> None:
    await store.delete(task_id)
