"""An accessibility scan of the main views with axe-core, the rules browsers' devtools use.

axe finds what a machine can find (missing names, low contrast, broken ARIA), about a third
of real problems; the rest still needs a person with a keyboard and a screen reader.
"""

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from e2e.test_critical_path import PASSWORD, add_task, new_email, sign_in

BLOCKING = {"serious", "critical"}


def blocking_violations(page: Page) -> list[str]:
    """What axe finds on the page as it is now, serious or critical only, one line each."""
    results = Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']}: "
        + ", ".join(str(node["target"]) for node in violation["nodes"])
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING
    ]


def test_the_login_view_has_no_serious_violation(page: Page):
    page.goto("/login")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()

    assert blocking_violations(page) == []


def test_the_task_list_has_no_serious_violation(page: Page, sign_up):
    email = new_email("axe")
    sign_up(email, PASSWORD)
    page.goto("/login")
    sign_in(page, email)
    expect(page.get_by_text("No tasks yet")).to_be_visible()

    assert blocking_violations(page) == []

    add_task(page, "Scan me")
    expect(page.get_by_role("listitem")).to_have_text(["Scan me"])
    assert blocking_violations(page) == []
