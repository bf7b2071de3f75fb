"""Lesson 13 in a real browser: headless Chromium on the learner's Vite dev server and backend.

The page is used as a person uses it (the login form, a reload); the refresh cookie and
the storages are read from the browser itself; the five parallel requests go through the
learner's own Axios instance, imported in the page from the dev server (/src/api.ts).
"""

import contextlib
import re
import secrets
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest

from support.accounts import LEARNER_PASSWORD
from support.browser import VUE_MOUNTED, list_loaded, patient

LOGIN_VIEW = "frontend/src/views/LoginView.vue"
JWT_SHAPE = re.compile(r"eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]*")


def new_account(stack, tasks: tuple[str, ...] = ()) -> tuple[str, int]:
    """(email, user id) of a new account on the checks' backend, with these tasks."""
    email = f"browser-{secrets.token_hex(4)}@example.com"
    with httpx.Client(base_url=stack.backend.url, timeout=30) as api:
        api.post("/auth/register", json={"email": email, "password": LEARNER_PASSWORD})
        token = api.post("/auth/token", data={"username": email, "password": LEARNER_PASSWORD}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        for title in tasks:
            api.post("/tasks", json={"title": title}, headers=headers)
        return email, api.get("/users/me", headers=headers).json()["id"]


def fill_login(tab, email: str, password: str) -> None:
    try:
        tab.get_by_label("Email").fill(email)
        tab.get_by_label("Password").fill(password)
        tab.get_by_role("button", name="Sign in").click()
    except Exception as error:  # noqa: BLE001 - Playwright's TimeoutError: the form is not there
        raise AssertionError(
            "The login view should show a form with the fields labelled Email and Password and a Sign in "
            f"button; {what_the_page_shows(tab)}, and Chromium said: {str(error).splitlines()[0]} "
            f"Look at {LOGIN_VIEW}."
        ) from None


def shown_tasks(tab, wanted: list[str], timeout: float = 20_000) -> list[str]:
    """The titles the task list shows once it shows `wanted` (or what it shows after the timeout)."""
    try:
        tab.wait_for_function(
            "wanted => JSON.stringify([...document.querySelectorAll('[data-test=\"task\"]')]"
            ".map(item => item.textContent.trim())) === JSON.stringify(wanted)", arg=wanted, timeout=patient(timeout))
    except Exception:  # noqa: BLE001 - Playwright's TimeoutError: the assertion below says what was there
        pass
    return [item.strip() for item in tab.locator('[data-test="task"]').all_text_contents()]


@contextlib.contextmanager
def list_shown(tab):
    """The block, then the wait for the page's GET of the task list (not longer than patient 10 s).

    A page that never shows the list (other checks say why) is read as it is after the wait.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        with tab.expect_response(list_loaded, timeout=patient(10_000)):
            yield
    except PlaywrightTimeout:
        pass


def what_the_page_shows(tab) -> str:
    alert = tab.locator('[role="alert"]')
    said = f' and the message "{alert.first.text_content().strip()}"' if alert.count() else ""
    path = tab.url.split("://", 1)[-1].partition("/")[2]
    return f"the page is at /{path}{said}"


def sign_in(page, stack, tasks: tuple[str, ...] = ("Seen in the browser",), on_login_view: bool = False
            ) -> tuple[str, int]:
    """Sign in through the login view until the task list shows the account's tasks.

    On the login view the page shows now when `on_login_view`, or else on a new visit to /login.
    """
    email, user_id = new_account(stack, tasks)
    if not on_login_view:
        page.go("/login")
    fill_login(page.page, email, LEARNER_PASSWORD)
    shown = shown_tasks(page.page, list(tasks))
    assert shown == list(tasks), (
        f"After signing in through the login view the page should show the task list with the account's tasks "
        f"({list(tasks)}); it shows {shown}, and {what_the_page_shows(page.page)}. After the sign-in the store "
        "holds the token, and every request through the Axios instance should carry it (the request interceptor "
        "in frontend/src/api.ts); the login view then goes to the task list."
    )
    return email, user_id


@pytest.mark.timeout(120)
def test_sign_in_reaches_task_list(page, stack):
    tab = page.page
    asked = []  # what the page asked the API before anyone signed in
    tab.on("request", lambda request: asked.append(request.url) if "/api/tasks" in request.url else None)
    page.go("/")
    waited = patient(20_000)
    try:
        tab.wait_for_url("**/login**", timeout=waited)
    except Exception:  # noqa: BLE001 - Playwright's TimeoutError
        assert tab.evaluate(VUE_MOUNTED), (
            f"Your app did not mount on the page at / within {waited / 1000:.0f} s: main.ts never reached "
            "app.mount('#app'), or something threw before it (or the dev server was still transforming its "
            "modules on a very busy machine)." + (page.said() or " Open it with `npm run dev` in frontend/ and "
                                                    "look at the browser's console.")
        )
        raise AssertionError(
            "Opening the task list (/) without a session should lead to the login view (/login); "
            f"{what_the_page_shows(tab)}. The task route needs a route guard: meta: {{ requiresAuth: true }} "
            "and a router.beforeEach in frontend/src/router/index.ts that sends a visitor without a token to "
            "the login view."
        ) from None
    assert not asked, (
        "Without a session the route guard should send the visitor to the login view before the task list "
        "is even created; here the task list was shown first and asked the API for GET /api/tasks (answered "
        "401), and only the failed refresh that followed led to the login view. Mark the route with meta: "
        "{ requiresAuth: true } and let router.beforeEach in frontend/src/router/index.ts send a visitor "
        "without a token to the login view."
    )
    sign_in(page, stack, on_login_view=True)  # where the guard sent the visitor, as a person would
    assert "/login" not in tab.url, (
        f"After signing in, the page should leave the login view for the task list; {what_the_page_shows(tab)}. "
        f"Look at {LOGIN_VIEW}."
    )


@pytest.mark.timeout(120)
def test_wrong_password_shows_message(page, stack):
    email, _ = new_account(stack)
    expected = httpx.post(stack.backend.url + "/auth/token", data={"username": email, "password": "wrong password"},
                          timeout=30).json()["error"]["message"]
    page.go("/login")
    fill_login(page.page, email, "wrong password")
    alert = page.page.locator('[role="alert"]')
    try:
        alert.first.wait_for(timeout=patient(20_000))
        page.page.wait_for_function("text => document.body.innerText.includes(text)", arg=expected, timeout=3000)
    except Exception:  # noqa: BLE001 - Playwright's TimeoutError: the assertion below says what was there
        pass
    shown = alert.first.text_content().strip() if alert.count() else None
    assert shown == expected, (
        f"A wrong password should show the message of the API's error envelope (\"{expected}\"); the page shows "
        + (f'"{shown}"' if shown is not None else "no message (no [role=\"alert\"])")
        + ". The store's sign-in catches the error and keeps errorMessage(error), which reads "
        "error.response.data.error.message (frontend/src/api.ts); Axios's own \"Request failed with status code "
        f"400\" means nothing to a person. Look at frontend/src/api.ts and {LOGIN_VIEW}."
    )


@pytest.mark.timeout(120)
def test_reload_keeps_session(page, stack):
    tab = page.page
    sign_in(page, stack, ("Still here after a reload",))
    cookies = [cookie for cookie in tab.context.cookies() if cookie["httpOnly"]]
    assert cookies, (
        "After signing in the browser should hold the refresh cookie, HttpOnly (scripts cannot read it); it holds "
        f"{[(cookie['name'], cookie['path']) for cookie in tab.context.cookies()] or 'no cookie'}. "
        "Look at app/api/routes/auth.py (set_cookie) and at cookiePathRewrite in frontend/vite.config.ts."
    )
    before = len(page.refreshes)
    tab.reload()
    shown = shown_tasks(tab, ["Still here after a reload"])
    refreshes = page.refreshes[before:]
    statuses = [request.response().status if request.response() else None for request in refreshes]
    assert shown == ["Still here after a reload"] and "/login" not in tab.url, (
        "A reload should keep the session: the token in memory is gone, so the first navigation asks "
        "POST /api/auth/refresh once (the refresh cookie goes with it) and the task list shows again. After the "
        f"reload {what_the_page_shows(tab)}, the list shows {shown}, and the page sent "
        f"{len(refreshes)} refresh request(s){' answered ' + str(statuses) if statuses else ''}. Look at the "
        "router.beforeEach in frontend/src/router/index.ts (one silent auth.refresh() before the first guard "
        "decides)."
    )
    assert len(refreshes) == 1, (
        f"The reload should cost one refresh; the page sent {len(refreshes)} (answered {statuses}). Look at "
        "frontend/src/router/index.ts."
    )


@pytest.mark.timeout(120)
def test_one_refresh_for_parallel_requests(page, stack):
    tab = page.page
    _, user_id = sign_in(page, stack, ("Five at once",))
    past = datetime.now(UTC) - timedelta(minutes=5)
    expired = jwt.encode({"sub": str(user_id), "iat": past, "exp": past + timedelta(minutes=1)},
                         stack.env["TASKS_SECRET_KEY"], algorithm="HS256")
    before = len(page.refreshes)
    try:
        statuses = tab.evaluate("""async (expired) => {
            const { api } = await import('/src/api.ts')
            const { useAuthStore } = await import('/src/stores/auth.ts')
            useAuthStore().token = expired
            const answers = await Promise.allSettled([1, 2, 3, 4, 5].map(() => api.get('/tasks')))
            return answers.map((answer) => answer.status === 'fulfilled' ? answer.value.status
                                           : (answer.reason?.response?.status ?? String(answer.reason)))
        }""", expired)
    except Exception as error:  # noqa: BLE001 - Playwright's Error: the module could not be loaded
        raise AssertionError(
            "The check imports the page's own modules from the dev server (`api` from /src/api.ts, `useAuthStore` "
            f"from /src/stores/auth.ts) to send five requests at once; that failed: {str(error)[:300]}"
        ) from None
    refreshes = page.refreshes[before:]
    assert len(refreshes) == 1, (
        "Five requests sent together with an expired access token should cause exactly ONE POST "
        f"/api/auth/refresh, which all five wait for; the page sent {len(refreshes)}. "
        + ("Each refresh spends the cookie the others still send, so the server refuses them as reuse and ends "
           "the session. Keep the refresh in flight in one promise that every 401 awaits. "
           if len(refreshes) > 1 else "None means the 401s were never met with a refresh. ")
        + "Look at the response interceptor in frontend/src/api.ts."
    )
    assert statuses == [200] * 5, (
        "After the one refresh every one of the five requests should be sent again with the new token and "
        f"succeed; they ended with {statuses}. The response interceptor should return api(config) once the "
        "refresh has given the store a new token. Look at frontend/src/api.ts."
    )


@pytest.mark.timeout(120)
def test_no_token_in_web_storage(page, stack):
    tab = page.page
    email, _ = new_account(stack)
    with tab.expect_response(lambda response: response.url.endswith("/auth/token")) as signed_in:
        page.go("/login")
        with list_shown(tab):  # the sign-in is over once the task list has its tasks
            fill_login(tab, email, LEARNER_PASSWORD)
    access_token = (signed_in.value.json() or {}).get("access_token", "")
    with list_shown(tab):
        tab.reload()
    stored = tab.evaluate("""() => ({
        localStorage: JSON.stringify({ ...localStorage }),
        sessionStorage: JSON.stringify({ ...sessionStorage }),
        'document.cookie': document.cookie,
    })""")
    secrets_ = [access_token] + [cookie["value"] for cookie in tab.context.cookies() if cookie["value"]]
    leaks = [where for where, text in stored.items()
             if JWT_SHAPE.search(text) or any(secret and secret in text for secret in secrets_)]
    assert not leaks, (
        f"No token should ever be where the page's scripts can read it; after signing in and a reload, {leaks[0]} "
        f"holds one ({stored[leaks[0]][:120]}). Any script that runs in the page (an injected one, a compromised "
        "npm package) reads localStorage and sessionStorage and sends the token away. Keep the access token in "
        "the auth store's memory only (frontend/src/stores/auth.ts), and the refresh token in its HttpOnly "
        "cookie (app/api/routes/auth.py)."
    )
