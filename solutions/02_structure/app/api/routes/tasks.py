"""The /tasks routes of the task board."""

from fastapi import APIRouter, HTTPException, status

from app.api.deps import TaskStoreDep
from app.schemas import Task, TaskIn

router = APIRouter(prefix="/tasks", tags=["tasks"])


def not_found(task_id: int) -> HTTPException:
    return HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=f"Task {task_id} not found")


@router.get("")
async def list_tasks(store: TaskStoreDep, done: bool | None = None) -> list[Task]:
    """Every task, or only the finished (?done=true) or open (?done=false) ones."""
    return await store.list_tasks(done=done)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_task(task_in: TaskIn, store: TaskStoreDep) -> Task:
    return await store.add(task_in)


@router.get("/{task_id}")
async def get_task(task_id: int, store: TaskStoreDep) -> Task:
    task = await store.get(task_id)
    if task is None:
        raise not_found(task_id)
    return task


@router.put("/{task_id}")
async def replace_task(task_id: int, task_in: TaskIn, store: TaskStoreDep) -> Task:
    task = await store.replace(task_id, task_in)
    if task is None:
        raise not_found(task_id)
    return task


@router.delete("/{task_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_task(task_id: int, store: TaskStoreDep) -> None:
    if not await store.delete(task_id):
        raise not_found(task_id)
