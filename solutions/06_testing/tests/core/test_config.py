"""Unit tests of app/core/config.py: what the environment turns into Settings.

monkeypatch sets an environment variable for one test and puts it back afterwards.
"""

import pytest
from pydantic import ValidationError

from app.core.config import Settings


def test_settings_come_from_tasks_variables(monkeypatch):
    monkeypatch.setenv("TASKS_APP_NAME", "Board of the test")
    monkeypatch.setenv("TASKS_ENVIRONMENT", "test")

    settings = Settings(_env_file=None)

    assert settings.app_name == "Board of the test"
    assert settings.environment == "test"


def test_a_typo_in_the_environment_is_refused(monkeypatch):
    monkeypatch.setenv("TASKS_ENVIRONMENT", "prod")

    with pytest.raises(ValidationError):
        Settings(_env_file=None)


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://tasks:pw@db/tasks", "postgresql+asyncpg://tasks:pw@db/tasks"),
        ("postgresql://tasks:pw@db/tasks", "postgresql+asyncpg://tasks:pw@db/tasks"),
        ("sqlite:///./tasks.db", "sqlite+aiosqlite:///./tasks.db"),
        ("sqlite+aiosqlite:///./tasks.db", "sqlite+aiosqlite:///./tasks.db"),
    ],
)
def test_database_urls_get_an_async_driver(given, used):
    assert Settings(_env_file=None, database_url=given).database_url == used
