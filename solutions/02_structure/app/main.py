"""The Tasks API. Run it with:  uvicorn app.main:app --reload

create_app() builds a complete, independent app from a Settings object: its own
configuration, its own task store, its routes. Tests call it to get a fresh app each
(no state leaks from one test into the next) and can pass the settings they need;
servers import the module-level `app` below, built from the environment.
"""

from fastapi import FastAPI

from app.api.routes import tasks
from app.core.config import Settings, get_settings
from app.store import TaskStore


def create_app(settings: Settings | None = None) -> FastAPI:
    """A new Tasks app, configured by `settings` (default: from the environment)."""
    settings = settings or get_settings()
    app = FastAPI(title=settings.app_name)
    app.state.settings = settings
    app.state.task_store = TaskStore()
    app.include_router(tasks.router)
    return app


app = create_app()
