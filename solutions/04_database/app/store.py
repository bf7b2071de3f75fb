"""TaskStore: tasks in this process's memory, with the same methods as TaskRepository.

The app itself keeps its tasks in the database now (app/repository.py): memory is gone
when the process stops, and each worker process would have its own. This store stays
because it is handy where nothing needs to last: a test can hand it to the routes with
`app.dependency_overrides[get_task_store] = lambda: TaskStore()` and run without any
database at all.

An unknown id raises NotFoundError, exactly like the repository does, and
app/core/errors.py turns that into a 404 in the error envelope.
"""

from __future__ import annotations

from app.core.errors import NotFoundError
from app.schemas import Task, TaskIn


class TaskStore:
    """Tasks in this process's memory, with ids counted from 1."""

    def __init__(self) -> None:
        self._tasks: dict[int, Task] = {}
        self._next_id = 1

    async def list_tasks(self, *, done: bool | None = None) -> list[Task]:
        """Every task in creation order, or only those whose `done` matches."""
        return [task for task in self._tasks.values() if done is None or task.done == done]

    async def add(self, task_in: TaskIn) -> Task:
        """Store a new task under the next free id and return it."""
        task = Task(id=self._next_id, **task_in.model_dump())
        self._tasks[task.id] = task
        self._next_id += 1
        return task

    async def get(self, task_id: int) -> Task:
        """The task with this id; NotFoundError when there is none."""
        self._require(task_id)
        return self._tasks[task_id]

    async def replace(self, task_id: int, task_in: TaskIn) -> Task:
        """Overwrite an existing task; NotFoundError when there is none."""
        self._require(task_id)
        self._tasks[task_id] = Task(id=task_id, **task_in.model_dump())
        return self._tasks[task_id]

    async def delete(self, task_id: int) -> None:
        """Remove a task; NotFoundError when there is none."""
        self._require(task_id)
        del self._tasks[task_id]

    def _require(self, task_id: int) -> None:
        if task_id not in self._tasks:
            raise NotFoundError(f"Task {task_id} not found")
