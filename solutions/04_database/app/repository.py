"""TaskRepository: the tasks, kept in the database.

It has the methods the in-memory TaskStore had, so the routes did not change: they ask
for `store: TaskStoreDep`, and app/api/deps.py hands them a TaskRepository on the
request's session.

The repository speaks in API schemas (TaskIn in, Task out) and keeps the ORM rows to
itself. Each change is committed before the method returns, so when a route answers
201 or 204 the change is already in the database.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import models
from app.core.errors import NotFoundError
from app.schemas import Task, TaskIn


class TaskRepository:
    """Tasks in the database, through one session (one request's unit of work)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def list_tasks(self, *, done: bool | None = None) -> list[Task]:
        """Every task in creation order, or only those whose `done` matches."""
        query = select(models.Task).order_by(models.Task.id)
        if done is not None:
            query = query.where(models.Task.done == done)
        rows = await self.session.scalars(query)
        return [self._to_schema(row) for row in rows]

    async def add(self, task_in: TaskIn) -> Task:
        """Insert a new task; the database hands out its id."""
        row = models.Task(**task_in.model_dump())
        self.session.add(row)
        await self.session.commit()
        return self._to_schema(row)

    async def get(self, task_id: int) -> Task:
        """The task with this id; NotFoundError when there is none."""
        return self._to_schema(await self._require(task_id))

    async def replace(self, task_id: int, task_in: TaskIn) -> Task:
        """Overwrite an existing task; NotFoundError when there is none."""
        row = await self._require(task_id)
        for field, value in task_in.model_dump().items():
            setattr(row, field, value)
        await self.session.commit()
        return self._to_schema(row)

    async def delete(self, task_id: int) -> None:
        """Remove a task; NotFoundError when there is none."""
        row = await self._require(task_id)
        await self.session.delete(row)
        await self.session.commit()

    async def _require(self, task_id: int) -> models.Task:
        row = await self.session.get(models.Task, task_id)
        if row is None:
            raise NotFoundError(f"Task {task_id} not found")
        return row

    @staticmethod
    def _to_schema(row: models.Task) -> Task:
        return Task.model_validate(row, from_attributes=True)
