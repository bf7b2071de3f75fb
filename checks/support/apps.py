"""The course's app as checks run it: its environment, and new apps from its factory.

- app_environment(database_url): the TASKS_* variables of an app a check runs, in-process
  or as a real server
- app_builder(): build(**settings) -> create_app(Settings(**settings)) (lesson 02 on)
- doubled_prefix(app): what a 404 means when route paths repeat their router's prefix
- selected(session, *checks): whether the run includes any of these checks (a fixture that
  starts a server early starts it only for a run that needs it)
"""

from __future__ import annotations

import importlib
import secrets
from collections.abc import Callable
from types import ModuleType

from shiplings.testing import DATABASE_URL_VARIABLE, import_fresh, route_paths

# lesson 09's limits, far above what any check sends (07's checks sign in a dozen times);
# 09's own checks pass the limits they test to Settings themselves
RELAXED_RATE_LIMITS = {
    "TASKS_RATE_LIMIT_DEFAULT": "10000/minute",
    "TASKS_LOGIN_RATE_LIMIT": "1000/minute",
}


def app_environment(database_url: str) -> dict[str, str]:
    """Test mode, this database, a strong random secret, and rate limits no check reaches."""
    return {
        "TASKS_ENVIRONMENT": "test",
        DATABASE_URL_VARIABLE: database_url,
        "TASKS_SECRET_KEY": secrets.token_hex(32),
        **RELAXED_RATE_LIMITS,
    }


def app_modules() -> tuple[ModuleType, ModuleType]:
    """(app.main, app.core.config) of the workspace, imported afresh from the files as saved."""
    main = import_fresh("app.main")
    return main, importlib.import_module("app.core.config")


def app_builder() -> Callable[..., object]:
    """build(**settings) -> a new app from create_app(Settings(**settings)).

    The workspace's modules are imported once, so every app a check builds with it comes
    from the same modules (and the same Settings class).
    """
    main, config = app_modules()

    def build(**settings):
        return main.create_app(config.Settings(**settings))

    return build


def doubled_prefix(app, prefix: str = "/tasks") -> str:
    """Why /tasks answers 404 when route paths repeat the router's prefix ("" when they do not).

    APIRouter(prefix="/tasks") with @router.get("/tasks") serves /tasks/tasks: a mistake
    that turns every request of the earlier lessons' checks into a 404.
    """
    doubled = sorted(path for path in route_paths(app.routes) if path.startswith(prefix + prefix))
    if not doubled:
        return ""
    return (
        f"Your app serves {', '.join(doubled[:3])}: the router's prefix says {prefix} and the route "
        f"paths say it again, so nothing answers at {prefix} itself. Look at the route paths in "
        "app/api/routes/tasks.py: each says only what follows the prefix."
    )


def selected(session, *checks: str) -> bool:
    """Whether the pytest session's run includes any of these checks (by function name)."""
    return any(getattr(item, "originalname", item.name) in checks for item in session.items)
