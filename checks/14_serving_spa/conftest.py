"""Fixtures of the lesson 14 checks: the learner's production build, served three ways.

- `dist`: frontend/dist as `vite build` makes it from the learner's sources, once per run
  and cached by their content (support/spa.py): checks never build twice for one front end
- `site`: an in-process client of create_app(Settings(frontend_dist=dist)), the site the
  learner's app serves in production (the API under /api, the page at /), its lifespan running
- `site_server`: the same site under uvicorn on a free loopback port, for Chromium (once per
  module; in a thread of the check's process, which has imported the app already)
- `page`: a fresh browser context on that server that records Content-Security-Policy
  violations, console errors and uncaught exceptions
- `nginx_stack`: the learner's frontend/nginx.conf under a real nginx, in front of the
  learner's backend (API alone, at /), both on free loopback ports (once per module)
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import pytest

from shiplings.testing import DATABASE_URL_VARIABLE, FRONTEND, copy_template, running_client, workspace
from support.apps import app_builder, app_environment
from support.browser import patient
from support.spa import NGINX_CONF, built_dist, nginx_binary, nginx_site, serving


@pytest.fixture(scope="session")
def dist(node):
    """The learner's front end, built for production (a folder of the build cache: read it, never write)."""
    return built_dist(workspace() / FRONTEND, node)


@pytest.fixture
async def site(build_app, dist) -> AsyncIterator:
    """An in-process client of the site: create_app(Settings(frontend_dist=dist))."""
    app = build_app(frontend_dist=str(dist))
    async with running_client(app) as http:
        yield http


@contextlib.contextmanager
def served_app(migrated_template, folder, **settings) -> Iterator[str]:
    """The learner's app, create_app(Settings(**settings)) on a copy of the migrated database,
    under uvicorn on a free loopback port (in a thread: support/spa.py); yields its URL."""
    url = copy_template(migrated_template, folder / "tasks.db")
    with pytest.MonkeyPatch.context() as env:
        for key, value in {DATABASE_URL_VARIABLE: url, **app_environment(url)}.items():
            env.setenv(key, value)
        app = app_builder()(**settings)
        with serving(app) as served:
            yield served


@pytest.fixture(scope="module")
def site_server(migrated_template, tmp_path_factory, dist) -> Iterator[str]:
    """The site (the page at /, the API under /api) as a real server, for Chromium: its URL."""
    with served_app(migrated_template, tmp_path_factory.mktemp("site"), frontend_dist=str(dist)) as url:
        yield url


@dataclass
class Page:
    """A page of the served site in Chromium, and what went wrong in it."""

    page: object
    violations: list[str] = field(default_factory=list)  # what the Content-Security-Policy blocked
    crashes: list[str] = field(default_factory=list)  # uncaught exceptions in the page's scripts

    def console(self, message) -> None:
        # Chromium's own "Refused to ..." lines, and the event REPORT_VIOLATIONS prints; not a
        # failed request (the silent refresh without a cookie answers 401, as it should)
        text = message.text
        if message.type == "error" and ("Content Security Policy" in text or text.startswith("CSP violation")):
            self.violations.append(text)


# Registered before any of the page's scripts: every blocked script, style or request is reported.
REPORT_VIOLATIONS = """document.addEventListener('securitypolicyviolation', (event) => {
    console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || 'inline code'}`)
})"""


@pytest.fixture
def page(browser, site_server) -> Iterator[Page]:
    context = browser.new_context(base_url=site_server)
    context.set_default_timeout(patient(20_000))
    context.set_default_navigation_timeout(patient(30_000))
    try:
        context.add_init_script(REPORT_VIOLATIONS)
        tab = context.new_page()
        opened = Page(tab)
        tab.on("console", opened.console)
        tab.on("pageerror", lambda error: opened.crashes.append(str(error)))
        yield opened
    finally:
        context.close()


@dataclass
class NginxStack:
    url: str  # nginx, in front of everything
    backend: str  # the API alone, at /


@pytest.fixture(scope="module")
def nginx_stack(migrated_template, tmp_path_factory, dist) -> Iterator[NginxStack]:
    nginx_binary()  # no nginx: "cannot run", before anything is started
    conf = workspace() / NGINX_CONF
    assert conf.is_file(), (
        f"There should be {NGINX_CONF}: the nginx site config that serves the build and forwards /api/ to the "
        "backend (lesson 16's frontend image uses it). There is no such file in your workspace."
    )
    folder = tmp_path_factory.mktemp("nginx")
    with served_app(migrated_template, folder) as api:
        with nginx_site(conf.read_text(), dist, api, folder) as url:
            yield NginxStack(url, api)
