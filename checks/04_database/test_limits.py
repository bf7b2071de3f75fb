"""Lesson 04: what the database cannot hold is refused at the door (422), not by a crash (500).

Python's int has no limit and its str holds any character; PostgreSQL's INTEGER stops at
2**31 - 1 and its text cannot hold the NUL character. Input beyond those limits reaches
the driver, fails there, and becomes a 500, unless the request's schema refuses it first.
"""

from __future__ import annotations

import pytest

from shiplings.testing import run_migrations, show
from support.envelope import read_envelope

BEYOND_INTEGER = 2**31  # one more than PostgreSQL's INTEGER holds
BEYOND_BIGINT = 2**63  # one more than SQLite's INTEGER (and Python's sqlite3) holds


def refused(response) -> bool:
    """A 4xx in the error envelope."""
    error, _ = read_envelope(response)
    return 400 <= response.status_code < 500 and error is not None


@pytest.mark.timeout(60)
async def test_database_limits_are_422(pg_database, build_app, talk_to):
    _, url = pg_database
    run_migrations(url)
    async with talk_to(build_app(url)) as http:
        created = await http.post("/tasks", json={"title": "Within the limits"})
        assert created.status_code == 201, (
            f"POST /tasks on PostgreSQL should answer 201; your app answered {show(created)}."
        )
        for task_id in (BEYOND_INTEGER, BEYOND_BIGINT):
            answers = [
                ("GET", await http.get(f"/tasks/{task_id}")),
                ("PUT", await http.put(f"/tasks/{task_id}", json={"title": "Too far", "done": False})),
                ("DELETE", await http.delete(f"/tasks/{task_id}")),
            ]
            for method, response in answers:
                assert refused(response), (
                    f"{method} /tasks/{task_id} should answer a 4xx in the error envelope: no task can "
                    f"have that id, since the id column holds at most {BEYOND_INTEGER - 1}; your app "
                    f"answered {show(response)}. The query fails in the database driver when the id "
                    "does not fit. Give task_id a limit in app/api/routes/tasks.py, where the path is "
                    "read, so FastAPI answers 422 before any query runs."
                )
        nul = await http.post("/tasks", json={"title": "Before\u0000after"})
        assert refused(nul), (
            "POST /tasks with a NUL character (\\u0000) in the title should answer a 4xx in the error "
            f"envelope: PostgreSQL cannot store NUL in text and refuses the whole insert; your app "
            f"answered {show(nul)}. Refuse it where the input is read: a pattern on the title in "
            "TaskIn in app/schemas.py."
        )
