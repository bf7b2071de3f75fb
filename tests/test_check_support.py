"""checks/support: the helpers several lessons' checks share (the course's own knowledge).

They are proved on the real lessons by `shiplings dev check`; these tests pin down what
each helper promises, on apps and answers made up here.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx
import pytest

CHECKS = Path(__file__).resolve().parents[1] / "checks"


pytestmark = pytest.mark.usefixtures("on_the_checks_path")  # tests/conftest.py


def test_the_envelope_and_what_is_wrong_with_it():
    from support.envelope import envelope_code, envelope_problem, read_envelope

    good = httpx.Response(404, json={"error": {"code": "not_found", "message": "No task 7", "details": None}})
    assert envelope_problem(good) is None
    assert read_envelope(good) == ({"code": "not_found", "message": "No task 7", "details": None}, "")
    assert envelope_code(good) == "not_found"
    no_details = httpx.Response(404, json={"error": {"code": "not_found", "message": "No task 7"}})
    assert "details" in envelope_problem(no_details) and envelope_code(no_details) is None
    assert "one key" in envelope_problem(httpx.Response(404, json={"detail": "Not Found"}))
    assert "not JSON" in envelope_problem(httpx.Response(500, text="Internal Server Error"))
    assert "empty" in envelope_problem(httpx.Response(500))


def test_expect_envelope_says_what_was_asked_answered_and_where_to_look():
    from support.envelope import expect_envelope

    good = httpx.Response(404, json={"error": {"code": "not_found", "message": "No task 7", "details": None}})
    expect_envelope(good, 404, "not_found", "GET /tasks/7", "Look at app/core/errors.py.")
    for wrong, why in ((httpx.Response(500, text="Internal Server Error"), "(the body is not JSON (text/plain"),
                       (good, '404 {"error": {"code": "not_found"')):
        with pytest.raises(AssertionError) as failure:
            expect_envelope(wrong, 410, "gone", "GET /tasks/7", "Look at app/core/errors.py.")
        message = str(failure.value)
        assert message.startswith('GET /tasks/7 should answer 410 with the envelope {"error"')
        assert 'the code "gone"; your app answered' in message and why in message
        assert message.endswith(". Look at app/core/errors.py.")


def test_doubled_prefix_names_the_paths_that_repeat_it():
    from fastapi import APIRouter, FastAPI

    from support.apps import doubled_prefix

    def app_with(path: str) -> FastAPI:
        router = APIRouter(prefix="/tasks")
        router.add_api_route(path, lambda: [], methods=["GET"])
        router.add_api_route(path + "/{task_id}", lambda task_id: {}, methods=["GET"])
        app = FastAPI()
        app.include_router(router)
        return app

    assert doubled_prefix(app_with("")) == ""
    said = doubled_prefix(app_with("/tasks"))
    assert said.startswith("Your app serves /tasks/tasks, /tasks/tasks/{task_id}: the router's prefix says /tasks")
    assert "app/api/routes/tasks.py" in said


def auth_app(users: dict[str, str]):
    from fastapi import FastAPI, Form

    app = FastAPI()

    @app.post("/auth/register")
    async def register(body: dict):
        users.setdefault(body["email"], body["password"])

    @app.post("/auth/token")
    async def token(username: str = Form(), password: str = Form()):
        return {"access_token": f"token-of-{username}", "token_type": "bearer"}

    return app


def test_the_learner_client_signs_in_once_the_app_has_sign_in():
    from fastapi import FastAPI

    from support.accounts import LEARNER_EMAIL, learner_client

    async def authorization(app) -> str | None:
        async with learner_client(app) as http:
            return http.headers.get("Authorization")

    users: dict[str, str] = {}
    assert asyncio.run(authorization(auth_app(users))) == f"Bearer token-of-{LEARNER_EMAIL}"
    assert list(users) == [LEARNER_EMAIL]
    assert asyncio.run(authorization(FastAPI())) is None, "an app without sign-in (lessons 01-06) is used as it is"


def test_a_failed_sign_in_is_the_learners_message():
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse

    from shiplings.testing import make_client
    from support.accounts import sign_up_and_in

    app = FastAPI()

    @app.post("/auth/token")
    async def token():
        return JSONResponse({"detail": "not yet"}, status_code=500)

    async def attempt():
        async with make_client(app) as http:
            await sign_up_and_in(http)

    with pytest.raises(AssertionError, match="POST /auth/token should answer 200"):
        asyncio.run(attempt())


def test_the_fake_holidays_service_answers_like_nager_date():
    from support.upstream import UNKNOWN_COUNTRY, FakeUpstream

    with FakeUpstream() as upstream:
        assert not upstream.reached.is_set()
        holidays = httpx.get(f"{upstream.url}/PublicHolidays/2025/de", timeout=5)
        unknown = httpx.get(f"{upstream.url}/PublicHolidays/2025/{UNKNOWN_COUNTRY}", timeout=5)
        upstream.status = 503
        failing = httpx.get(f"{upstream.url}/PublicHolidays/2025/DE", timeout=5)
        assert upstream.reached.is_set()
        assert upstream.paths == ["/api/v3/PublicHolidays/2025/de", f"/api/v3/PublicHolidays/2025/{UNKNOWN_COUNTRY}",
                                  "/api/v3/PublicHolidays/2025/DE"]
    assert holidays.status_code == 200 and "Fake Upstream Day" in holidays.text
    assert {holiday["countryCode"] for holiday in holidays.json()} == {"DE"}
    assert unknown.status_code == 404 and failing.status_code == 503


def test_the_environment_of_a_checked_app():
    from shiplings.testing import DATABASE_URL_VARIABLE
    from support.apps import RELAXED_RATE_LIMITS, app_environment

    first, second = app_environment("sqlite+aiosqlite:///a.db"), app_environment("sqlite+aiosqlite:///b.db")
    assert first["TASKS_ENVIRONMENT"] == "test" and first[DATABASE_URL_VARIABLE] == "sqlite+aiosqlite:///a.db"
    assert len(first["TASKS_SECRET_KEY"]) >= 32 and first["TASKS_SECRET_KEY"] != second["TASKS_SECRET_KEY"]
    assert RELAXED_RATE_LIMITS.items() <= first.items()


def test_requests_counted_from_metrics():
    from support.metrics import requests_counted

    text = (
        "# HELP http_requests_total Total number of requests.\n"
        "# TYPE http_requests_total counter\n"
        'http_requests_total{handler="/health",method="GET",status="2xx"} 3.0\n'
        'http_requests_total{handler="/health",method="GET",status="5xx"} 1.0\n'
        'http_requests_total{handler="/tasks",method="GET",status="2xx"} 7.0\n'
    )
    assert requests_counted(text, "/health") == 4.0
    assert requests_counted(text, "/nowhere") == 0.0
    assert requests_counted("# nothing counted here\n", "/health") is None


def test_without_chromium_a_browser_check_cannot_run(monkeypatch, tmp_path):
    from shiplings import services
    from support.browser import chromium_path, chromium_server

    monkeypatch.setenv("SHIPLINGS_CHROMIUM", str(tmp_path / "no-chromium-here"))
    for attempt in (chromium_path, lambda: chromium_server().__enter__()):
        with pytest.raises(services.ServiceUnavailable) as missing:
            attempt()
        message = str(missing.value)
        assert message.startswith("cannot run: chromium is not installed")
        assert "shiplings doctor" in message and missing.value.fix in message


def test_one_chromium_serves_pages_through_playwright():
    from shiplings import tools

    if tools.find("chromium") is None:
        pytest.skip(f"Chromium is not installed; {tools.fix_for('chromium')} (or set SHIPLINGS_CHROMIUM).")
    from support.browser import chromium_server, connect

    with chromium_server() as endpoint:
        assert "Browser" in httpx.get(endpoint + "/json/version", timeout=10).json()
        for _ in range(2):  # a module connects, disconnects; the next module finds the same Chromium
            with connect(endpoint) as browser:
                context = browser.new_context()
                page = context.new_page()
                page.set_content("<p id='said'>served</p>")
                assert page.inner_text("#said") == "served"
                context.close()
    with pytest.raises(httpx.HTTPError):  # stopped with the block
        httpx.get(endpoint + "/json/version", timeout=2)


NEEDS_A_BROWSER = '''
def test_page_opens(browser):
    assert browser.new_context().new_page() is not None, "The page should open."
'''


def test_the_browser_fixture_reports_cannot_run_without_chromium(tiny_course, monkeypatch, tmp_path):
    """Through a real check run: the course's `browser` fixture (checks/conftest.py) without Chromium."""
    import shutil

    from shiplings.manifest import load_course
    from shiplings.overlays import snapshot_tree, write_tree
    from shiplings.runner import run_checks

    shutil.copy(CHECKS / "conftest.py", tiny_course / "checks" / "conftest.py")
    shutil.copytree(CHECKS / "support", tiny_course / "checks" / "support",
                    ignore=shutil.ignore_patterns("__pycache__"))
    manifest = tiny_course / "course.toml"
    manifest.write_text(manifest.read_text().replace(
        'hints = ["Return a dict.", "Return {\'message\': \'hello\'}."]\n',
        'hints = ["Return a dict.", "Return {\'message\': \'hello\'}."]\n\n'
        '[[lessons.checks]]\ntest = "test_page_opens"\nname = "The page opens"\nhints = ["Open it."]\n',
    ))
    (tiny_course / "checks" / "01_hello" / "test_page.py").write_text(NEEDS_A_BROWSER)
    course = load_course(tiny_course)
    lesson = course.lesson(1)
    workspace = tiny_course / "workspace"
    write_tree(snapshot_tree(course, lesson, tiny_course), workspace)
    monkeypatch.setenv("SHIPLINGS_CHROMIUM", str(tmp_path / "no-chromium-here"))

    result = run_checks(course, tiny_course, lesson, workspace)

    blocked = next(check for check in result.checks if check.test == "test_page_opens")
    assert blocked.outcome == "unavailable" and blocked.cannot_run and not blocked.passed
    assert blocked.message.startswith("cannot run: chromium is not installed")
    assert "shiplings doctor" in blocked.message and "bug in the course" not in blocked.message


