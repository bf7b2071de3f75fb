"""What routes can ask for, as Annotated aliases: `def route(store: TaskStoreDep)`.

A route declares what it needs and FastAPI calls the provider for every request. That
indirection is the seam tests use: `app.dependency_overrides[get_task_store] = ...`
hands the routes another store without touching them or any module global.
"""

from typing import Annotated

from fastapi import Depends, Request

from app.store import TaskStore


def get_task_store(request: Request) -> TaskStore:
    """The store of the app serving this request (create_app() put it on app.state)."""
    return request.app.state.task_store


TaskStoreDep = Annotated[TaskStore, Depends(get_task_store)]
