"""Headless Chromium for the browser checks: the machine's own Chromium, driven by Playwright.

Never a browser Playwright downloads (`playwright install`): the course uses the Chromium
`shiplings doctor` finds (Debian's /usr/bin/chromium, Homebrew's, or SHIPLINGS_CHROMIUM),
with flags that keep a headless run quiet and fast. Where none is installed,
chromium_path() raises services.ServiceUnavailable: the check reports "cannot run" with the
doctor's fix, never a failure of the learner's code.

One Chromium serves a whole run (chromium_server(), started once per session), and in
watch mode and %check every run of the warm helper (shiplings.keep): starting it is the
slow part. Playwright connects to it over the DevTools protocol per test module
(connect()), not once per session, because Playwright's sync API keeps its event loop
marked as running in this thread while it is connected, and the async checks of the
modules that follow need the thread's loop to themselves.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from shiplings import lifeline, scratch, services, tools
from shiplings.patience import machine_factor


def patient(milliseconds: float) -> float:
    """A browser wait, stretched while the machine is busy (up to 3x): a dev server's first page
    transforms every module, and on a loaded machine that alone can take longer than the wait."""
    return milliseconds * min(machine_factor(), 3)


def list_loaded(response) -> bool:
    """The page's first GET of the signed-in user's tasks has been answered. Checks wait for it
    before adding a task, as a person does: a task added while that GET is on its way can be
    replaced in the list by the GET's older answer, a race of the page, not of what is checked."""
    return response.request.method == "GET" and response.url.split("?")[0].endswith("/api/tasks")


# true once the learner's Vue app has mounted on the page (Vue marks its container)
VUE_MOUNTED = "() => !!document.querySelector('#app')?.__vue_app__"
_warmed: set[str] = set()


def warm_up_page(browser, url: str) -> None:
    """Open the page at `url` once and wait for the Vue app to mount, before any check does.

    A dev server's first visit transforms every module, may pre-bundle dependencies and then
    reload the page: on a busy machine longer than a check's own waits. When the dependencies
    it found on the way are bundled again, the modules the page asked for meanwhile fail
    ("Outdated Optimize Dep") and Vite tells the page to reload; a page that missed that word
    stays blank, so a page that has not mounted is reloaded once, as a person would. A page
    that does not mount after that is left to the checks to describe, and so is at once a
    page with a module the dev server could not compile (a learner's syntax error).
    """
    if url in _warmed:
        return
    _warmed.add(url)
    context = browser.new_context(base_url=url)
    try:
        tab = context.new_page()
        broken = []
        tab.on("response", lambda response: broken.append(response.url)
               if response.status >= 500 and response.request.resource_type == "script" else None)
        for _ in range(2):
            broken.clear()
            try:
                tab.goto("/", wait_until="domcontentloaded", timeout=patient(45_000))
                deadline = time.monotonic() + patient(30_000) / 1000
                while time.monotonic() < deadline and not broken:
                    if tab.evaluate(VUE_MOUNTED):
                        return
                    tab.wait_for_timeout(50)
            except Exception:  # noqa: BLE001, S112 - Playwright's TimeoutError or Error: once more, then the checks say
                continue
    finally:
        context.close()


def deaf_to_dev_server(context) -> None:
    """Keep the pages of this context off the Vite dev server's live-reload channel (its WebSocket).

    A dev server kept between check runs (support/stack.py) still has word to pass on about
    the learner's saves before this run, and would reload a page in the middle of a check.
    The page's WebSocket stays open, only nothing reaches it. A page whose modules did not
    load is reloaded by the checks themselves, once, as a person would.
    """
    import re

    context.route_web_socket(re.compile(r"^wss?://"), lambda socket: None)


CHROMIUM_ARGS = [
    "--no-sandbox",  # containers and CI run as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str:
    """The Chromium the checks run; ServiceUnavailable when there is none."""
    path = tools.find("chromium")
    if path is None or not Path(path).is_file():
        raise services.ServiceUnavailable("chromium")
    return path


@contextlib.contextmanager
def chromium_server(timeout: float = 30.0) -> Iterator[str]:
    """A headless Chromium on a free loopback port until the block ends; yields its DevTools URL."""
    path = chromium_path()
    # a profile of its own, named for this process, so that a killed run's is swept (shiplings.scratch)
    profile = Path(tempfile.mkdtemp(prefix=scratch.prefix("chromium")))
    command = [path, "--headless", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
               f"--user-data-dir={profile}", *CHROMIUM_ARGS, "about:blank"]
    log = open(profile / "shiplings-chromium.log", "w")  # noqa: SIM115 - closed in finally
    process = lifeline.spawn(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        # Chromium writes the port it chose into its profile once it listens
        active = profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not (active.is_file() and active.read_text().strip()):
            if process.poll() is not None or time.monotonic() > deadline:
                said = Path(log.name).read_text(errors="replace")[-1500:]
                raise RuntimeError(f"Chromium ({path}) did not start: {said}")
            time.sleep(0.05)
        port = active.read_text().split()[0]
        yield f"http://127.0.0.1:{port}"
    finally:
        services.stop(process, grace=5.0)
        log.close()
        shutil.rmtree(profile, ignore_errors=True)


def responds(endpoint: str) -> bool:
    """Whether the Chromium at this DevTools URL still answers (a kept one may have died meanwhile)."""
    import httpx

    try:
        return httpx.get(f"{endpoint}/json/version", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


@contextlib.contextmanager
def connect(endpoint: str) -> Iterator:
    """A Playwright Browser on the Chromium at `endpoint`, until the block ends."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.connect_over_cdp(endpoint)
        try:
            yield browser
        finally:
            browser.close()
