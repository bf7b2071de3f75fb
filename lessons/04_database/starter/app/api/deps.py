"""What routes can ask for, as Annotated aliases: `def route(store: TaskStoreDep)`.

A route declares what it needs and FastAPI calls the provider for every request. That
indirection is the seam tests use: `app.dependency_overrides[get_task_store] = ...`
hands the routes another store without touching them or any module global.

Providers can ask for other providers: get_task_store() asks for the request's database
session (SessionDep), so every request works through its own session, opened for it and
closed after it by get_session() in app/core/db.py.
"""

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import get_session
from app.repository import TaskRepository  # noqa: F401  (for the TODO below)
from app.store import TaskStore

SessionDep = Annotated[AsyncSession, Depends(get_session)]


# TODO(04): hand the routes the tasks in the database instead of the in-memory store:
# get_task_store() takes `session: SessionDep` (instead of the request) and returns
# TaskRepository(session); TaskStoreDep then announces a TaskRepository. The routes
# keep asking for `store: TaskStoreDep` and need no change.
def get_task_store(request: Request) -> TaskStore:
    """The in-memory store of the app serving this request (create_app() put it on app.state)."""
    return request.app.state.task_store


TaskStoreDep = Annotated[TaskStore, Depends(get_task_store)]
