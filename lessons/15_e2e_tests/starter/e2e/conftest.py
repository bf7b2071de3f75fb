"""The whole app in a real browser: what every end-to-end test gets.

    def test_something(page):                  # a fresh browser tab, its own cookies
        page.goto("/login")                     # on the app this file started

Run them with `pytest e2e` (plain `pytest` runs tests/ only: browsers are slow).

- `app_url` (once per run): the app as production serves it, one origin: the front end
  built by `vite build` and the API under /api, both from uvicorn running app.main:app
  with TASKS_FRONTEND_DIST set, on a free port of 127.0.0.1 and a brand-new SQLite
  database migrated by Alembic. TASKS_FRONTEND_DIST set in your shell skips the build
  and serves that folder instead; E2E_APP_URL skips all of it and tests the app already
  running there (a compose stack, a staging site), with that app's data and rate limits.
- `base_url`: the same URL, so `page.goto("/login")` needs no host.
- `page`, `context`, `browser`: pytest-playwright's fixtures, on the Chromium at
  $E2E_CHROMIUM (default /usr/bin/chromium; on a Mac, e.g.
  E2E_CHROMIUM="/Applications/Google Chrome.app/Contents/MacOS/Google Chrome").
  `pytest e2e --headed --slowmo 300` shows the browser at work.
- `sign_up(email, password)`: a new account, through the API (the page has no sign-up
  form), so each test can make the users it needs.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from alembic import command
from alembic.config import Config

ROOT = Path(__file__).resolve().parent.parent  # the folder with app/, frontend/ and alembic.ini
FRONTEND = ROOT / "frontend"
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI and containers run as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STARTUP_SECONDS = 60


def pytest_collection_modifyitems(items) -> None:
    """A browser test gets more time than tests/' 10 s: a busy machine starts Chromium slowly."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.timeout(120))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def built_frontend(folder: Path) -> Path:
    """The production build of frontend/ (`vite build`), or the one TASKS_FRONTEND_DIST names."""
    given = os.environ.get("TASKS_FRONTEND_DIST")
    if given:
        return Path(given).resolve()
    npm = shutil.which("npm")
    if npm is None:
        pytest.exit("npm is needed to build the front end: install Node.js 20 or newer", returncode=2)
    dist = folder / "dist"
    build = subprocess.run([npm, "run", "build-only", "--", "--outDir", str(dist), "--emptyOutDir"],
                           cwd=FRONTEND, capture_output=True, text=True, timeout=300)
    if build.returncode != 0:
        pytest.exit(f"`npm run build-only` in frontend/ failed:\n{build.stdout[-2000:]}{build.stderr[-2000:]}",
                    returncode=2)
    return dist


def migrated_database(folder: Path) -> str:
    """A new SQLite database with the schema `alembic upgrade head` makes; its URL."""
    url = f"sqlite+aiosqlite:///{folder / 'tasks.db'}"
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url)
    config.attributes["configure_logger"] = False
    # in a thread of its own: Alembic runs an event loop, and Playwright's runs in this one
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(command.upgrade, config, "head").result()
    return url


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="session")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    running = os.environ.get("E2E_APP_URL")
    if running:
        yield running.rstrip("/")
        return
    folder = tmp_path_factory.mktemp("e2e")
    port = free_port()
    env = {
        **os.environ,
        "TASKS_ENVIRONMENT": "test",
        "TASKS_DATABASE_URL": migrated_database(folder),
        "TASKS_SECRET_KEY": secrets.token_urlsafe(32),
        "TASKS_FRONTEND_DIST": str(built_frontend(folder)),
        # the tests sign in more often than a person would
        "TASKS_LOGIN_RATE_LIMIT": "1000/minute",
        "TASKS_RATE_LIMIT_DEFAULT": "10000/minute",
    }
    log = open(folder / "uvicorn.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not answers(f"{url}/api/health"):
            try:
                server.wait(timeout=0.1)  # returns only if the server has exited: it could not start
            except subprocess.TimeoutExpired:
                if time.monotonic() < deadline:
                    continue
            log.flush()
            pytest.exit(f"the app did not start:\n{(folder / 'uvicorn.log').read_text()[-2000:]}", returncode=2)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="session")
def base_url(app_url: str) -> str:
    return app_url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    args = {**browser_type_launch_args, "args": CHROMIUM_ARGS}
    if Path(CHROMIUM).is_file():
        args["executable_path"] = CHROMIUM
    return args


@pytest.fixture
def sign_up(app_url: str) -> Callable[[str, str], None]:
    """sign_up(email, password): a new account, made through the API."""

    def register(email: str, password: str) -> None:
        answer = httpx.post(f"{app_url}/api/auth/register", json={"email": email, "password": password}, timeout=30)
        assert answer.status_code == 201, f"signing up {email} answered {answer.status_code}: {answer.text}"

    return register
