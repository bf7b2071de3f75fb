"""The front end on a JupyterHub: through the real jupyter-server-proxy, with binder's own settings.

On a hub a learner's Vite dev server and Tasks app have no address of their own:
binder/jupyter_server_config.py gives them one under the learner's server
(/user/<name>/vite/, /user/<name>/tasks-app/) and binder/start sets VITE_DEV_BASE for Vite.
Here a Jupyter server runs that config (its ports moved to free ones) under the base URL
a hub gives a learner called ada, and headless Chromium signs in through it:

- lesson 13's solution in Vite's dev server: the page, its modules and its API calls under
  the prefix, the refresh cookie scoped to the prefixed auth routes, a reload that keeps
  the session;
- lesson 14's solution as its build, made with `--base` for the hub's address and served by
  the app itself under `--root-path`, as the site's hub guide says to run it.
"""

from __future__ import annotations

import contextlib
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shiplings import npm, services, tools
from shiplings.manifest import load_course
from shiplings.net import free_port
from shiplings.overlays import snapshot_tree, write_tree
from shiplings.testing import run_alembic

ROOT = Path(__file__).resolve().parents[1]
SERVER_CONFIG = ROOT / "binder" / "jupyter_server_config.py"
HUB_PREFIX = "/user/ada/"  # JUPYTERHUB_SERVICE_PREFIX of a learner called ada
TOKEN = secrets.token_hex(16)
PASSWORD = "correct horse battery staple"

pytestmark = pytest.mark.skipif(tools.find("node") is None, reason="Node is not installed (`shiplings doctor`)")


def lesson_files(lesson: str, folder: Path) -> Path:
    """snapshot(lesson) in `folder`, its migrations applied to folder/tasks.db (app_env() names it)."""
    course = load_course(ROOT)
    write_tree(snapshot_tree(course, course.lesson(lesson), ROOT), folder)
    url = f"sqlite+aiosqlite:///{folder / 'tasks.db'}"
    migrated = run_alembic("upgrade", "head", database_url=url, folder=folder, timeout=120)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    return folder


def app_env(folder: Path) -> dict[str, str]:
    return {
        "TASKS_DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'tasks.db'}",
        "TASKS_SECRET_KEY": secrets.token_hex(32),
        "TASKS_ENVIRONMENT": "development",
    }


