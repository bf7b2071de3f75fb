"""Integration tests of the error handlers (app/core/errors.py), through the API."""


async def test_unknown_route_answers_the_envelope(client):
    response = await client.get("/no/such/page")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_a_422_does_not_echo_the_input(client):
    response = await client.post("/tasks", json={"title": "Fine", "done": "hunter2"})

    assert response.status_code == 422
    assert "hunter2" not in response.text
