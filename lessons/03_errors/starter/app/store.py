"""Where tasks live while the app runs: one TaskStore per app instance.

The prototype kept its tasks in a module-level dict, shared by everything that imported
it. Here each app gets its own store from create_app() (on app.state), and routes ask for
it through TaskStoreDep (app/api/deps.py), so two apps (two tests, say) never see each
other's tasks and a test can swap the store for another one.

An unknown id raises NotFoundError: the store is where we learn that a task is missing,
and app/core/errors.py turns that into a 404 in the error envelope, for every caller.

The methods are async although a dict never waits: a store backed by a database keeps
this interface, so the routes will not change when one replaces this. Being async
has a benefit already: the routes run on the event loop, not in a thread pool, and there
is no `await` between reading and bumping the id counter, so two concurrent requests
can never get the same id (the prototype's sync routes could, in rare races).
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
