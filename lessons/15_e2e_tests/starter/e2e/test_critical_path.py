"""The critical path of the Tasks app, as a person walks it, in a real browser.

Find things the way a person (or a screen reader) does: by role and by label
(page.get_by_role("button", name="Sign in"), page.get_by_label("Email")), never by CSS
class or position. Assert with `expect(...)`, which retries until the page gets there or
5 s have passed; never wait a fixed time (time.sleep, page.wait_for_timeout).

The first test is done; write the others, and delete each `pytest.skip(...)` line as you
go. Run them with `pytest e2e` (add `--headed --slowmo 300` to watch).
"""

import re
import secrets

import pytest
from playwright.sync_api import Page, expect

PASSWORD = "correct horse battery staple"


def new_email(name: str) -> str:
    """A new address per test: every test signs up users of its own."""
    return f"{name}-{secrets.token_hex(4)}@example.com"


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in on the login view the page shows now (no page.goto: a reload would forget what the page kept)."""
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


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

    # TODO(15): a fixed wait, then a one-time look: flaky on a busy machine, slow on every
    # other. Replace both lines with expect(...), which retries until the list shows it.
    page.wait_for_timeout(500)
    assert page.get_by_role("listitem").all_inner_texts() == ["Buy milk"]
    expect(page.get_by_label("New task")).to_have_value("")


def test_tasks_are_there_after_signing_in_again(page: Page, sign_up):
    pytest.skip(
        "TODO(15): sign up and in, add a task, sign out (a helper: click the Sign out button, then "
        "expect the Sign in heading), sign in again: expect the task in the list"
    )


def test_a_user_sees_only_their_own_tasks(page: Page, sign_up):
    pytest.skip(
        "TODO(15): sign up two users; the first adds a task and signs out; the second signs in "
        "in the same tab: expect the empty list, and the first user's task nowhere on the page"
    )


def test_after_sign_out_the_task_list_needs_a_sign_in(page: Page, sign_up):
    pytest.skip(
        "TODO(15): sign in, sign out, press the browser's Back button (page.go_back()): expect the "
        "login view (its URL and its Sign in heading), not the task list"
    )


def test_a_wrong_password_says_so(page: Page, sign_up):
    pytest.skip(
        "TODO(15): sign up, then sign in with a wrong password: expect the API's message in the "
        "page's alert (get_by_role('alert')), and the login view still there"
    )
