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
    # TODO(02): return the TaskStore that create_app() gave this app. The app serving the
    # request is request.app; what create_app() stored on it is under request.app.state.
    raise NotImplementedError("get_task_store() in app/api/deps.py is not written yet")


# A route parameter `store: TaskStoreDep` makes FastAPI call get_task_store(request) and
# pass what it returns (or what app.dependency_overrides[get_task_store] returns instead).
TaskStoreDep = Annotated[TaskStore, Depends(get_task_store)]
