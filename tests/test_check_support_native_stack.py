"""checks/support/native_stack.py: lesson 17's stack without a Docker Engine (JupyterHub, Binder).

The helpers that move the compose model to this machine, then the real lesson: its checks run
natively on the solution (what the native stack can show passes, what only containers show
"cannot run", nothing fails) and on a mistake only the running proxy shows (it fails).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from shiplings.manifest import load_course
from shiplings.overlays import snapshot_tree, write_tree
from shiplings.runner import run_lessons

REPO = Path(__file__).resolve().parents[1]
CHECKS = REPO / "checks"
PORTS = {"db": 41001, "redis": 41002, "backend": 41003, "frontend": 41004, "proxy": 41005}


@pytest.fixture
def native(monkeypatch):
    monkeypatch.syspath_prepend(str(CHECKS))
    import support.native_stack

    yield support.native_stack
    for name in [name for name in sys.modules if name == "support" or name.startswith("support.")]:
        del sys.modules[name]


def test_service_addresses_move_to_loopback(native):
    pointed = native.pointed
    assert pointed("postgresql://tasks:pw@db:5432/tasks", PORTS) == "postgresql://tasks:pw@127.0.0.1:41001/tasks"
    assert pointed("redis://redis:6379/0", PORTS) == "redis://127.0.0.1:41002/0"
    conf = "set $backend http://backend:8000;\nproxy_pass http://frontend;\nproxy_pass http://frontend/;"
    assert pointed(conf, PORTS) == ("set $backend http://127.0.0.1:41003;\nproxy_pass http://127.0.0.1:41004;\n"
                                    "proxy_pass http://127.0.0.1:41004/;")
    # names inside other names, other ports and the scheme stay as they are
    assert pointed("mybackend:8000 backend:80001 redis://cache:6379 db-backup:5432", PORTS) == \
        "mybackend:8000 backend:80001 redis://cache:6379 db-backup:5432"
    command = ["gunicorn", "--forwarded-allow-ips", "172.30.17.10"]
    assert [pointed(part, PORTS, "172.30.17.10") for part in command][-1] == native.PROXY_ADDRESS
    assert pointed("172.30.17.100", PORTS, "172.30.17.10") == "172.30.17.100"


def test_the_command_comes_from_compose_or_the_dockerfile(native, tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text('FROM python:3.11-slim\nCMD ["uvicorn", "app.main:app"]\n'
                          'HEALTHCHECK --interval=5s \\\n    CMD ["python", "-c", "pass"]\nCMD ["gunicorn", \\\n'
                          '     "--config", "gunicorn.conf.py"]\n')
    assert native.dockerfile_command(dockerfile) == ["gunicorn", "--config", "gunicorn.conf.py"]
    dockerfile.write_text("FROM python:3.11-slim\nCMD gunicorn --config gunicorn.conf.py\n")
    assert native.dockerfile_command(dockerfile) == ["/bin/sh", "-c", "gunicorn --config gunicorn.conf.py"]
    assert native.dockerfile_command(tmp_path / "none") == []
    assert native.bound_to(["gunicorn", "-c", "g.py"], 9000) == ["gunicorn", "-c", "g.py", "--bind", "127.0.0.1:9000"]
    assert native.bound_to(["uvicorn", "app.main:app"], 9000)[-4:] == ["--host", "127.0.0.1", "--port", "9000"]
    assert native.bound_to(["sh", "-c", "exec gunicorn"], 9000) == ["sh", "-c", "exec gunicorn"]


def test_what_runs_natively_and_in_which_environment(native, monkeypatch):
    model = {"services": {"db": {}, "backend": {}, "prometheus": {"profiles": ["monitoring"]}, "mailer": {}}}
    kept, left = native.runnable_model(model)
    assert list(kept["services"]) == ["db", "backend"] and left == ["mailer"]
    monkeypatch.setenv("TASKS_SECRET_KEY", "the-learners-own")
    monkeypatch.setenv("WEB_CONCURRENCY", "8")
    env = native.environment({"environment": {"TASKS_DATABASE_URL": "postgresql://t:p@db:5432/t"}}, PORTS, None)
    assert env["TASKS_SECRET_KEY"] is None and env["WEB_CONCURRENCY"] is None  # the host's never leak in
    assert env["TASKS_DATABASE_URL"] == "postgresql://t:p@127.0.0.1:41001/t"
    assert env["PATH"].startswith(str(Path(sys.executable).parent))
    monkeypatch.setenv(native.NATIVE_VARIABLE, "native")
    assert "SHIPLINGS_STACK=native" in native.forced_reason()
    monkeypatch.delenv(native.NATIVE_VARIABLE)
    assert native.forced_reason() is None


def test_a_container_only_property_cannot_run_and_never_passes(native):
    from shiplings.pytest_plugin import missing_tool

    error = native.ContainerOnly("that the restart policy brings it back", "the docker command is not installed")
    assert missing_tool(error) is error  # the report's "cannot run", not a failure and not a pass
    assert str(error).startswith("cannot run here: that the restart policy brings it back shows only on a Docker")
    assert "the docker command is not installed" in str(error)


def test_without_loopback_aliases_the_native_stack_cannot_run_and_says_how_to_add_them(native):
    from shiplings.pytest_plugin import missing_tool

    assert native.missing_loopback_aliases() == []  # Linux: every address of 127.0.0.0/8
    assert native.missing_loopback_aliases(("127.0.0.1", "192.0.2.1")) == ["192.0.2.1"]  # TEST-NET: never here
    error = native.NoLoopbackAliases(["127.0.0.2", "127.0.0.3"], "the docker command is not installed")
    assert missing_tool(error) is error
    assert "sudo ifconfig lo0 alias 127.0.0.2 up && sudo ifconfig lo0 alias 127.0.0.3 up" in str(error)


def snapshot(course, lesson, tmp_path: Path) -> Path:
    """The lesson's solution as a learner's workspace (what `shiplings dev snapshot` writes)."""
    workspace = tmp_path / "workspace"
    write_tree(snapshot_tree(course, lesson, REPO), workspace)
    return workspace


class Run:
    """What the stack fixture asks of pytest's request: the run's engine, or why there is none."""

    def __init__(self, engine_or_error):
        self.engine_or_error = engine_or_error

    def getfixturevalue(self, name):
        assert name == "docker_engine"
        if isinstance(self.engine_or_error, Exception):
            raise self.engine_or_error
        return self.engine_or_error


def test_the_stack_runs_natively_where_no_engine_answers_or_when_asked(native, monkeypatch):
    from shiplings.containers import EngineUnavailable
    from support.compose_stack import no_engine

    monkeypatch.delenv(native.NATIVE_VARIABLE, raising=False)
    assert no_engine(Run(EngineUnavailable("the docker command is not installed"))) == \
        "the docker command is not installed"
    assert no_engine(Run(object())) is None
    monkeypatch.setenv(native.NATIVE_VARIABLE, "native")
    assert "SHIPLINGS_STACK=native" in no_engine(Run(object()))


@pytest.mark.timeout(900)
def test_lesson_17_runs_natively_where_there_is_no_engine(tmp_path, monkeypatch):
    course = load_course(REPO)
    lesson = course.lesson("17_compose")
    workspace = snapshot(course, lesson, tmp_path)
    monkeypatch.setenv("SHIPLINGS_STACK", "native")

    solution = run_lessons(course, REPO, [lesson], workspace, at=lesson)[0]
    outcomes = {check.test.rsplit("::", 1)[-1]: check for check in solution.checks}
    assert not solution.problem, solution.problem
    assert not solution.passed  # what it could not prove keeps the lesson open
    proven = {"test_critical_path_through_the_proxy_in_a_browser", "test_proxy_sets_headers_limits_and_timeouts",
              "test_backend_trusts_forwarded_headers_from_the_proxy_only", "test_compose_file_is_valid"}
    container_only = {"test_stack_comes_up_healthy", "test_database_and_redis_unreachable_from_the_host",
                      "test_backend_crash_is_survived", "test_data_survives_down_and_up"}
    for name in proven:
        assert outcomes[name].outcome == "passed", (name, outcomes[name].message)
    for name in container_only:
        assert outcomes[name].outcome == "unavailable", (name, outcomes[name].outcome, outcomes[name].message)
        assert "shows only on a Docker Engine" in outcomes[name].message
    assert not [name for name, check in outcomes.items() if check.outcome not in ("passed", "unavailable")]

    # mistakes only the running stack shows are caught natively: nginx's bare 502 page, a backend
    # that believes X-Forwarded-For from anyone
    conf = workspace / "proxy" / "nginx.conf"
    conf.write_text(conf.read_text().replace("error_page 502 503 504 = @backend_down;", ""))
    compose_file = workspace / "compose.yaml"
    compose_file.write_text(compose_file.read_text().replace('"--forwarded-allow-ips", "172.30.17.10"',
                                                             '"--forwarded-allow-ips", "*"'))
    wrong = run_lessons(course, REPO, [lesson], workspace, at=lesson, only={lesson.id: {
        "test_backend_crash_is_survived", "test_backend_trusts_forwarded_headers_from_the_proxy_only"}})[0]
    outcomes = {check.test.rsplit("::", 1)[-1]: check for check in wrong.checks}
    crash = outcomes["test_backend_crash_is_survived"]
    assert crash.outcome == "failed" and "nginx's bare error page" in crash.message, crash.message
    trusted = outcomes["test_backend_trusts_forwarded_headers_from_the_proxy_only"]
    assert trusted.outcome == "failed" and "believes that header from anyone" in trusted.message, trusted.message


@pytest.mark.timeout(900)
def test_lesson_18_holds_the_objective_natively_and_leaves_prometheus_to_an_engine(tmp_path, monkeypatch):
    course = load_course(REPO)
    lesson = course.lesson("18_deploy")
    workspace = snapshot(course, lesson, tmp_path)
    monkeypatch.setenv("SHIPLINGS_STACK", "native")
    objective = "test_objective_holds_under_load_and_prometheus_saw_it"

    def run() -> dict:
        result = run_lessons(course, REPO, [lesson], workspace, at=lesson, only={lesson.id: {
            objective, "test_backup_restores_the_tasks"}})[0]
        assert not result.problem, result.problem
        return {check.test.rsplit("::", 1)[-1]: check for check in result.checks}

    solution = run()
    # the load through the native proxy held, and the backend's own /metrics counted every request
    assert solution[objective].outcome == "unavailable", solution[objective].message
    assert "Prometheus, in its container, counted the same requests" in solution[objective].message
    # the learner's scripts drive `docker compose`: not run at all without an engine
    assert solution["test_backup_restores_the_tasks"].outcome == "unavailable"
    assert "What this check could read without one passed" in solution["test_backup_restores_the_tasks"].message

    # the lesson's mutant: a limit_req in the proxy below the load test's rate
    conf = workspace / "proxy" / "nginx.conf"
    text = conf.read_text().replace("server_tokens off;", "server_tokens off;\n"
                                    "limit_req_zone $binary_remote_addr zone=api:1m rate=5r/s;", 1)
    rewrite = "        rewrite ^/api/(.*)$ /$1 break;\n"
    conf.write_text(text.replace(rewrite, "        limit_req zone=api burst=5 nodelay;\n" + rewrite, 1))
    limited = run()[objective]
    assert limited.outcome == "failed" and "failed" in limited.message, limited.message
