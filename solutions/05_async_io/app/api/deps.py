"""What routes can ask for, as Annotated aliases: `def route(store: TaskStoreDep)`.

A route declares what it needs and FastAPI calls the provider for every request. That
indirection is the seam tests use: `app.dependency_overrides[get_task_store] = ...`
hands the routes another store without touching them or any module global.

Providers can ask for other providers: get_task_store() asks for the request's database
session (SessionDep), so every request works through its own session, opened for it and
closed after it by get_session() in app/core/db.py. get_http_client() hands out the one
HTTP client the app opened at start-up (lifespan in app/main.py), shared by all requests.
"""

from typing import Annotated

import httpx
from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import get_session
from app.repository import TaskRepository

SessionDep = Annotated[AsyncSession, Depends(get_session)]


def get_task_store(session: SessionDep) -> TaskRepository:
    """The tasks, in the database, through this request's session."""
    return TaskRepository(session)


TaskStoreDep = Annotated[TaskRepository, Depends(get_task_store)]


def get_http_client(request: Request) -> httpx.AsyncClient:
    """The app's one HTTP client for the services it calls (opened by the lifespan).

    A test can give the routes a client with a fake transport instead:
    `app.dependency_overrides[get_http_client] = lambda: httpx.AsyncClient(transport=...)`.
    """
    return request.app.state.http_client


HttpClientDep = Annotated[httpx.AsyncClient, Depends(get_http_client)]