# --- support/docker.py: the container lessons' helpers ----------------------------------

BUILD_OUTPUT = """\
Sending build context to Docker daemon  4.096kB
Step 1/4 : FROM debian:bookworm-slim
 ---> 25224cbf2cff
Step 2/4 : COPY requirements.txt .
 ---> Using cache
 ---> 1b2c3d4e5f60
Step 3/4 : RUN pip install -r requirements.txt
 ---> Using cache
 ---> 2b2c3d4e5f60
Step 4/4 : COPY app ./app
 ---> 3b2c3d4e5f60
Successfully built 3b2c3d4e5f60
"""


def test_docker_build_steps_say_which_came_from_the_cache():
    from support.docker import installs, steps

    found = steps(BUILD_OUTPUT)
    assert found == [("FROM debian:bookworm-slim", False), ("COPY requirements.txt .", True),
                     ("RUN pip install -r requirements.txt", True), ("COPY app ./app", False)]
    assert [step for step, _ in found if installs(step)] == ["RUN pip install -r requirements.txt"]


def test_the_final_base_of_a_dockerfile_follows_its_stages(tmp_path):
    from support.docker import final_base

    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:3.11 AS build\nRUN true\nFROM --platform=linux/amd64 python:3.11-slim AS base\n"
                          "FROM base\nCMD [\"python\"]\n")
    assert final_base(dockerfile) == "python:3.11-slim"
    dockerfile.write_text("FROM python:3.11-slim AS dependencies\nFROM python:3.11\n")
    assert final_base(dockerfile) == "python:3.11"


