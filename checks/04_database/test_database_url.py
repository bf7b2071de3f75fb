"""Lesson 04: the database is configuration (TASKS_DATABASE_URL), always through an async driver."""

from shiplings.testing import import_fresh

WHERE = "the database_url field of Settings in app/core/config.py"


def test_database_url_setting(monkeypatch):
    monkeypatch.delenv("TASKS_DATABASE_URL", raising=False)
    config = import_fresh("app.core.config")
    default = getattr(config.Settings(), "database_url", None)
    assert default == "sqlite+aiosqlite:///./tasks.db", (
        "Without TASKS_DATABASE_URL, Settings().database_url should be the SQLite file next to "
        f"the app, 'sqlite+aiosqlite:///./tasks.db'; it is {default!r}. Look at {WHERE}."
    )
    chosen = "sqlite+aiosqlite:///./elsewhere.db"
    monkeypatch.setenv("TASKS_DATABASE_URL", chosen)
    assert config.Settings().database_url == chosen, (
        f"With TASKS_DATABASE_URL={chosen}, Settings().database_url should be that URL; it is "
        f"{config.Settings().database_url!r}. Look at {WHERE}."
    )
    cases = {
        "postgres://tasks:secret@db:5432/tasks": "postgresql+asyncpg://tasks:secret@db:5432/tasks",
        "postgresql://tasks:secret@db:5432/tasks": "postgresql+asyncpg://tasks:secret@db:5432/tasks",
        "postgresql+asyncpg://tasks:secret@db:5432/tasks": "postgresql+asyncpg://tasks:secret@db:5432/tasks",
        "sqlite:///./tasks.db": "sqlite+aiosqlite:///./tasks.db",
    }
    for given, expected in cases.items():
        monkeypatch.setenv("TASKS_DATABASE_URL", given)
        got = config.Settings().database_url
        assert got == expected, (
            f"TASKS_DATABASE_URL={given} should become {expected!r}, the same database through its "
            f"async driver; Settings().database_url is {got!r}. SQLAlchemy picks the driver from the "
            "URL's scheme: postgresql:// means psycopg2, a driver that blocks the event loop (and "
            "the course does not install it), and postgres:// is no name it knows. Finish the validator "
            "_use_an_async_driver() in app/core/config.py."
        )
