"""`shiplings up`: the finished product, from the root's docker-compose.yml."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from shiplings import containers
from shiplings.cli import build
from shiplings.commands import up
from shiplings.manifest import load_course
from shiplings.overlays import snapshot_tree

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


def test_the_root_compose_file_is_the_last_lessons():
    course = load_course(REPO)
    last = course.lessons[-1]
    shipped = snapshot_tree(course, last, REPO).get("compose.yaml")
    assert shipped is not None, f"snapshot({last.number}) has no compose.yaml: what would `shiplings up` run?"
    assert (REPO / up.COMPOSE_FILE).read_text() == shipped.read_text(), (
        f"{up.COMPOSE_FILE} at the root must be snapshot({last.number})'s compose.yaml, byte for byte: "
        f"copy {shipped.relative_to(REPO)} over it"
    )


def test_lay_out_writes_the_last_solution_keeps_the_secrets_and_drops_stale_files(tmp_path):
    course = load_course(REPO)
    folder = tmp_path / "product"
    up.lay_out(course, REPO, folder)
    tree = snapshot_tree(course, course.lessons[-1], REPO)
    assert (folder / "compose.yaml").read_text() == tree["compose.yaml"].read_text()
    assert (folder / "app" / "main.py").is_file()
    up.ensure_env(folder)
    account = up.first_sign_in(folder)
    secrets_before = (folder / ".env").read_text()
    (folder / "app" / "left_from_an_older_course.py").write_text("x = 1\n")
    (folder / "old" / "deep").mkdir(parents=True)
    (folder / "old" / "deep" / "file.txt").write_text("old\n")
    (folder / "compose.yaml").write_text("edited by hand\n")
    (folder / "backups").mkdir(exist_ok=True)
    (folder / "backups" / "tasks-20261204-120000.dump").write_bytes(b"PGDMP...")

    up.lay_out(course, REPO, folder)
    up.ensure_env(folder)
    assert not (folder / "app" / "left_from_an_older_course.py").exists() and not (folder / "old").exists()
    assert (folder / "backups" / "tasks-20261204-120000.dump").read_bytes() == b"PGDMP...", "a dump is data"
    assert (folder / "compose.yaml").read_text() == tree["compose.yaml"].read_text()
    assert (folder / ".env").read_text() == secrets_before, "the database volume knows the first password"
    assert up.first_sign_in(folder) == account


def test_the_env_gets_a_secret_for_every_variable_of_the_example_and_only_its_owner_reads_it(tmp_path):
    (tmp_path / ".env.example").write_text("# the password\nPOSTGRES_PASSWORD=change-me\n"
                                           "export TASKS_SECRET_KEY=change-me\n")
    up.ensure_env(tmp_path)
    values = dict(line.split("=", 1) for line in (tmp_path / ".env").read_text().splitlines())
    assert set(values) == {"POSTGRES_PASSWORD", "TASKS_SECRET_KEY"}
    assert all(re.fullmatch(r"[0-9a-f]{40}", value) for value in values.values())
    assert values["POSTGRES_PASSWORD"] != values["TASKS_SECRET_KEY"]
    assert (tmp_path / ".env").stat().st_mode & 0o077 == 0


def test_a_broken_sign_in_file_gets_a_new_account(tmp_path):
    (tmp_path / up.SIGN_IN_FILE).write_text("{not json")
    account = up.first_sign_in(tmp_path)
    assert account["email"] and len(account["password"]) >= 12
    assert json.loads((tmp_path / up.SIGN_IN_FILE).read_text()) == account


def test_the_published_port_moves_to_loopback_on_the_chosen_port(tmp_path):
    services = {"proxy": {"ports": [{"target": 80, "published": "8080"}]}, "backend": {}}
    override = up.publish_on(tmp_path, services, 18080)
    assert override.read_text() == 'services:\n  proxy:\n    ports: !override\n      - "127.0.0.1:18080:80"\n'


def test_a_port_in_use_is_refused_before_anything_starts(tmp_path, monkeypatch):
    monkeypatch.setenv("SHIPLINGS_HOME", str(REPO))
    monkeypatch.setenv("SHIPLINGS_STATE", str(tmp_path / "state"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(build("up"), ["up", "--port", str(port)])
    assert result.exit_code == 2
    assert f"Port {port}" in result.output and f"--port {port + 1}" in result.output
    assert not (tmp_path / "state" / "product").exists(), "nothing is laid out for a stack that cannot start"


def test_a_stack_still_holding_the_fixed_subnet_is_named_before_anything_starts(tmp_path, monkeypatch):
    """The root's compose file fixes its subnet; a stack of another folder that runs with it is
    named with the command that stops it, instead of compose's "Pool overlaps"."""
    import contextlib

    monkeypatch.setenv("SHIPLINGS_HOME", str(REPO))
    monkeypatch.setenv("SHIPLINGS_STATE", str(tmp_path / "state"))
    model = {"services": {"proxy": {}}, "networks": {"default": {"ipam": {"config": [{"subnet": "172.30.17.0/24"}]}}}}
    asked = []

    class Engine:
        def docker(self, *args, **options):
            asked.append(args)
            return subprocess.CompletedProcess(args, 0, json.dumps(model), "")

    monkeypatch.setattr(containers, "engine", lambda: contextlib.nullcontext(Engine()))
    monkeypatch.setattr(containers, "release_subnets", lambda engine, subnets, project: [
        containers.Network("lesson17-mine_default", ("172.30.17.0/24",), 6, "lesson17-mine")])
    result = runner.invoke(build("up"), ["up", "--port", "18081"])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "fixed subnet (172.30.17.0/24)" in said and "lesson17-mine_default" in said, said
    assert "docker compose -p lesson17-mine down" in said, said
    assert not any("up" in args for args in asked), "the stack was started anyway"


