"""The repositories: tasks and users, kept in the database.

TaskRepository has the methods the in-memory TaskStore had, so the routes did not
change: they ask for `store: TaskStoreDep`, and app/api/deps.py hands them a TaskRepository
for the request's session AND the signed-in user. Every query it makes
is limited to that user's tasks, in this one place, so no route can forget it.

Another user's task is "not found", exactly like a task that does not exist: a 403
would confirm that the id exists, and ids are counted, so it would tell anybody how many
tasks the board holds and which ones are somebody else's.

The repositories speak in API schemas (TaskIn in, Task out) and keep the ORM rows to
themselves. Each change is committed before the method returns, so when a route answers
201 or 204 the change is already in the database.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app import models
from app.core.errors import ConflictError, NotFoundError
from app.schemas import Task, TaskIn


class TaskRepository:
    """One user's tasks in the database, through one session (one request's unit of work)."""

    def __init__(self, session: AsyncSession, owner_id: int) -> None:
        self.session = session
        self.owner_id = owner_id

    async def list_tasks(self, *, done: bool | None = None) -> list[Task]:
        """The owner's tasks in creation order, or only those whose `done` matches."""
        query = select(models.Task).where(models.Task.owner_id == self.owner_id).order_by(models.Task.id)
        if done is not None:
            query = query.where(models.Task.done == done)
        rows = await self.session.scalars(query)
        return [self._to_schema(row) for row in rows]

    async def add(self, task_in: TaskIn) -> Task:
        """Insert a new task, owned by the owner; the database hands out its id."""
        row = models.Task(**task_in.model_dump(), owner_id=self.owner_id)
        self.session.add(row)
        await self.session.commit()
        return self._to_schema(row)

    async def get(self, task_id: int) -> Task:
        """The owner's task with this id; NotFoundError when there is none."""
        return self._to_schema(await self._require(task_id))

    async def replace(self, task_id: int, task_in: TaskIn) -> Task:
        """Overwrite one of the owner's tasks; NotFoundError when there is none."""
        row = await self._require(task_id)
        for field, value in task_in.model_dump().items():
            setattr(row, field, value)
        await self.session.commit()
        return self._to_schema(row)

    async def delete(self, task_id: int) -> None:
        """Remove one of the owner's tasks; NotFoundError when there is none."""
        row = await self._require(task_id)
        await self.session.delete(row)
        await self.session.commit()

    async def _require(self, task_id: int) -> models.Task:
        """The row, if it exists AND belongs to the owner: anybody else's is not found."""
        row = await self.session.scalar(
            select(models.Task).where(models.Task.id == task_id, models.Task.owner_id == self.owner_id)
        )
        if row is None:
            raise NotFoundError(f"Task {task_id} not found")
        return row

    @staticmethod
    def _to_schema(row: models.Task) -> Task:
        return Task.model_validate(row, from_attributes=True)


class UserRepository:
    """The accounts. Rows go out as models.User: they never leave the server as they are."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: int) -> models.User | None:
        return await self.session.get(models.User, user_id)

    async def get_by_email(self, email: str) -> models.User | None:
        return await self.session.scalar(select(models.User).where(models.User.email == email))

    async def add(self, email: str, hashed_password: str) -> models.User:
        """A new account; ConflictError when the email already has one."""
        user = models.User(email=email, hashed_password=hashed_password)
        self.session.add(user)
        try:
            await self.session.commit()
        except IntegrityError:  # the unique email: checked by the database, so no race
            await self.session.rollback()
            raise ConflictError("An account with this email already exists") from None
        return user

    async def set_password_hash(self, user: models.User, hashed_password: str) -> None:
        """Replace a hash made with outdated parameters by a fresh one (same password)."""
        user.hashed_password = hashed_password
        await self.session.commit()
