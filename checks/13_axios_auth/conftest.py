"""Fixtures of the lesson 13 checks: the API module under Vitest, the whole stack in Chromium.

- `unit_report`: one Vitest run of the learner's spec of src/api.ts and the course's own
  (specs/api.spec.ts, placed in frontend/src/__shiplings__/ for the run); started with
  the run when the browser checks are in it too (`early_unit_tests`)
- `stack`: the learner's backend and Vite dev server (support/stack.py), once per module
- `page`: a new browser context and page on the session's one Chromium (`browser`, in
  checks/conftest.py), counting the page's requests to the refresh route

npm itself runs once per package-lock.json (shiplings.npm).
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from shiplings import npm
from shiplings.testing import FRONTEND, workspace
from support.browser import VUE_MOUNTED, deaf_to_dev_server, patient, warm_up_page
from support.frontend import VitestReport
from support.stack import full_stack

SPECS = Path(__file__).parent / "specs"
COURSE_SPEC = "src/__shiplings__/api.spec.ts"


def learner_specs(frontend: Path) -> list[Path]:
    """The learner's unit tests of the API module: specs under src/ that use axios-mock-adapter."""
    return [path for path in sorted((frontend / "src").rglob("*.spec.ts"))
            if "__shiplings__" not in path.parts and "axios-mock-adapter" in path.read_text(errors="replace")]


def run_unit_tests(frontend: Path, node, scratch: Path) -> tuple[list[Path], VitestReport]:
    """One Vitest run of the learner's specs of the API module and the course's own."""
    specs = learner_specs(frontend)
    folder = frontend / Path(COURSE_SPEC).parent
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SPECS / "api.spec.ts", frontend / COURSE_SPEC)
    report = scratch / "vitest.json"
    command = [node.node, str(frontend / "node_modules" / "vitest" / "vitest.mjs"), "run", "--reporter=json",
               f"--outputFile={report}", COURSE_SPEC, *(path.relative_to(frontend).as_posix() for path in specs)]
    try:
        done = subprocess.run(command, cwd=frontend, env=node.env({"CI": "1", "NO_COLOR": "1"}),
                              capture_output=True, text=True, timeout=240, stdin=subprocess.DEVNULL)
    finally:
        (frontend / COURSE_SPEC).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            folder.rmdir()  # unless a kept dev server's file is in it too (support/stack.py)
    files = []
    with contextlib.suppress(OSError, ValueError):
        files = json.loads(report.read_text()).get("testResults", [])
    return specs, VitestReport(done.returncode, done.stdout + done.stderr, files)


def vite_error(module_url: str) -> str:
    """The message of the error page a Vite dev server answers a module it cannot compile with."""
    import httpx

    try:
        page = httpx.get(module_url, timeout=10).text
    except httpx.HTTPError as error:
        return f"(nothing: {error})"
    found = re.search(r"const error = (\{.*?\})\s*\n", page)
    with contextlib.suppress(ValueError, AttributeError):
        return json.loads(found.group(1))["message"].strip()[:1500]
    return page.strip()[:500]


@pytest.fixture(scope="session", autouse=True)
def early_unit_tests(request, tmp_path_factory) -> Iterator[Future | None]:
    """With the browser checks in the run too, Vitest starts with the run, in a thread.

    The browser checks (test_browser.py, which runs before test_unit_api.py) start the
    backend and Vite meanwhile: two seconds of Vitest overlap the stack's start instead of
    adding to it. Anything wrong before Vitest could start (no Node, a failed install) is
    left to unit_report, which says it in the checks' own words.
    """
    files = {item.path.name for item in request.session.items}
    frontend = workspace() / FRONTEND
    if not {"test_unit_api.py", "test_browser.py"} <= files:
        yield None
        return
    try:
        node = npm.require_node()
        npm.ensure_dependencies(frontend, node)  # here, not in the thread: the stack installs from the same cache
    except Exception:  # noqa: BLE001 - unit_report meets it again and explains it
        yield None
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        yield pool.submit(run_unit_tests, frontend, node, tmp_path_factory.mktemp("vitest"))


@pytest.fixture(scope="module")
def unit_report(early_unit_tests, node, tmp_path_factory):
    """(the learner's spec files, one VitestReport of theirs and the course's spec together)."""
    if early_unit_tests is not None:
        return early_unit_tests.result()
    frontend = workspace() / FRONTEND
    try:
        npm.ensure_dependencies(frontend, node)
    except npm.InstallFailed as failure:
        raise AssertionError(failure.learner_message(f"{FRONTEND}/")) from None
    return run_unit_tests(frontend, node, tmp_path_factory.mktemp("vitest"))


