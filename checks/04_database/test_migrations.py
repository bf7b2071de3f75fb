"""Lesson 04: Alembic migrations, run as a step of their own, make the schema; the app never does."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from shiplings.testing import import_fresh, run_alembic, run_migrations, show


@pytest.mark.timeout(40)
async def test_migrations_create_schema(app_env, build_app, talk_to, tables, workspace, tmp_path, what_failed):
    database = tmp_path / "empty.db"
    url = f"sqlite+aiosqlite:///{database}"

    async with talk_to(build_app(url)):
        pass  # start the app and stop it again, on an empty database
    made = tables(database)
    assert "tasks" not in made, (
        "Starting the app on an empty database created the tasks table: the app makes its own "
        f"schema (tables {sorted(made)}). Tables come only from migrations "
        "(`alembic upgrade head`), a step of its own before the app starts: create_all() "
        "never changes a table that exists, and several workers starting at once would race. "
        "Remove Base.metadata.create_all() (or anything like it) from app/main.py and app/core/db.py."
    )

    run_migrations(url)
    made = tables(database)
    assert "tasks" in made, (
        "`alembic upgrade head` on an empty database should create the tasks table; it created "
        f"{sorted(made) or 'nothing'}. migrations/versions/ needs a migration that creates it: "
        "finish the Task model in app/models.py, then let Alembic draft the migration from it, "
        "read the draft, and upgrade."
    )
    missing = {"id", "title", "done"} - made["tasks"]
    assert not missing, (
        f"The tasks table made by the migrations lacks the column(s) {sorted(missing)} (it has "
        f"{sorted(made['tasks'])}). Every field of the API's Task needs a column: look at the "
        "Task model in app/models.py and the migration in migrations/versions/."
    )

    models = import_fresh("app.models")
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            drift = compare_metadata(MigrationContext.configure(connection), models.Base.metadata)
    finally:
        engine.dispose()
    assert not drift, (
        "The database the migrations made differs from the models in app/models.py, so the app "
        f"would read and write columns that do not exist as it expects. Differences: {drift}. "
        "Change the migration (or write a new one with `alembic revision --autogenerate`) until "
        '`alembic check` says "No new upgrade operations detected".'
    )

    async with talk_to(build_app(url)) as http:
        created = await http.post("/tasks", json={"title": "Stored by a migrated schema"})
    assert created.status_code == 201, (
        "After `alembic upgrade head`, POST /tasks should answer 201 on the migrated database; "
        f"your app answered {show(created)}."
    )

    result = run_alembic("downgrade", "base", database_url=url, folder=workspace, timeout=30)
    assert result.returncode == 0, "`alembic downgrade base` should undo every migration; it failed:\n" + what_failed(
        result.stdout + result.stderr
    )
    assert "tasks" not in tables(database), (
        "`alembic downgrade base` should drop the tasks table again (every upgrade() needs a "
        "downgrade() that undoes it), but the table is still there. Look at downgrade() in "
        "your migration in migrations/versions/."
    )