def test_secrets_in_env_and_arg_are_found_in_the_dockerfile_text(tmp_path):
    from support.docker import secret_instructions

    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:3.11-slim\nENV PYTHONUNBUFFERED=1 \\\n    TASKS_SECRET_KEY=abc\n"
                          "ARG DB_PASSWORD\nENV PATH=/opt/venv/bin:$PATH\nARG VERSION=1\nENV API_TOKEN zz\n")
    assert secret_instructions(dockerfile) == ["ENV TASKS_SECRET_KEY", "ARG DB_PASSWORD", "ENV API_TOKEN"]
    dockerfile.write_text("FROM python:3.11-slim\nENV PYTHONUNBUFFERED=1\n")
    assert secret_instructions(dockerfile) == []


def test_a_build_context_is_a_copy_with_the_ignorable_paths_planted(tmp_path):
    from support.docker import FAKE_SECRET, PLANTED, build_context

    workspace = tmp_path / "workspace"
    (workspace / "app" / "__pycache__").mkdir(parents=True)
    (workspace / "app" / "main.py").write_text("app = None\n")
    (workspace / "app" / "__pycache__" / "main.cpython-311.pyc").write_bytes(b"\0")
    (workspace / ".env").write_text("TASKS_SECRET_KEY=the-learners-real-key\n")
    context = build_context(workspace, tmp_path / "context")
    assert (context / "app" / "main.py").read_text() == "app = None\n"
    assert not (context / "app" / "__pycache__").exists()
    assert FAKE_SECRET in (context / ".env").read_text() and "real-key" not in (context / ".env").read_text()
    assert all((context / name).is_file() for name in PLANTED)
    assert (workspace / ".env").read_text() == "TASKS_SECRET_KEY=the-learners-real-key\n"  # untouched


def engine_or_skip() -> None:
    from shiplings import containers

    if not containers.status()[0]:
        pytest.skip("no Docker Engine here, and none can be started (tests/test_containers.py installs one in CI)")


@pytest.fixture
def docker_engine():
    """Per test: a private engine is one per image store, and a check run below needs it to itself."""
    from shiplings import containers

    engine_or_skip()
    with containers.engine() as engine:
        yield engine


DEPENDENCIES_FIRST = """\
FROM debian:bookworm-slim
WORKDIR /srv
COPY requirements.txt .
RUN cp requirements.txt /installed-requirements
COPY . .
"""
CODE_FIRST = """\
FROM debian:bookworm-slim
WORKDIR /srv
COPY . .
RUN cp requirements.txt /installed-requirements
"""


