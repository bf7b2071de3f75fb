"""Where tasks live while the app runs: one TaskStore per app instance.

The prototype kept its tasks in a module-level dict, shared by everything that imported
it. Here each app gets its own store from create_app() (on app.state), and routes ask for
it through TaskStoreDep (app/api/deps.py), so two apps (two tests, say) never see each
other's tasks and a test can swap the store for another one.

The methods are async although a dict never waits: a store backed by a database keeps
this interface, so the routes will not change when one replaces this. Being async
has a benefit already: the routes run on the event loop, not in a thread pool, and there
is no `await` between reading and bumping the id counter, so two concurrent requests
can never get the same id (the prototype's sync routes could, in rare races).
"""

from __future__ import annotations

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

    async def get(self, task_id: int) -> Task | None:
        """The task with this id, or None when there is none."""
        return self._tasks.get(task_id)

    async def replace(self, task_id: int, task_in: TaskIn) -> Task | None:
        """Overwrite an existing task; None when there is no task with this id."""
        if task_id not in self._tasks:
            return None
        self._tasks[task_id] = Task(id=task_id, **task_in.model_dump())
        return self._tasks[task_id]

    async def delete(self, task_id: int) -> bool:
        """Remove a task; False when there was no task with this id."""
        return self._tasks.pop(task_id, None) is not None