@contextlib.contextmanager
def jupyter(tmp_path: Path, vite_port: int, app_port: int) -> Iterator[str]:
    """A Jupyter server with binder's config, its proxy entries on the given ports; its URL (with the hub prefix)."""
    config = tmp_path / "jupyter_server_config.py"
    config.write_text(
        f"exec(compile(open({str(SERVER_CONFIG)!r}).read(), {str(SERVER_CONFIG)!r}, 'exec'))\n"
        f"c.ServerProxy.servers['vite']['port'] = {vite_port}\n"
        f"c.ServerProxy.servers['vite']['request_headers_override'] = {{'Host': 'localhost:{vite_port}'}}\n"
        f"c.ServerProxy.servers['tasks-app']['port'] = {app_port}\n"
    )
    workspace = tmp_path / "lab"
    (workspace / "notebooks").mkdir(parents=True)
    command = [sys.executable, "-m", "jupyter_server", f"--config={config}", "--no-browser", "--allow-root",
               "--ip=127.0.0.1", "--port={port}", f"--ServerApp.base_url={HUB_PREFIX}",  # --allow-root: CI is root
               f"--IdentityProvider.token={TOKEN}"]
    env = {"SHIPLINGS_HOME": str(ROOT), "SHIPLINGS_WORKSPACE": str(workspace),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    with services.app_server(command, cwd=tmp_path, env=env, ready_path=f"{HUB_PREFIX}api/status",
                             timeout=60) as server:
        yield server.url + HUB_PREFIX


def sign_in_and_reload(browser, page_url: str, email: str) -> None:
    """Sign in on the page at page_url, add a task, reload: still signed in, the task still listed."""
    context = browser.new_context()
    context.set_default_timeout(60_000)
    # signed in to the Jupyter server by a cookie, as a hub's browser is: the page's own
    # Authorization header (its bearer token) must reach the app untouched
    context.request.get(f"{page_url.split(HUB_PREFIX)[0]}{HUB_PREFIX}api/status?token={TOKEN}")
    seen: list[str] = []  # what went wrong in the page: its errors, failed and refused requests
    step = "open the page"
    try:
        tab = context.new_page()
        tab.on("pageerror", lambda error: seen.append(f"threw {error}"))
        tab.on("response", lambda answer: answer.status >= 400 and seen.append(f"{answer.status} {answer.url}"))
        tab.goto(page_url, wait_until="domcontentloaded")
        step = "sign in"
        tab.get_by_label("Email").fill(email)
        tab.get_by_label("Password").fill(PASSWORD)
        tab.get_by_role("button", name="Sign in").click()
        step = "add a task"
        tab.get_by_label("New task").fill("Behind the hub's proxy")
        tab.get_by_role("button", name="Add").click()
        tab.locator('[data-test="task"]', has_text="Behind the hub's proxy").wait_for()
        assert tab.url.startswith(page_url), f"the router left the hub's prefix: {tab.url}"
        path = page_url.removeprefix(page_url.split(HUB_PREFIX)[0])
        cookies = {cookie["name"]: cookie["path"] for cookie in context.cookies()}
        assert cookies.get("refresh_token") == f"{path}api/auth", cookies
        step = "keep the session through a reload"
        tab.reload(wait_until="domcontentloaded")
        tab.locator('[data-test="task"]', has_text="Behind the hub's proxy").wait_for()
    except Exception as error:
        raise AssertionError(f"could not {step} at {page_url}: {error}\nthe page showed: "
                             f"{tab.locator('body').inner_text(timeout=2000)!r}\n" + "\n".join(seen)) from None
    finally:
        context.close()
    assert not [line for line in seen if line.startswith("threw")], seen


def register(api: str, email: str) -> None:
    answer = httpx.post(f"{api}/auth/register", json={"email": email, "password": PASSWORD},
                        headers={"Authorization": f"token {TOKEN}"}, timeout=30)
    assert answer.status_code == 201, answer.text


@pytest.mark.timeout(600)  # the first npm install of a lock file on a fresh machine
def test_the_vite_dev_server_works_under_the_hub_s_prefix(tmp_path, browser):
    folder = lesson_files("13", tmp_path / "workspace")
    vite_base = f"{HUB_PREFIX}vite/"  # what binder/start exports as VITE_DEV_BASE
    backend_command = ["uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", "{port}"]
    with services.app_server(backend_command, cwd=folder, env=app_env(folder), ready_path="/health") as backend, \
            npm.vite_dev_server(folder / "frontend", env={"BACKEND_URL": backend.url}, base=vite_base) as vite, \
            jupyter(tmp_path, vite.port, backend.port) as lab:
        page = lab + "vite/"
        headers = {"Authorization": f"token {TOKEN}"}
        # the page, its code and the API, each under the prefix, through the proxy
        assert 'id="app"' in httpx.get(page, headers=headers, timeout=60).text
        module = httpx.get(page + "src/main.ts", headers=headers, timeout=60)
        assert "javascript" in module.headers["content-type"]
        health = httpx.get(page + "api/health", headers=headers, timeout=30)
        assert health.headers["content-type"] == "application/json" and health.json()["status"] == "ok"
        email = f"ada-{secrets.token_hex(4)}@example.com"
        register(page + "api", email)
        sign_in_and_reload(browser, page, email)


@pytest.mark.timeout(600)
def test_the_built_page_works_behind_the_hub_s_proxy_under_the_app(tmp_path, browser):
    folder = lesson_files("14", tmp_path / "workspace")
    frontend = folder / "frontend"
    node = npm.require_node()
    npm.ensure_dependencies(frontend, node)
    app_base = f"{HUB_PREFIX}tasks-app/"
    # as the hub guide says: the page built for the address the proxy gives the app
    vite = frontend / "node_modules" / "vite" / "bin" / "vite.js"
    built = subprocess.run([node.node, str(vite), "build", "--base", app_base], cwd=frontend, env=node.env(),
                           capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert built.returncode == 0, built.stdout + built.stderr
    command = ["uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", "{port}",
               "--root-path", app_base.rstrip("/")]
    env = {**app_env(folder), "TASKS_FRONTEND_DIST": str(frontend / "dist")}
    with services.app_server(command, cwd=folder, env=env, ready_path="/api/health") as app, \
            jupyter(tmp_path, free_port(), app.port) as lab:
        page = lab + "tasks-app/"
        headers = {"Authorization": f"token {TOKEN}"}
        index = httpx.get(page, headers=headers, timeout=30).text
        assert f'src="{app_base}assets/' in index
        email = f"ada-{secrets.token_hex(4)}@example.com"
        register(page + "api", email)
        sign_in_and_reload(browser, page, email)
