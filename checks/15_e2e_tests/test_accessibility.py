"""Lesson 15: axe-core finds no serious or critical violation on the login view and the task list.

The check's own scan, whatever the learner's suite does: the production build of their front
end, served by their app (in a thread of this process, support/spa.py), in the run's Chromium,
with axe-core's rules (axe-playwright-python bundles axe.min.js: nothing is downloaded).

A pass is kept (support/verdicts.py) by what the scan read: the build (its folder is named by
the content of frontend/), the backend, this file and the support code it runs, axe's and
Chromium's versions. A check run after an edit of e2e/ alone, the loop of this lesson, then
scans nothing; a change to any of those scans again, and a failure always does.
"""

import secrets
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import httpx
import pytest

from shiplings.testing import DATABASE_URL_VARIABLE, FRONTEND, copy_template, workspace
from support import verdicts
from support.accounts import LEARNER_PASSWORD
from support.apps import app_builder, app_environment
from support.browser import chromium_path, patient
from support.spa import built_dist, serving
from support.stack import backend_fingerprint

BLOCKING = {"serious", "critical"}


@pytest.fixture(scope="module")
def site_url(migrated_template, tmp_path_factory, node) -> Iterator[str]:
    dist = built_dist(workspace() / FRONTEND, node)
    url = copy_template(migrated_template, tmp_path_factory.mktemp("site") / "tasks.db")
    with pytest.MonkeyPatch.context() as env:
        for key, value in {DATABASE_URL_VARIABLE: url, **app_environment(url)}.items():
            env.setenv(key, value)
        app = app_builder()(frontend_dist=str(dist))
        with serving(app) as served:
            yield served


def blocking_violations(tab) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(tab)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']}, at "
        + ", ".join(" ".join(node["target"]) if isinstance(node["target"], list) else str(node["target"])
                    for node in violation["nodes"][:3])
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING
    ]


def advice(found: list[str]) -> str:
    return ("\n".join(f"- {line}" for line in found[:6])
            + "\nEach rule's help page (search 'axe <rule id>') says what a person using a screen reader or with "
              "low vision meets there. Fix it in frontend/src (an accessible name: a text or aria-label; a colour "
              "with 4.5:1 contrast against its background), not in the test.")


def scan_key(dist: Path, backend: str) -> str:
    """What the scan's verdict depends on (the module's docstring)."""
    chromium = Path(chromium_path())
    support = Path(verdicts.__file__).parent
    return verdicts.digest(dist, backend, version("axe-playwright-python"), chromium, chromium.stat().st_mtime_ns,
                           files=[Path(__file__), support.parent / "conftest.py",
                                  *(support / name for name in ("spa.py", "apps.py", "browser.py", "accounts.py"))])


@pytest.mark.timeout(240)
def test_views_pass_axe(request, migrated_template, node):
    key = scan_key(built_dist(workspace() / FRONTEND, node), backend_fingerprint(migrated_template))
    if verdicts.read("axe-scans", key) is not None:
        return  # this build on this backend passed this scan before
    scan(request.getfixturevalue("browser"), request.getfixturevalue("site_url"))
    verdicts.write("axe-scans", key, {"passed": True})


def scan(browser, site_url: str) -> None:
    email = f"axe-{secrets.token_hex(4)}@example.com"
    with httpx.Client(base_url=site_url + "/api", timeout=30) as api:
        api.post("/auth/register", json={"email": email, "password": LEARNER_PASSWORD})
    context = browser.new_context(base_url=site_url)
    context.set_default_timeout(patient(20_000))
    try:
        tab = context.new_page()
        tab.goto("/login")
        tab.get_by_role("button", name="Sign in").wait_for()
        found = blocking_violations(tab)
        assert not found, "axe found serious or critical problems on the login view (/login):\n" + advice(found)
        tab.get_by_label("Email").fill(email)
        tab.get_by_label("Password").fill(LEARNER_PASSWORD)
        tab.get_by_role("button", name="Sign in").click()
        try:
            tab.get_by_text("No tasks yet").wait_for()
        except Exception:  # noqa: BLE001 - Playwright's TimeoutError: the assertion says what happened
            raise AssertionError(
                "After signing in on the built app the task list should show its empty state (\"No tasks yet\"); "
                f"it did not appear (the page is at {tab.url.removeprefix(site_url)}). Open the app and sign in "
                "yourself to see what happens."
            ) from None
        found = blocking_violations(tab)
        assert not found, "axe found serious or critical problems on the task list (/):\n" + advice(found)
    finally:
        context.close()
