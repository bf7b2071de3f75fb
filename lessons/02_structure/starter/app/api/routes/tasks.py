"""The /tasks routes of the task board."""

from fastapi import APIRouter, HTTPException, status

from app.schemas import Task, TaskIn
from app.store import TaskStore

# TODO(02): every route here starts with /tasks and belongs in the "tasks" group of
# /docs: say so once, APIRouter(prefix="/tasks", tags=["tasks"]), and shorten each
# route's path to what follows the prefix ("" and "/{task_id}").
router = APIRouter()

# TODO(02): delete this module-level store: every app that imports this module shares it.
# Instead, give each route a parameter `store: TaskStoreDep` (from app.api.deps), so it
# uses the store of the app serving the request, or the one a test put in its place.
store = TaskStore()


def not_found(task_id: int) -> HTTPException:
    return HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=f"Task {task_id} not found")


@router.get("/tasks")
async def list_tasks(done: bool | None = None) -> list[Task]:
    """Every task, or only the finished (?done=true) or open (?done=false) ones."""
    return await store.list_tasks(done=done)


@router.post("/tasks", status_code=status.HTTP_201_CREATED)
async def create_task(task_in: TaskIn) -> Task:
    return await store.add(task_in)


@router.get("/tasks/{task_id}")
async def get_task(task_id: int) -> Task:
    task = await store.get(task_id)
    if task is None:
        raise not_found(task_id)
    return task


@router.put("/tasks/{task_id}")
async def replace_task(task_id: int, task_in: TaskIn) -> Task:
    task = await store.replace(task_id, task_in)
    if task is None:
        raise not_found(task_id)
    return task


@router.delete("/tasks/{task_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_task(task_id: int) -> None:
    if not await store.delete(task_id):
        raise not_found(task_id)
