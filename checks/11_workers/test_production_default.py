"""Lesson 11: a plain `gunicorn` runs the app as production, whatever anybody forgot to set.

Run with neither TASKS_ENVIRONMENT nor TASKS_SECRET_KEY, the server must refuse to start,
saying which setting is missing; started in development instead, every worker would invent
a signing key of its own, and a token signed by one worker would be refused by the others.
"""

import httpx
import pytest

from shiplings import services

CONFIG = "gunicorn.conf.py"
COMMAND = ["gunicorn", "-c", CONFIG, "--bind", "127.0.0.1:{port}", "app.main:app"]


def tokens_across_workers(url: str, attempts: int = 12) -> list[int]:
    """Sign up, sign in, then ask GET /users/me with the token on fresh connections."""
    email, password = "plain-gunicorn@example.com", "correct horse battery staple"
    httpx.post(url + "/auth/register", json={"email": email, "password": password}, timeout=30)
    token = httpx.post(url + "/auth/token", data={"username": email, "password": password}, timeout=30)
    if token.status_code != 200:
        return [token.status_code]
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    # a new connection each time, so the requests spread over the workers
    return [httpx.get(url + "/users/me", headers=headers, timeout=30).status_code for _ in range(attempts)]


@pytest.mark.timeout(120)
def test_plain_gunicorn_runs_as_production(app_env, workspace, tmp_path):
    env = {
        "TASKS_ENVIRONMENT": None,  # nobody remembered it
        "TASKS_SECRET_KEY": None,
        "WEB_CONCURRENCY": "2",
        "XDG_RUNTIME_DIR": str(tmp_path),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    started = services.app_server(COMMAND, cwd=workspace, env=env, ready_path="/health", timeout=40)
    try:
        server = started.__enter__()
    except services.AppStopped as refused:  # it stopped before it answered: what production must do
        # each worker prints its traceback: the reason is in the first one, not at the end
        printed = refused.output
        assert "TASKS_SECRET_KEY" in printed, (
            f"With no TASKS_ENVIRONMENT and no TASKS_SECRET_KEY, `gunicorn -c {CONFIG} app.main:app` "
            "stopped, which is right, but what it printed does not name TASKS_SECRET_KEY, the "
            f"setting an operator has to add:\n{printed[-1500:]}"
        )
        return
    try:
        statuses = tokens_across_workers(server.url)
    finally:
        started.__exit__(None, None, None)
    raise AssertionError(
        f"With no TASKS_ENVIRONMENT and no TASKS_SECRET_KEY in the environment, `gunicorn -c {CONFIG} "
        "app.main:app` started the app in development mode, where each worker invents its own signing "
        f"key: GET /users/me with one token answered {statuses} across 2 workers. gunicorn is how "
        "production runs, so a plain `gunicorn` should run the app as production, which refuses to "
        f"start without a strong TASKS_SECRET_KEY. In {CONFIG}, set TASKS_ENVIRONMENT to production "
        "unless it is already set."
    )
