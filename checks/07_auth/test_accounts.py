"""Lesson 07: accounts, the OAuth2 password flow, and tasks that belong to their user."""

import secrets

from shiplings.testing import make_client, show
from support.accounts import sign_up_and_in


def leaks(body, password: str) -> list:
    """The keys of an answer about a user that carry its password or its hash."""
    if not isinstance(body, dict):
        return []
    return [key for key, value in body.items()
            if "password" in key or "hash" in key or value == password
            or (isinstance(value, str) and value.startswith("$argon2"))]


async def test_sign_up_and_sign_in(anonymous_client, kit):
    http = anonymous_client
    email, password = f"ada-{secrets.token_hex(4)}@example.com", secrets.token_urlsafe(12)
    created = await http.post("/auth/register", json={"email": email, "password": password})
    body = created.json() if created.headers.get("content-type", "").startswith("application/json") else {}
    assert created.status_code == 201 and set(body) >= {"id", "email"} and body.get("email") == email, (
        f"POST /auth/register {{\"email\", \"password\"}} should answer 201 with the new user's "
        f"id and email; your app answered {show(created)}. Look at register() in app/api/routes/auth.py."
    )
    assert not leaks(body, password), (
        f"The sign-up answer should hold the user's id and email only; it also holds {leaks(body, password)}: "
        f"{show(created)}. Look at what register() in app/api/routes/auth.py returns: the database "
        "row, or a UserOut (app/schemas.py)?"
    )
    again = await http.post("/auth/register", json={"email": email, "password": "another password"})
    assert again.status_code == 409, (
        "Signing up twice with the same email should answer 409 Conflict; the second POST "
        f"/auth/register answered {show(again)}. Look at register() in app/api/routes/auth.py."
    )

    wrong = await http.post("/auth/token", data={"username": email, "password": password + "!"})
    assert wrong.status_code in (400, 401) and "access_token" not in wrong.text, (
        "POST /auth/token with a wrong password should be refused (400, as OAuth2 says); your "
        f"app answered {show(wrong)}. Look at authenticate() in app/api/routes/auth.py."
    )
    signed_in = await http.post("/auth/token", data={"username": email, "password": password})
    token = signed_in.json().get("access_token") if signed_in.status_code == 200 else None
    assert token and signed_in.json().get("token_type", "").lower() == "bearer", (
        "POST /auth/token with the right email (as username) and password should answer 200 "
        f"{{\"access_token\": ..., \"token_type\": \"bearer\"}}; your app answered {show(signed_in)}."
    )

    me = await http.get("/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json().get("id") == body["id"] and me.json().get("email") == email, (
        f"GET /users/me with that token should answer 200 {{\"id\": {body['id']}, \"email\": "
        f"\"{email}\"}}; your app answered {show(me)}. "
        + (kit.GENUINE_REFUSED if me.status_code == 401 else
           "Look at read_me() in app/api/routes/auth.py: it should answer the signed-in user.")
    )
    assert not leaks(me.json(), password), (
        f"GET /users/me should answer the user's id and email only; it also holds "
        f"{leaks(me.json(), password)}: {show(me)}. A password hash is as good as the password to "
        "anyone with a GPU and time. Look at what read_me() in app/api/routes/auth.py returns: the "
        "database row, or a UserOut (app/schemas.py)?"
    )
    kit.expect_refused(
        await http.get("/users/me"), "GET /users/me without a token",
        "Look at what read_me() in app/api/routes/auth.py asks for: the signed-in user is checked "
        "before read_me() runs.",
    )

async def test_tasks_belong_to_their_owner(app, client, kit):
    created = await client.post("/tasks", json={"title": "Ada's private task"})
    assert created.status_code == 201, f"POST /tasks should answer 201; your app answered {show(created)}."
    task = created.json()
    path = f"/tasks/{task['id']}"

    async with make_client(app) as other:
        other.headers["Authorization"] = f"Bearer {await sign_up_and_in(other, 'bob@example.com', 'bob is not ada!')}"
        attempts = {
            f"GET {path}": await other.get(path),
            f"PUT {path}": await other.put(path, json={"title": "Bob was here", "done": True}),
            f"DELETE {path}": await other.delete(path),
        }
        listed = await other.get("/tasks")
    for what, response in attempts.items():
        assert response.status_code == 404, (
            f"Another signed-in user's {what} on Ada's task should answer 404, exactly as for a "
            f"task that does not exist; your app answered {show(response)}. Every query in "
            "TaskRepository (app/repository.py) should be limited to the owner's tasks, and "
            "get_task_store() in app/api/deps.py should build the repository for the signed-in user."
        )
    assert listed.status_code == 200 and all(item.get("id") != task["id"] for item in listed.json()), (
        f"Another user's GET /tasks should not list Ada's task; your app answered {show(listed)}. "
        "list_tasks() in app/repository.py should only select the owner's tasks."
    )
    mine = await client.get(path)
    assert mine.status_code == 200 and mine.json() == task, (
        f"Ada's own GET {path} should still answer 200 with her unchanged task {task}; your app "
        f"answered {show(mine)}."
    )
    async with make_client(app) as anonymous:
        nobody = await anonymous.get("/tasks")
    kit.expect_refused(
        nobody, "GET /tasks without a token",
        "Look at what get_task_store() in app/api/deps.py asks for: a store of tasks needs a signed-in user.",
    )


async def test_gone_users_tokens_are_refused(anonymous_client, app_env, kit):
    http = anonymous_client
    tokens = {}
    for name in ("carol", "dave"):
        tokens[name] = await sign_up_and_in(http, f"{name}@example.com", f"{name}'s long password")
        before = await http.get("/tasks", headers={"Authorization": f"Bearer {tokens[name]}"})
        assert before.status_code == 200, (
            f"GET /tasks with a fresh token should answer 200; your app answered {show(before)}. "
            + (kit.GENUINE_REFUSED if before.status_code == 401 else "")
        )
    try:
        kit.execute(app_env, "UPDATE users SET is_active = 0 WHERE email = ?", "carol@example.com")
        kit.execute(app_env, "DELETE FROM users WHERE email = ?", "dave@example.com")
    except Exception as error:  # noqa: BLE001 - the learner's schema decides
        raise AssertionError(
            "The check could not deactivate and delete users directly in the database "
            f"({error}). The users table should have the columns id, email, hashed_password "
            "and is_active (app/models.py, migrations/versions/0002_users_and_task_owners.py)."
        ) from None
    cases = {
        "a user who was deactivated (is_active = false) since signing in": tokens["carol"],
        "a user who was deleted since signing in": tokens["dave"],
    }
    for what, token in cases.items():
        kit.expect_refused(
            await http.get("/tasks", headers={"Authorization": f"Bearer {token}"}),
            f"GET /tasks with the still-unexpired token of {what}",
            "A signature only proves the app issued the token, not that its user may still act: look "
            "at how get_current_user() in app/api/deps.py treats a user that is missing or not is_active.",
        )