@pytest.mark.timeout(1800)
def test_the_docker_helpers_on_a_real_engine(docker_engine, tmp_path):
    """Context listing, a secret found in a layer, and an install step that the cache no longer covers."""
    import os

    from support import docker

    context = tmp_path / "context"
    (context / "app").mkdir(parents=True)
    (context / "app" / "main.py").write_text("print('hello')\n")
    (context / "requirements.txt").write_text("fastapi\n")
    (context / ".env").write_text(f"KEY={docker.FAKE_SECRET}\n")
    (context / ".dockerignore").write_text("tests\n")
    (context / "tests").mkdir()
    (context / "Dockerfile").write_text(CODE_FIRST)

    assert docker.context_listing(docker_engine, context) >= {".env", "app/main.py", "requirements.txt"}
    assert not {path for path in docker.context_listing(docker_engine, context) if path.startswith("tests")}

    tag = f"shiplings-test-helpers:{os.getpid()}"
    built = docker.build(docker_engine, context, "The test image", tag)
    try:
        assert built.ok, built.output
        assert docker.files_holding(docker_engine, tag, docker.FAKE_SECRET, "debian:bookworm-slim") == [
            ("srv/.env", "COPY ... in .")]
        (context / "app" / "main.py").write_text("print('hello again')\n")
        rerun, output = docker.install_steps_rerun(docker_engine, context, context / "Dockerfile")
        assert rerun == ["RUN cp requirements.txt /installed-requirements"], output

        (context / "Dockerfile").write_text(DEPENDENCIES_FIRST)
        assert docker.build(docker_engine, context, "The test image", tag).ok
        (context / "app" / "main.py").write_text("print('hello once more')\n")
        rerun, output = docker.install_steps_rerun(docker_engine, context, context / "Dockerfile")
        assert rerun == [] and "Using cache" in output, output
    finally:
        docker_engine.docker("rmi", "--force", tag, check=False)


HOLDS_THE_BACKEND = """
import json, os, pathlib, time

import pytest


@pytest.mark.timeout(1800)
def test_hold(docker_engine, backend):
    inside = int(docker_engine.docker("inspect", "--format", "{{.State.Pid}}", backend.container).stdout)
    pathlib.Path(os.environ["RECORD"]).write_text(json.dumps([docker_engine.pid, inside, backend.answered]))
    time.sleep(600)
"""


@pytest.mark.timeout(1800)
def test_the_lesson_16_container_dies_with_a_check_run_killed_outright(tmp_path):
    """The real fixtures (checks/16_dockerfiles/conftest.py) in a real check run, killed with SIGKILL."""
    import json
    import os
    import shutil
    import signal
    import subprocess
    import time

    from shiplings import containers
    from shiplings.manifest import load_course
    from shiplings.overlays import snapshot_tree, write_tree
    from shiplings.runner import PYTEST_FLAGS

    engine_or_skip()
    if containers.ask_version(containers.learner_host())[0]:
        pytest.skip("the learner's own engine answers: shiplings starts none, and reaps nothing")
    root = CHECKS.parent
    course = load_course(root)
    workspace = tmp_path / "workspace"
    write_tree(snapshot_tree(course, course.lesson(16), root), workspace)
    checks = tmp_path / "checks"
    shutil.copytree(CHECKS, checks, ignore=shutil.ignore_patterns("__pycache__", "[0-9][0-9]_*"))
    shutil.copytree(CHECKS / "16_dockerfiles", checks / "16_dockerfiles", ignore=shutil.ignore_patterns("test_*"))
    (checks / "16_dockerfiles" / "test_hold.py").write_text(HOLDS_THE_BACKEND)
    record, log = tmp_path / "record.json", tmp_path / "run.log"
    env = {**os.environ, "SHIPLINGS_WORKSPACE": str(workspace), "RECORD": str(record)}
    run = subprocess.Popen([sys.executable, "-m", "pytest", *PYTEST_FLAGS, f"-c={checks / 'pytest.ini'}",
                            f"--rootdir={checks}", str(checks / "16_dockerfiles")], cwd=checks, env=env,
                           stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 1700
        while not record.exists() and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert record.exists(), f"the check run did not reach its container:\n{log.read_text()[-3000:]}"
        dockerd, inside, answered = json.loads(record.read_text())
        assert answered and _alive(dockerd) and _alive(inside)
        run.send_signal(signal.SIGKILL)
        deadline = time.monotonic() + 15
        while (_alive(dockerd) or _alive(inside)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(inside), "the backend container outlived the check run that started it"
        assert not _alive(dockerd), "the private engine outlived the check run that started it"
    finally:
        run.kill()
        run.wait()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False