@pytest.fixture(scope="module")
def stack(migrated_template, node):
    with full_stack(migrated_template, node) as running:
        yield running


@dataclass
class Page:
    """A page of the learner's app in Chromium, and the requests it sent to the refresh route."""

    page: object
    refreshes: list = field(default_factory=list)  # playwright Requests to .../auth/refresh
    # what the page's console and uncaught errors said, for a message about a page that did not mount
    console: list[str] = field(default_factory=list)
    failed_modules: list[str] = field(default_factory=list)  # modules the dev server did not serve

    def go(self, path: str) -> None:
        """Open a path of the Vite dev server, until the app mounts (or it says why not).

        Reloaded once when modules failed to load: the dev server bundled its dependencies
        again while the page loaded, and the page missed its word to reload (see warm_up_page).
        """
        for attempt in range(2):
            self.failed_modules.clear()
            try:
                self.page.goto(path, wait_until="domcontentloaded")
            except Exception as error:  # noqa: BLE001 - Playwright's TimeoutError or Error
                raise AssertionError(
                    f"The Vite dev server should serve the page at {path}; Chromium could not load it: "
                    f"{str(error).splitlines()[0]}. Try `npm run dev` in frontend/ and open the page yourself."
                ) from None
            if self.mounted(patient(20_000)) or not self.failed_modules:
                return
            if attempt:
                self.not_compiled(path)

    def not_compiled(self, path: str) -> None:
        """AssertionError naming the module the dev server could not compile and what Vite said, if one did not."""
        failed = next((line.split(" ", 1)[1] for line in self.failed_modules if line.startswith("500 ")), None)
        if failed is None or self.page.evaluate(VUE_MOUNTED):
            return
        module = "/" + failed.split("://", 1)[-1].partition("/")[2].split("?")[0]
        raise AssertionError(
            f"The page at {path} should start; the Vite dev server could not compile {module}, so the app never "
            f"mounted. Vite said:\n{vite_error(failed)}\nThe browser's console and `npm run dev` in frontend/ show "
            "the same error."
        )

    def mounted(self, milliseconds: float) -> bool:
        """Whether the Vue app mounts within the time; False at once when the page threw or a module failed."""
        deadline = time.monotonic() + milliseconds / 1000
        while time.monotonic() < deadline:
            if self.page.evaluate(VUE_MOUNTED):
                return True
            if self.failed_modules or any(line.startswith("uncaught") for line in self.console):
                return False
            self.page.wait_for_timeout(25)
        return False

    def count(self, request) -> None:
        if request.url.split("?")[0].endswith("/auth/refresh"):
            self.refreshes.append(request)

    def listen(self, tab) -> None:
        tab.on("request", self.count)
        tab.on("console", lambda message: self.console.append(f"{message.type}: {message.text}")
               if message.type in ("error", "warning") else None)
        tab.on("pageerror", lambda error: self.console.append(f"uncaught {error}"))
        tab.on("response", lambda response: self.failed_modules.append(f"{response.status} {response.url}")
               if response.status >= 500 and response.request.resource_type == "script" else None)
        tab.on("requestfailed", lambda request: self.failed_modules.append(f"failed {request.url}")
               if request.resource_type == "script" else None)

    def said(self) -> str:
        """The page's console errors and failed modules, for a message; "" when there were none."""
        lines = [*self.console, *self.failed_modules][-5:]
        return (" The browser's console said: " + " | ".join(line[:300] for line in lines) + ".") if lines else ""


@pytest.fixture
def page(browser, stack):
    """A fresh context (no cookies, empty storage) and page, its relative URLs on the Vite dev server."""
    if not stack.vite.reused:  # a kept dev server has compiled the page for an earlier run
        warm_up_page(browser, stack.vite.url)
    context = browser.new_context(base_url=stack.vite.url)
    deaf_to_dev_server(context)
    # generous: a dev server's first page transforms every module, slow on a busy machine
    context.set_default_timeout(patient(20_000))
    context.set_default_navigation_timeout(patient(45_000))
    try:
        tab = context.new_page()
        opened = Page(tab)
        opened.listen(tab)
        yield opened
    finally:
        context.close()
