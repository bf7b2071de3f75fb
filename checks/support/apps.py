"""The course's app as checks run it: its environment, and new apps from its factory.

- app_environment(database_url): the TASKS_* variables of an app a check runs, in-process
  or as a real server
- app_builder(): build(**settings) -> create_app(Settings(**settings)) (lesson 02 on)
"""

from __future__ import annotations

import importlib
import secrets
from collections.abc import Callable
from types import ModuleType

from shiplings.testing import DATABASE_URL_VARIABLE, import_fresh

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
