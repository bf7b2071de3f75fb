"""Lesson 04: the same app and the same migrations on a real PostgreSQL, through asyncpg."""

import asyncio
import time

import asyncpg
import pytest

from shiplings.testing import run_alembic, show


async def connections_to(server, database: str) -> int:
    admin = await asyncpg.connect(host="127.0.0.1", port=server.port, user=server.user, database="postgres")
    try:
        return await admin.fetchval("SELECT count(*) FROM pg_stat_activity WHERE datname = $1", database)
    finally:
        await admin.close()


@pytest.mark.timeout(60)
async def test_postgresql(postgres, pg_database, build_app, talk_to, workspace, what_failed, sessions_seen):
    name, url = pg_database
    migrated = run_alembic("upgrade", "head", database_url=url, folder=workspace, timeout=40)
    printed = migrated.stdout + migrated.stderr
    sqlite_default = "default" in printed.lower() and "boolean" in printed.lower()
    assert migrated.returncode == 0, (
        "`alembic upgrade head` against a real PostgreSQL failed, although SQLite accepted the same "
        "migration. "
        + (
            "PostgreSQL refuses the default of the boolean column done: a draft made against SQLite "
            "says server_default=sa.text('0'), which only SQLite takes for a boolean. Look at the "
            "default of done in your migration in migrations/versions/: it should be a false that "
            "each database spells its own way. "
            if sqlite_default
            else "PostgreSQL is stricter than SQLite about types and defaults; read what it said. "
        )
        + "What Alembic printed:\n"
        + what_failed(printed)
    )
    db = await asyncpg.connect(host="127.0.0.1", port=postgres.port, user=postgres.user, database=name)
    try:
        columns = {
            row["column_name"]
            for row in await db.fetch("SELECT column_name FROM information_schema.columns WHERE table_name = 'tasks'")
        }
    finally:
        await db.close()
    assert {"id", "title", "done"} <= columns, (
        "`alembic upgrade head` against PostgreSQL should create the tasks table with id, title "
        f"and done; the columns are {sorted(columns) or 'none (no tasks table)'}. Look at the "
        "migration in migrations/versions/ and at migrations/env.py (which URL does it use?)."
    )

    long_title = "L" * 200
    app = build_app(url)
    async with talk_to(app) as http:
        created = await http.post("/tasks", json={"title": long_title})
        other = await http.post("/tasks", json={"title": "On PostgreSQL"})
        assert created.status_code == 201 and other.status_code == 201, (
            "POST /tasks (a 200-character title, then a short one) should answer 201 on PostgreSQL; "
            f"your app answered {show(created)} and {show(other)}. PostgreSQL enforces column types "
            "and lengths SQLite ignores: compare the title column in your migration with TaskIn "
            "(max_length=200)."
        )
        finished = await http.put(f"/tasks/{other.json()['id']}", json={"title": "On PostgreSQL", "done": True})
        missing = await http.get("/tasks/987654")
    assert finished.status_code == 200 and missing.status_code == 404, (
        "On PostgreSQL, PUT /tasks/{id} should answer 200 and an unknown id 404; your app answered "
        f"{show(finished)} and {show(missing)}."
    )

    per_request = sessions_seen.engines_made_per_request(app)
    assert not per_request, f"On PostgreSQL, the app's connections should all come from its one engine. {per_request}"
    deadline = time.monotonic() + 3
    while (left := await connections_to(postgres, name)) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert left == 0, (
        f"After the app shut down, PostgreSQL still had {left} connection(s) from it. Either the "
        "engine was not closed at shutdown (look at what runs after the yield of the lifespan in "
        "app/main.py), or a session was never closed: closing the engine closes only the connections "
        "back in its pool, so look at how get_session() in app/core/db.py ends each session."
    )

    async with talk_to(build_app(url)) as http:  # a restart, on PostgreSQL
        listed = await http.get("/tasks")
    expected = [created.json(), {**other.json(), "done": True}]
    assert listed.status_code == 200 and listed.json() == expected, (
        "After a restart on the same PostgreSQL database, GET /tasks should list the two tasks made "
        f"before it (ids {[task['id'] for task in expected]}, the second one done); your app answered "
        f"{show(listed)}."
    )
