"""Lesson 01: the prototype Tasks API answers like a well-behaved HTTP API.

These checks keep running in every later lesson, when the routes have moved from main.py
into the app/ package; the messages name the file that holds them at the time.
"""

from shiplings.testing import entry_module, show
from support.apps import doubled_prefix


def routes() -> str:
    """The file that defines the task routes in the learner's current layout."""
    return "main.py" if entry_module() == "main" else "app/api/routes/tasks.py"


def models() -> str:
    """The file that defines TaskIn in the learner's current layout."""
    return "main.py" if entry_module() == "main" else "app/schemas.py"


def advice(app, response, look: str) -> str:
    """Where to look: `look`, unless the answer says more (a crash, or routes under a doubled path)."""
    if response.status_code == 404 and (doubled := doubled_prefix(app)):
        return doubled
    if response.status_code >= 500:
        return (
            "A 500 means an exception escaped while your app answered. Send the same request "
            "from /docs while uvicorn runs: its terminal shows the traceback, whose last lines "
            "name the file and the line."
        )
    return look


async def test_create_task(app, client):
    response = await client.post("/tasks", json={"title": "Write the README"})
    assert response.status_code == 201, (
        f"POST /tasks should answer 201 Created; your app answered {show(response)}. "
        + advice(app, response, f"Look at the route decorator of create_task() in {routes()}.")
    )
    task = response.json()
    assert task.get("title") == "Write the README" and task.get("done") is False, (
        f"The created task should echo its title with done=false; your app returned {task}."
    )
    assert isinstance(task.get("id"), int), f"The created task should carry an integer id; your app returned {task}."
    second = (await client.post("/tasks", json={"title": "Review the README"})).json()
    assert second.get("id") != task["id"], (
        f"Two tasks should get two different ids; both got id {task['id']}. "
        f"Look at how create_task() in {routes()} counts the ids."
    )
    listed = (await client.get("/tasks")).json()
    assert task in listed and second in listed, (
        f"GET /tasks should list both new tasks {task} and {second}; it listed {listed}."
    )
    again = await client.get(f"/tasks/{task['id']}")
    assert again.status_code == 200 and again.json() == task, (
        f"GET /tasks/{task['id']} should answer 200 with the task {task}; your app answered "
        f"{show(again)}. " + advice(app, again, f"Look at get_task() in {routes()}.")
    )


async def test_list_filters_by_done(app, client):
    open_task = (await client.post("/tasks", json={"title": "Still to do"})).json()
    done_task = (await client.post("/tasks", json={"title": "Already done", "done": True})).json()
    for query, wanted, unwanted in (("true", done_task, open_task), ("false", open_task, done_task)):
        response = await client.get(f"/tasks?done={query}")
        listed = response.json() if response.status_code == 200 else None
        assert listed is not None and wanted in listed and unwanted not in listed, (
            f"GET /tasks?done={query} should list {wanted} but not {unwanted}; your app "
            f"answered {show(response)}. "
            + advice(
                app, response,
                f"Look at list_tasks() in {routes()}: it should read the optional query parameter "
                "done and keep only the tasks that match it.",
            )
        )
    everything = await client.get("/tasks")
    listed = everything.json() if everything.status_code == 200 else []
    assert open_task in listed and done_task in listed, (
        "GET /tasks without ?done= should still list every task; your app answered "
        f"{show(everything)}. "
        + advice(app, everything, f"Look at list_tasks() in {routes()}: without ?done=, nothing is filtered out.")
    )


async def test_unknown_task_is_404(app, client):
    response = await client.get("/tasks/424242")
    assert response.status_code == 404, (
        "GET /tasks/424242 (no such task) should answer 404 Not Found; your app answered "
        f"{show(response)}. "
        + advice(
            app, response,
            f"Look at get_task() in {routes()}: an id it does not know should end in a 404, as it "
            "does in replace_task().",
        )
    )
    replaced = await client.put("/tasks/424242", json={"title": "Nobody's task"})
    assert replaced.status_code == 404, (
        "PUT /tasks/424242 (no such task) should answer 404 Not Found, not create a task under "
        f"an id the client made up; your app answered {show(replaced)}. "
        + advice(app, replaced,
                 f"Look at replace_task() in {routes()}: it should refuse an unknown id, as get_task() does.")
    )


async def test_title_is_validated(app, client):
    for bad, what in (
        ({"title": ""}, "an empty title"),
        ({"title": "x" * 201}, "a 201-character title"),
        ({}, "no title at all"),
    ):
        response = await client.post("/tasks", json=bad)
        assert response.status_code == 422, (
            f"POST /tasks with {what} should be refused with 422 Unprocessable Content; your app "
            f"answered {show(response)}. "
            + advice(app, response, f"Look at the title field of TaskIn in {models()}: it should refuse a "
                     "title shorter than 1 or longer than 200 characters.")
        )
    fine = await client.post("/tasks", json={"title": "x" * 200})
    assert fine.status_code in (200, 201), (
        f"POST /tasks with a 200-character title is allowed; your app answered {show(fine)}. "
        + advice(app, fine, f"Look at the title's limits in TaskIn in {models()}: 200 characters are allowed.")
    )


async def test_delete_task(app, client):
    created = (await client.post("/tasks", json={"title": "Throw me away"})).json()
    kept = (await client.post("/tasks", json={"title": "Keep me"})).json()
    response = await client.delete(f"/tasks/{created['id']}")
    assert response.status_code == 204, (
        f"DELETE /tasks/{created['id']} should answer 204 No Content; your app answered "
        f"{show(response)}. "
        + advice(
            app, response,
            f"Look at delete_task() in {routes()}, the route for DELETE /tasks/{{task_id}}, and at "
            "its route decorator.",
        )
    )
    again = await client.get(f"/tasks/{created['id']}")
    assert again.status_code == 404, (
        f"After DELETE, GET /tasks/{created['id']} should answer 404; it answered {show(again)}. "
        + advice(app, again, f"Look at delete_task() in {routes()}: it should remove the task it was asked to delete.")
    )
    newer = (await client.post("/tasks", json={"title": "Created after the delete"})).json()
    still = await client.get(f"/tasks/{kept['id']}")
    assert newer.get("id") not in (created["id"], kept["id"]) and still.json() == kept, (
        f"After deleting task {created['id']}, a new task got id {newer.get('id')}, an id that "
        f"task {created['id']} or the live task {kept['id']} already had (task {kept['id']} now reads "
        f"{show(still)}). An id must never be handed out twice. Look at how create_task() in "
        f"{routes()} counts the ids: counting the tasks there are gives a used id again after a delete."
    )
    missing = await client.delete("/tasks/424242")
    assert missing.status_code == 404, (
        f"DELETE of an unknown task should answer 404 Not Found; your app answered {show(missing)}. "
        + advice(app, missing, f"Look at delete_task() in {routes()}: an id it does not know should end in a "
                 "404, as it does in get_task().")
    )
