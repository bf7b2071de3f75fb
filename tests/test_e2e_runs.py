"""How lesson 15's check runs the learner's suite: on the backend and the Chromium it keeps.

The check passes E2E_APP_URL (the learner's e2e/conftest.py then starts no backend) and
E2E_CDP_URL (checks/15_e2e_tests/e2e_browser.py then launches no Chromium). Either one
ignored would still give green runs, only slower, so these tests look at each directly,
with `pytest e2e` as the check runs it, in a copy of the lesson's starter.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CHECK = REPO / "checks" / "15_e2e_tests"
PROBE = '''
def test_probe(app_url, browser):
    print("app_url", app_url)
'''


@pytest.fixture
def suite(tmp_path) -> Path:
    """A workspace with the starter's e2e/ (its conftest.py) and one test of its fixtures."""
    shutil.copytree(REPO / "lessons" / "15_e2e_tests" / "starter" / "e2e", tmp_path / "e2e")
    for test in (tmp_path / "e2e").glob("test_*.py"):
        test.unlink()
    (tmp_path / "e2e" / "test_probe.py").write_text(PROBE)
    return tmp_path


def run_e2e(folder: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("E2E_", "PYTEST_"))}
    environment.update(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", PYTHONPATH=str(CHECK), **env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "e2e", "-p", "pytest_playwright.pytest_playwright", "-p", "pytest_timeout",
         "-p", "e2e_browser", "-p", "no:cacheprovider", "-q", "-s", "--color=no"],
        cwd=folder, env=environment, capture_output=True, text=True, timeout=120,
    )


def test_the_suite_tests_the_app_at_e2e_app_url_and_starts_none(suite):
    # nothing listens on port 9: a conftest that ignored the variable would start its own
    # backend (and fail to build a front end that is not there) before any browser question
    run = run_e2e(suite, E2E_APP_URL="http://127.0.0.1:9/", E2E_CDP_URL="http://127.0.0.1:9")
    output = run.stdout + run.stderr
    assert "npm run build-only" not in output and "did not start" not in output, output[-2000:]
    # the browser fixture is asked for after app_url, and connects to the endpoint it was given
    assert "connect_over_cdp" in output and "127.0.0.1:9" in output, output[-2000:]


def test_the_suite_runs_on_the_chromium_at_e2e_cdp_url(suite, on_the_checks_path):
    from support.browser import chromium_server

    with chromium_server() as endpoint:
        run = run_e2e(suite, E2E_APP_URL="http://127.0.0.1:9", E2E_CDP_URL=endpoint)
        assert run.returncode == 0, (run.stdout + run.stderr)[-2000:]
        assert "app_url http://127.0.0.1:9" in run.stdout
