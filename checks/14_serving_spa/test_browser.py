"""Lesson 14 in a real browser: the built page, served by the learner's own app, works under its CSP.

Headless Chromium opens a deep link (/login) on the site uvicorn serves with
TASKS_FRONTEND_DIST set, signs in through the form, sees the task list, and reloads it (the
refresh cookie must reach /api/auth/refresh); every CSP violation and console error the page
reports on the way is a failure.
"""

import secrets

import httpx
import pytest

from support.accounts import LEARNER_PASSWORD
from support.browser import patient

TASKS = ["Served from dist", "Under a strict policy"]


def new_account(site_url: str) -> str:
    email = f"csp-{secrets.token_hex(4)}@example.com"
    with httpx.Client(base_url=site_url + "/api", timeout=30) as api:
        api.post("/auth/register", json={"email": email, "password": LEARNER_PASSWORD})
        token = api.post("/auth/token", data={"username": email, "password": LEARNER_PASSWORD}).json()["access_token"]
        for title in TASKS:
            api.post("/tasks", json={"title": title}, headers={"Authorization": f"Bearer {token}"})
    return email


def shown_tasks(tab) -> list[str]:
    try:
        tab.wait_for_function(
            "wanted => JSON.stringify([...document.querySelectorAll('[data-test=\"task\"]')]"
            ".map(item => item.textContent.trim())) === JSON.stringify(wanted)", arg=TASKS, timeout=patient(20_000))
    except Exception:  # noqa: BLE001 - Playwright's TimeoutError: the assertion says what was there
        pass
    return [item.strip() for item in tab.locator('[data-test="task"]').all_text_contents()]


def what_went_wrong(page) -> str:
    said = page.violations[:3] + [f"uncaught: {crash}" for crash in page.crashes[:2]]
    return ("; the page reported: " + " | ".join(said)[:900]) if said else ""


@pytest.mark.timeout(150)
def test_app_runs_under_its_csp(page, site_server):
    tab = page.page
    email = new_account(site_server)
    opened = tab.goto("/login", wait_until="domcontentloaded")
    assert opened is not None and opened.status == 200, (
        "Opening the deep link /login on the site your app serves (TASKS_FRONTEND_DIST set) should load the page; "
        f"the server answered {opened.status if opened else 'nothing'}. Look at the SPA fallback in app/spa.py."
    )
    assert opened.headers.get("content-security-policy"), (
        "The page should arrive with its Content-Security-Policy header: this check proves the app works under "
        "it, and there is none to work under. Look at app/spa.py."
    )
    try:
        tab.get_by_label("Email").fill(email)
        tab.get_by_label("Password").fill(LEARNER_PASSWORD)
        tab.get_by_role("button", name="Sign in").click()
    except Exception:  # noqa: BLE001 - Playwright's TimeoutError: no login form appeared
        raise AssertionError(
            "Under your Content-Security-Policy, /login should show the login form; it never appeared"
            f"{what_went_wrong(page) or ' (the page reported nothing)'}. Look at the policy in app/spa.py."
        ) from None
    shown = shown_tasks(tab)
    assert shown == TASKS, (
        f"After signing in on the served page the task list should show the account's tasks {TASKS}; it shows "
        f"{shown}{what_went_wrong(page)}. A policy that blocks what the build needs (its own scripts and styles, "
        "its calls to /api) shows up here. Look at the policy in app/spa.py."
    )
    tab.reload()
    shown = shown_tasks(tab)
    assert shown == TASKS and "/login" not in tab.url, (
        "A reload of the served page should keep the session: the page asks POST /api/auth/refresh, and the "
        f"browser sends the refresh cookie only if its Path covers /api/auth. After the reload the page shows {shown} "
        f"at {tab.url.removeprefix(site_server)}{what_went_wrong(page)}. Look at cookie_path() in "
        "app/api/routes/auth.py."
    )
    assert not page.violations and not page.crashes, (
        "The page should run under its Content-Security-Policy without a single violation or uncaught error"
        f"{what_went_wrong(page)}. Each violation is something the policy blocked: allow what the build "
        "itself loads (it is all on the page's own origin), nothing inline. Look at the policy in app/spa.py."
    )
