"""The critical path of the Tasks app, as a person walks it, in a real browser.

Each test finds things the way a person (or a screen reader) does, by role and by label,
and asserts with `expect`, which retries until the page gets there or 5 s have passed:
no fixed sleeps, which are either too short on a busy machine (a flaky test) or too long
everywhere else (a slow one).
"""

import re
import secrets

from playwright.sync_api import Page, expect

PASSWORD = "correct horse battery staple"


def new_email(name: str) -> str:
    return f"{name}-{secrets.token_hex(4)}@example.com"


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in on the login view the page shows now (no page.goto: a reload would forget what the page kept)."""
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def add_task(page: Page, title: str) -> None:
    page.get_by_label("New task").fill(title)
    page.get_by_role("button", name="Add").click()


def test_a_new_user_signs_in_and_adds_a_task(page: Page, sign_up):
    email = new_email("ada")
    sign_up(email, PASSWORD)

    page.goto("/login")
    sign_in(page, email)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_text("No tasks yet")).to_be_visible()
    add_task(page, "Buy milk")

    expect(page.get_by_role("listitem")).to_have_text(["Buy milk"])
    expect(page.get_by_label("New task")).to_have_value("")


def test_tasks_are_there_after_signing_in_again(page: Page, sign_up):
    email = new_email("ada")
    sign_up(email, PASSWORD)
    page.goto("/login")
    sign_in(page, email)
    add_task(page, "Water the plants")
    expect(page.get_by_role("listitem")).to_have_text(["Water the plants"])
    sign_out(page)

    sign_in(page, email)

    expect(page.get_by_role("listitem")).to_have_text(["Water the plants"])


def test_a_user_sees_only_their_own_tasks(page: Page, sign_up):
    ada, bob = new_email("ada"), new_email("bob")
    sign_up(ada, PASSWORD)
    sign_up(bob, PASSWORD)
    page.goto("/login")
    sign_in(page, ada)
    add_task(page, "Ada's secret plan")
    expect(page.get_by_role("listitem")).to_have_text(["Ada's secret plan"])
    sign_out(page)

    sign_in(page, bob)  # the same tab: whatever the page kept in memory is still there

    expect(page.get_by_text("No tasks yet")).to_be_visible()
    expect(page.get_by_text("Ada's secret plan")).to_have_count(0)


def test_after_sign_out_the_task_list_needs_a_sign_in(page: Page, sign_up):
    email = new_email("ada")
    sign_up(email, PASSWORD)
    page.goto("/login")
    sign_in(page, email)
    expect(page.get_by_text("No tasks yet")).to_be_visible()

    sign_out(page)
    page.go_back()  # the browser's Back button, to the task list

    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_a_wrong_password_says_so(page: Page, sign_up):
    email = new_email("ada")
    sign_up(email, PASSWORD)
    page.goto("/login")

    sign_in(page, email, "not the password")

    expect(page.get_by_role("alert")).to_have_text("Incorrect email or password.")
    expect(page).to_have_url(re.compile(r"/login"))
