"""Integration tests of the /tasks routes (app/api/routes/tasks.py), through the API.

Each test gets a new app on its own empty database (tests/conftest.py), so a test can
count tasks, and the order the tests run in never matters. `client` is signed in as
Ada, `other_client` as Bob (tests/conftest.py).

A test has three parts, separated by blank lines: arrange (make the world the test
needs), act (one request), assert (what a client is promised).
"""

import pytest


async def create(client, title: str = "Write tests", done: bool = False) -> dict:
    """Create a task through the API and return it (a helper, not a test)."""
    response = await client.post("/tasks", json={"title": title, "done": done})
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_answers_201_with_the_task(client):
    response = await client.post("/tasks", json={"title": "Write tests"})

    assert response.status_code == 201
    task = response.json()
    assert task["title"] == "Write tests"
    assert task["done"] is False
    assert isinstance(task["id"], int)


async def test_created_task_can_be_read_back(client):
    task = await create(client, "Read me back")

    response = await client.get(f"/tasks/{task['id']}")

    assert response.status_code == 200
    assert response.json() == task


async def test_each_test_starts_with_an_empty_board(client):
    response = await client.get("/tasks")

    assert response.status_code == 200
    assert response.json() == []


async def test_list_filters_by_done(client):
    open_task = await create(client, "Still to do")
    finished = await create(client, "Done already", done=True)

    everything = (await client.get("/tasks")).json()
    only_done = (await client.get("/tasks", params={"done": "true"})).json()
    only_open = (await client.get("/tasks", params={"done": "false"})).json()

    assert everything == [open_task, finished]
    assert only_done == [finished]
    assert only_open == [open_task]


async def test_replace_changes_the_stored_task(client):
    task = await create(client, "Draft")

    response = await client.put(f"/tasks/{task['id']}", json={"title": "Final", "done": True})

    assert response.status_code == 200
    assert response.json() == {"id": task["id"], "title": "Final", "done": True}
    assert (await client.get(f"/tasks/{task['id']}")).json() == response.json()


async def test_delete_removes_the_task(client):
    task = await create(client, "Short-lived")

    response = await client.delete(f"/tasks/{task['id']}")

    assert response.status_code == 204
    assert response.content == b""
    assert (await client.get(f"/tasks/{task['id']}")).status_code == 404
    assert (await client.get("/tasks")).json() == []


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_unknown_task_is_404(client, method):
    body = {"title": "Anything"} if method == "PUT" else None

    response = await client.request(method, "/tasks/424242", json=body)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_empty_title_is_refused(client):
    response = await client.post("/tasks", json={"title": ""})

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert [detail["field"] for detail in error["details"]] == ["body.title"]
    assert (await client.get("/tasks")).json() == []  # nothing was stored


async def test_replace_checks_the_title_too(client):
    task = await create(client, "Keep my title")

    response = await client.put(f"/tasks/{task['id']}", json={"title": ""})

    assert response.status_code == 422
    assert (await client.get(f"/tasks/{task['id']}")).json()["title"] == "Keep my title"


async def test_users_see_only_their_own_tasks(client, other_client):
    pytest.skip("TODO(07): delete this line once TaskRepository (app/repository.py) keeps to the owner's tasks")
    task = await create(client, "Ada's")
    path = f"/tasks/{task['id']}"

    assert (await other_client.get("/tasks")).json() == []
    assert (await other_client.get(path)).status_code == 404  # not 403: that would confirm it exists
    assert (await other_client.put(path, json={"title": "Bob's now"})).status_code == 404
    assert (await other_client.delete(path)).status_code == 404
    assert (await client.get(path)).json() == task  # untouched