# --- for real, on a Docker Engine ----------------------------------------------------------

def wait_for_line(process: subprocess.Popen, pattern: str, seconds: float, seen: list[str]) -> re.Match | None:
    """Read the process's output until a line matches (or it ends, or time is up)."""
    found: list[re.Match] = []

    def read() -> None:
        for line in process.stdout:
            seen.append(line)
            if match := re.search(pattern, line):
                found.append(match)
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(seconds)
    return found[0] if found else None


def start_up(port: int, state: Path) -> subprocess.Popen:
    env = {**os.environ, "SHIPLINGS_HOME": str(REPO), "SHIPLINGS_STATE": str(state), "COLUMNS": "300",
           # the course's own image store: its stand-ins and layer cache, not a new one per test
           containers.IMAGE_STORE_VARIABLE: str(containers.image_store())}
    return subprocess.Popen([sys.executable, "-m", "shiplings", "up", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def stop(process: subprocess.Popen) -> int:
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in the learner's terminal goes to the whole group
    try:
        return process.wait(120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


@pytest.mark.timeout(1500)
def test_up_serves_the_finished_app_and_keeps_its_data_across_a_ctrl_c(tmp_path):
    from test_containers import engine_or_skip

    engine_or_skip()
    from shiplings.net import free_port

    port, url, said = free_port(), "", []
    process = start_up(port, tmp_path)
    try:
        up_line = wait_for_line(process, r"Tasks is up.* at (http://\S+?)/? ", up.UP_SECONDS + 300, said)
        assert up_line, f"`shiplings up` never said the app is up:\n{''.join(said)[-3000:]}"
        url = up_line.group(1)
        sign_in = wait_for_line(process, r"sign in as (\S+) with password (\S+) \(made now\)", 10, said)
        assert sign_in, f"no first sign-in printed:\n{''.join(said)[-2000:]}"
        email, password = sign_in.groups()
        page = httpx.get(url + "/", timeout=30)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        token = httpx.post(f"{url}/api/auth/token", data={"username": email, "password": password}, timeout=30)
        assert token.status_code == 200, token.text
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        made = httpx.post(f"{url}/api/tasks", json={"title": "survives a restart"}, headers=bearer, timeout=30)
        assert made.status_code == 201, made.text
    finally:
        code = stop(process)
    assert code == 130, f"Ctrl-C should end `up` with 130, got {code}:\n{''.join(said)[-2000:]}"
    with pytest.raises(httpx.TransportError):
        httpx.get(url + "/", timeout=5)

    said = []
    process = start_up(port, tmp_path)
    try:
        assert wait_for_line(process, r"Tasks is up", up.UP_SECONDS + 300, said), "".join(said)[-3000:]
        assert wait_for_line(process, r"made by an earlier `up`", 10, said), "".join(said)[-2000:]
        token = httpx.post(f"{url}/api/auth/token", data={"username": email, "password": password}, timeout=30)
        assert token.status_code == 200, token.text
        listed = httpx.get(f"{url}/api/tasks", headers={"Authorization": f"Bearer {token.json()['access_token']}"},
                           timeout=30)
        assert [task["title"] for task in listed.json()] == ["survives a restart"]
    finally:
        stop(process)
        with containers.engine() as engine:  # the database volume stays for a learner; not for a test
            project = up.project_name(tmp_path / "product")
            volumes = engine.docker("volume", "ls", "--quiet", "--filter",
                                    f"label=com.docker.compose.project={project}").stdout.split()
            if volumes:
                engine.docker("volume", "rm", *volumes, check=False)
