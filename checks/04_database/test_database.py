"""Lesson 04: the tasks live in the database; one engine per app, one session per request."""

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shiplings.testing import show

IN_MEMORY = (
    "The app still keeps its tasks in memory (the TaskStore on app.state), so a restart loses "
    "them. get_task_store() in app/api/deps.py should hand the routes a TaskRepository on the "
    "request's database session (SessionDep)."
)


def engine_of(app) -> AsyncEngine:
    engine = getattr(app.state, "engine", None)
    assert isinstance(engine, AsyncEngine), (
        "While the app runs, its database engine should be on app.state.engine (an AsyncEngine "
        f"from create_async_engine); app.state.engine is {engine!r}. Look at the lifespan in "
        "app/main.py, which makes it at start-up."
    )
    return engine


async def test_tasks_survive_restart(build_app, talk_to, migrated_copy):
    board = migrated_copy("board.db")
    async with talk_to(build_app(board)) as http:
        first = await http.post("/tasks", json={"title": "Survive the restart"})
        second = await http.post("/tasks", json={"title": "Finish before the restart"})
        gone = await http.post("/tasks", json={"title": "Deleted before the restart"})
        assert first.status_code == second.status_code == gone.status_code == 201, (
            f"POST /tasks should answer 201; your app answered {show(first)}. A 500 here often "
            "means a repository method in app/repository.py is unfinished (NotImplementedError), "
            "or an `await` is missing before a session call."
        )
        first, second, gone = first.json(), second.json(), gone.json()
        read_back = await http.get(f"/tasks/{first['id']}")
        assert read_back.status_code == 200, (
            f"A task created by POST /tasks should be there for the next request; GET "
            f"/tasks/{first['id']} answered {show(read_back)}. A session that closes without a "
            "commit rolls its changes back: look at how add() in app/repository.py ends its work."
        )
        finished = await http.put(f"/tasks/{second['id']}", json={"title": second["title"], "done": True})
        deleted = await http.delete(f"/tasks/{gone['id']}")
    assert finished.status_code == 200 and deleted.status_code == 204, (
        f"PUT /tasks/{{id}} should answer 200 and DELETE /tasks/{{id}} 204; your app answered "
        f"{show(finished)} and {show(deleted)}. Look at replace() and delete() in app/repository.py."
    )

    async with talk_to(build_app(board)) as http:  # the same database, a brand-new app
        listed = await http.get("/tasks")
        done = await http.get("/tasks", params={"done": True})
        still_open = await http.get("/tasks", params={"done": False})
        again = await http.get(f"/tasks/{gone['id']}")
    expected = [first, {**second, "done": True}]
    assert listed.status_code == 200 and listed.json() == expected, (
        "After a restart (a new app on the same database file), GET /tasks should list the two "
        f"tasks that were kept, the second one done: {expected}; your app answered "
        f"{show(listed)}. "
        + (
            IN_MEMORY
            if listed.json() == []
            else "Does each method of the repository in app/repository.py commit its change before it returns?"
        )
    )
    assert done.json() == [{**second, "done": True}], (
        f"GET /tasks?done=true should list only the finished task; your app answered {show(done)}. "
        "Look at list_tasks() in app/repository.py."
    )
    assert still_open.json() == [first], (
        f"GET /tasks?done=false should list only the open task {first}; your app answered "
        f"{show(still_open)}. done=false is a filter too, not the same as no filter: look at how "
        "list_tasks() in app/repository.py decides whether to filter."
    )
    assert again.status_code == 404, (
        f"A task deleted before the restart should stay gone (404); GET /tasks/{gone['id']} "
        f"answered {show(again)}. Look at delete() in app/repository.py."
    )

    async with talk_to(build_app(migrated_copy("other.db"))) as http:
        elsewhere = await http.get("/tasks")
    assert elsewhere.json() == [], (
        "An app configured with another database (another TASKS_DATABASE_URL) should see none "
        f"of these tasks; GET /tasks answered {show(elsewhere)}. The app should use "
        "settings.database_url, not a URL or an engine fixed in the code."
    )


async def test_session_per_request(app, client, sessions_seen):
    engine = engine_of(app)
    before = len(sessions_seen.sessions)  # signing the learner in opened some already
    responses = await asyncio.gather(
        *(client.post("/tasks", json={"title": f"Concurrent task {n}"}) for n in range(12)),
        *(client.get("/tasks") for _ in range(12)),
    )
    failed = [response for response in responses if response.status_code >= 300]
    gave_up = all(response.status_code == 503 for response in failed)
    assert not failed, (
        f"24 concurrent requests (12 POST, 12 GET /tasks) should all succeed; {len(failed)} did "
        f"not, e.g. {show(failed[0])}. "
        + ("The app gave up waiting for the database (503): SQLite lets one writer in at a time, so "
           "look at how long app/core/db.py lets a request wait for a connection, a lock or a statement."
           if gave_up else
           "A session must never be shared between requests that run at the same time: look at "
           "get_session() in app/core/db.py, which should open a new one for each request.")
    )
    ids = {response.json()["id"] for response in responses[:12]}
    assert len(ids) == 12, (
        f"12 concurrent POST /tasks should create 12 tasks with 12 ids; they got {sorted(ids)}. "
        "The same id over and over means the inserts were rolled back: does add() in "
        "app/repository.py commit?"
    )
    distinct = len({id(session) for session in sessions_seen.sessions[before:]})
    assert distinct >= 24, (
        f"24 requests should have been served by 24 database sessions, one each; they used "
        f"{distinct}. "
        + (
            IN_MEMORY
            if distinct == 0
            else "Sessions are being shared between requests: get_session() in app/core/db.py "
            "should make a new one for each request with the app's sessionmaker, not hand out one "
            "made once."
        )
    )
    per_request = sessions_seen.engines_made_per_request(app)
    assert not per_request, per_request
    leaked = engine.pool.checkedout()
    assert leaked == 0, (
        f"After the requests were answered, {leaked} database connection(s) were still checked out "
        "of the pool: some session was not closed. A pool has a handful of connections; leak one "
        "per request and the app soon waits forever. Look at get_session() in app/core/db.py: "
        "the session it yields should close when the request ends."
    )


async def test_engine_closed_at_shutdown(build_app, talk_to, migrated_copy):
    url = migrated_copy("lifespan.db")
    app = build_app(url)
    async with talk_to(app) as http:
        engine = engine_of(app)
        async with engine.connect() as connection:  # one connection, back into the pool after
            await connection.execute(text("SELECT 1"))
        listed = await http.get("/tasks")
        assert listed.status_code == 200, f"GET /tasks should answer 200; your app answered {show(listed)}."
        used = engine.url.render_as_string(hide_password=False)
        assert used == url, (
            f"The app was built with Settings(database_url={url!r}) but its engine points at "
            f"{used!r}. The lifespan in app/main.py should make the engine from "
            "app.state.settings.database_url."
        )
    idle = engine.pool.checkedin() + engine.pool.checkedout()
    assert idle == 0, (
        f"After the app shut down, its engine still held {idle} open connection(s). Whoever makes "
        "the engine disposes of it: look at what runs after the `yield` of the lifespan in "
        "app/main.py. Otherwise every restart and every test leaves connections open (PostgreSQL "
        'then refuses new ones: "too many clients").'
    )
