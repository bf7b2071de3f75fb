"""shiplings.containers and shiplings.standins: a real Docker Engine, Compose v2, hadolint, stand-ins.

On Debian as root (CI) the engine tests install docker.io when no engine answers, as
`shiplings dev test` does for the servers lessons declare, and must pass; elsewhere
without an engine they are skipped (the "cannot run" test still runs everywhere).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from shiplings import containers, paths, standins, tools
from shiplings.pytest_plugin import missing_tool

# building a stand-in from scratch runs debootstrap: a minute on a quiet machine, minutes under load
BUILD_TIMEOUT = 1800

VALID_COMPOSE = """\
services:
  web:
    image: python:3.11-slim
    ports: ["127.0.0.1:8000:8000"]
"""
# `depends_on` names a service that does not exist: Compose v2 refuses the file
BROKEN_COMPOSE = VALID_COMPOSE + """\
    depends_on:
      db:
        condition: service_healthy
"""


def engine_or_skip() -> None:
    """Where CI runs (Debian, root), get an engine installed; elsewhere, skip without one."""
    if containers.status()[0]:
        return
    if tools.platform_name() == "debian" and tools.is_root():
        from shiplings.commands.doctor import install_missing

        install_missing({"docker"})
        assert containers.status()[0], "docker.io was installed, yet no engine can be had"
        return
    pytest.skip("no Docker Engine here, and none can be started")


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def gone_within(pids: list[int], seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.1)
    return [pid for pid in pids if alive(pid)]


# --- no engine needed --------------------------------------------------------------------

def test_a_container_owner_is_gone_only_when_its_process_on_this_machine_ended():
    assert not containers.owner_is_gone(containers.owner())
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    host = containers.owner().rpartition(":")[0]
    assert containers.owner_is_gone(f"{host}:{ended.pid}")
    assert not containers.owner_is_gone(f"another-laptop:{ended.pid}"), "another machine's run is not ours to judge"
    assert not containers.owner_is_gone("garbage")


def test_compose_config_rejects_a_broken_file_with_a_real_exit_code(tmp_path):
    good, broken = tmp_path / "good.yml", tmp_path / "broken.yml"
    good.write_text(VALID_COMPOSE)
    broken.write_text(BROKEN_COMPOSE)
    assert containers.compose_config_check(good).returncode == 0
    refused = containers.compose_config_check(broken)
    assert refused.returncode != 0 and "db" in refused.stderr, refused
    # the same through `docker compose`, the CLI plugin linked in the private DOCKER_CONFIG
    through_docker = subprocess.run(["docker", "compose", "-f", str(broken), "config", "-q"],
                                    env=containers.client_env(), capture_output=True, text=True, timeout=60)
    assert through_docker.returncode != 0 and "db" in through_docker.stderr, through_docker


def test_hadolint_flags_a_bad_dockerfile_and_passes_a_good_one(tmp_path):
    bad, good = tmp_path / "bad.Dockerfile", tmp_path / "good.Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get update && apt-get install -y curl\nCMD python app.py\n")
    good.write_text('FROM python:3.11-slim\nCOPY app.py /app/\nUSER 1000\nCMD ["python", "/app/app.py"]\n')
    flagged = containers.hadolint(bad)
    assert flagged.returncode == 1 and "DL3007" in flagged.stdout, flagged  # the `latest` tag
    assert containers.hadolint(good).returncode == 0


def test_without_an_engine_a_check_cannot_run_and_is_told_the_fix(tmp_path, monkeypatch):
    client_only = tmp_path / "bin"
    client_only.mkdir()
    client = subprocess.run(["sh", "-c", "command -v docker"], capture_output=True, text=True).stdout.strip()
    if client:
        (client_only / "docker").symlink_to(client)  # the client, but no dockerd and no engine
    monkeypatch.setenv("PATH", str(client_only))
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/nothing-listens-here.sock")
    with pytest.raises(containers.EngineUnavailable) as raised, containers.engine():
        pass
    message = str(raised.value)
    assert message.startswith("cannot run:") and "says nothing about your code" in message
    assert tools.fix_for("docker") in message
    assert missing_tool(raised.value) is raised.value  # reported as "cannot run", never as a failure


def test_doctor_names_the_engine_fix_for_each_platform(tiny_course, tmp_path, monkeypatch):
    monkeypatch.setattr(tools, "is_root", lambda: False)
    debian = tools.fix_for("docker", "debian")
    assert "usermod -aG docker" in debian and "docker group" in debian and "rootless" in debian
    assert "Docker Desktop" in tools.fix_for("docker", "macos") and "colima" in tools.fix_for("docker", "macos")
    assert "WSL integration" in tools.fix_for("docker", "wsl")
    assert "WSL" in tools.fix_for("docker", "windows")
    assert tools.fix_for("docker", "debian", sudo=False).startswith("apt-get install -y docker.io")
    # a hub's server: nothing to install, and where the container lessons can run instead
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/ada/")
    assert tools.platform_name() == "hub"
    hub = tools.fix_for("docker")
    assert "Lessons 17 and 18 run your stack" in hub and "a machine with Docker" in hub
    assert "apt-get" not in tools.fix_for("docker") and "binder/apt.txt" in tools.fix_for("nginx")
    monkeypatch.delenv("JUPYTERHUB_SERVICE_PREFIX")
    monkeypatch.setenv("PATH", str(tmp_path))  # no docker, no dockerd
    from shiplings.cli import app

    result = CliRunner().invoke(app, ["doctor", "--json"])
    docker = {f["what"]: f for f in json.loads(result.output)}["docker"]
    assert not docker["ok"] and docker["fix"] == tools.fix_for("docker"), docker


def test_a_recipe_change_rebuilds_that_stand_in_and_what_derives_from_it(monkeypatch):
    before = {name: standins.recipe_hash(name) for name in standins.RECIPES}
    python = standins.RECIPES["python"]
    changed = standins.Recipe(python.name, python.tags, python.parent, python.dockerfile + "ENV CHANGED=1\n")
    monkeypatch.setitem(standins.RECIPES, "python", changed)
    after = {name: standins.recipe_hash(name) for name in standins.RECIPES}
    assert {name for name in before if before[name] != after[name]} == {"python", "node"}


def test_the_base_images_of_a_dockerfile_are_its_from_lines_but_its_own_stages(tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(textwrap.dedent("""\
        FROM --platform=linux/amd64 node:22-slim AS build
        RUN npm ci
        from python:3.11-slim as backend
        FROM build AS again
        FROM scratch
        FROM nginx:1.27
    """))
    assert standins.base_images(dockerfile) == ["node:22-slim", "python:3.11-slim", "nginx:1.27"]


def test_the_debian_mirror_is_the_one_apt_uses(tmp_path):
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n\n"
        "Types: deb\nURIs: http://mirror.example/debian/\nSuites: bookworm\n")
    assert standins.debian_mirror((tmp_path / "sources.list.d",)) == "http://mirror.example/debian"
    (tmp_path / "sources.list").write_text("deb [arch=amd64] http://old.example/debian bookworm main\n")
    assert standins.debian_mirror((tmp_path / "sources.list",)) == "http://old.example/debian"
    assert standins.debian_mirror((tmp_path / "missing",)) == standins.DEFAULT_MIRROR


# --- a real engine -------------------------------------------------------------------------

@pytest.mark.timeout(BUILD_TIMEOUT)
def test_a_private_engine_and_its_containers_die_with_an_owner_killed_outright(tmp_path):
    """Runs before the module's engine: a private engine is one per image store."""
    engine_or_skip()
    if containers.ask_version(containers.learner_host())[0]:
        pytest.skip("the learner's own engine answers: shiplings starts none")
    record, log = tmp_path / "pids.json", tmp_path / "owner.log"
    owner = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import json, pathlib, time
        from shiplings import containers, standins
        with containers.engine() as engine:
            standins.ensure(engine, "debian:bookworm-slim")
            container = engine.docker("run", "-d", "--rm", "debian:bookworm-slim", "sleep", "300").stdout.strip()
            inside = int(engine.docker("inspect", "--format", "{{{{.State.Pid}}}}", container).stdout)
            pathlib.Path("{record}").write_text(json.dumps([engine.pid, inside, engine.host]))
            time.sleep(600)
    """)], stderr=log.open("w"))
    try:
        deadline = time.monotonic() + BUILD_TIMEOUT - 60
        while not record.exists() and owner.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert record.exists(), f"the engine did not start:\n{log.read_text()[-3000:]}"
        dockerd, container, host = json.loads(record.read_text())
        assert alive(dockerd) and alive(container)
        owner.kill()
        survivors = gone_within([dockerd, container], 15)
        assert not survivors, f"still running after the owner was killed: {survivors}"
        scratch = os.path.dirname(host.removeprefix("unix://"))
        store = str((paths.state_dir() / "docker" / "data").resolve())

        def left_mounted() -> list[str]:
            points = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
            return [point for point in points if point.startswith((scratch + "/", store))]

        deadline = time.monotonic() + 10
        while left_mounted() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not left_mounted(), "the killed engine left mounts behind"
    finally:
        owner.kill()
        owner.wait()


@pytest.mark.timeout(BUILD_TIMEOUT)
def test_a_killed_runs_containers_and_volumes_are_gone_when_the_next_private_engine_starts(tmp_path):
    """dockerd starts containers with a restart policy again when it starts: a compose stack of
    a run that was killed outright must not come back to life in the next run's engine."""
    engine_or_skip()
    if containers.ask_version(containers.learner_host())[0]:
        pytest.skip("the learner's own engine answers: shiplings starts none")
    record, log = tmp_path / "container", tmp_path / "owner.log"
    kept = f"shiplings-test-kept-{os.getpid()}"
    owner = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import pathlib, time
        from shiplings import containers, standins
        with containers.engine() as engine:
            standins.ensure(engine, "debian:bookworm-slim")
            # an anonymous volume its container no longer uses, as `compose down` leaves them
            used = engine.docker("create", "--volume", "/data", "debian:bookworm-slim", "true").stdout.strip()
            volume = engine.docker("inspect", "--format", "{{{{(index .Mounts 0).Name}}}}", used).stdout.strip()
            engine.docker("rm", used)
            engine.docker("volume", "create", "{kept}")  # a named one, such as a database's, stays
            # a stack's network with a fixed subnet, as lesson 17's compose file makes one
            engine.docker("network", "create", "--subnet", "172.30.251.0/24", "{kept}-net")
            container = engine.docker("run", "-d", "--restart", "unless-stopped", "--network", "{kept}-net",
                                      "debian:bookworm-slim", "sleep", "300").stdout.strip()
            pathlib.Path("{record}").write_text(container + " " + volume)
            time.sleep(600)
    """)], stderr=log.open("w"))
    try:
        deadline = time.monotonic() + BUILD_TIMEOUT - 120
        while not record.exists() and owner.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert record.exists(), f"the engine did not start:\n{log.read_text()[-3000:]}"
    finally:
        owner.kill()
        owner.wait()
    container, volume = record.read_text().split()
    with containers.engine() as engine:
        left = engine.docker("ps", "--all", "--quiet", "--no-trunc").stdout.split()
        volumes = engine.docker("volume", "ls", "--quiet").stdout.split()
        engine.docker("volume", "rm", kept, check=False)
        networks = [network.name for network in containers.networks(engine)]
        engine.docker("network", "rm", f"{kept}-net", check=False)
    assert container not in left, "a killed run's container came back with the next engine"
    assert f"{kept}-net" not in networks, (
        "a killed run's network is still there: its fixed subnet would make the next stack's `up` fail")
    assert volume not in volumes, "a killed run's unused anonymous volume is still there"
    assert kept in volumes, "a named volume (a learner's database) was removed with the anonymous ones"


@pytest.mark.timeout(BUILD_TIMEOUT)
def test_the_next_run_of_a_private_engine_builds_a_multi_stage_image_from_cache(tmp_path):
    """The untagged first stage is the next run's cache: an engine that pruned it at its end
    made every check run install the dependencies again. Runs before the module's engine."""
    engine_or_skip()
    if containers.ask_version(containers.learner_host())[0]:
        pytest.skip("the learner's own engine answers: shiplings starts none, nor prunes it")
    (tmp_path / "Dockerfile").write_text(textwrap.dedent(f"""\
        FROM debian:bookworm-slim AS dependencies
        RUN echo "installed for {os.getpid()}-{time.time_ns()}" > /installed
        FROM debian:bookworm-slim
        COPY --from=dependencies /installed /installed
    """))
    image = f"shiplings-test-stages:{os.getpid()}"
    with containers.engine() as engine:
        standins.ensure(engine, "debian:bookworm-slim")
        first = engine.build(tmp_path, image)
        assert first.returncode == 0, first.stderr
        engine.docker("rmi", image)  # the first stage alone remains, untagged
    try:
        with containers.engine() as engine:
            again = engine.build(tmp_path, image)
            assert again.returncode == 0, again.stderr
            said = again.stdout + again.stderr
            run_step = said.split('RUN echo "installed', 1)[1][:400]
            assert "Using cache" in run_step or "CACHED" in run_step, f"the first stage was built again:\n{said}"
    finally:  # the few bytes of the untagged stage go with the store's week-old leftovers
        with containers.engine() as engine:
            engine.docker("rmi", "--force", image, check=False)


@pytest.fixture(scope="module")
def engine():
    engine_or_skip()
    started = time.monotonic()
    with containers.engine() as found:
        print(f"engine {found.version} at {found.host} ready in {time.monotonic() - started:.1f} s")
        yield found
    if found.pid is not None:
        assert not gone_within([found.pid], 5), "the private dockerd outlived its block"


@pytest.mark.timeout(BUILD_TIMEOUT)
def test_an_image_built_from_the_python_stand_in_answers_on_a_published_port(engine, tmp_path):
    (tmp_path / "health").write_text("ok\n")
    (tmp_path / "Dockerfile").write_text(textwrap.dedent("""\
        FROM python:3.11-slim
        WORKDIR /srv
        COPY health .
        USER 1000
        CMD ["python", "-m", "http.server", "8000"]
    """))
    image = f"shiplings-test-http:{os.getpid()}"
    built = engine.build(tmp_path, image, "--quiet")  # makes python:3.11-slim available first
    assert built.returncode == 0, built.stderr
    try:
        with engine.published(image, 8000) as (container, url):
            deadline = time.monotonic() + 30
            while True:
                try:
                    response = httpx.get(f"{url}/health", timeout=2)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            assert response.status_code == 200 and response.text == "ok\n"
            stopped = time.monotonic()
            engine.docker("stop", "--time", "5", container)
            assert time.monotonic() - stopped < 10
        assert container not in engine.docker("ps", "--all", "--quiet", "--no-trunc").stdout
    finally:
        engine.docker("rmi", "--force", image, check=False)


@pytest.mark.timeout(BUILD_TIMEOUT)
def test_a_stand_in_is_built_once_then_found_by_its_recipe_hash(engine):
    standins.ensure(engine, "python:3.11-slim")  # built by now, or built here
    image_id = engine.docker("image", "inspect", "--format", "{{.Id}}", "python:3.11-slim").stdout
    started = time.monotonic()
    assert standins.ensure(engine, "python:3.11-slim") == "present"
    assert time.monotonic() - started < 5
    assert engine.docker("image", "inspect", "--format", "{{.Id}}", "python:3.11-slim").stdout == image_id
    # one python stand-in is kept: those of earlier recipes are removed when a new one is built
    assert len(engine.docker("images", "--quiet", "shiplings/stand-in-python").stdout.split()) <= 1
    labels = json.loads(engine.docker("image", "inspect", "--format", "{{json .Config.Labels}}",
                                      "python:3.11-slim").stdout)
    if labels and standins.RECIPE_LABEL in labels:  # a stand-in (an official image carries no such label)
        assert labels[standins.RECIPE_LABEL] == standins.recipe_hash("python")
        ca = engine.docker("run", "--rm", "python:3.11-slim", "sh", "-c",
                           'test -s "$PIP_CERT" && test "$PIP_CERT" = "$REQUESTS_CA_BUNDLE" && echo ok')
        assert ca.stdout.strip() == "ok"


@pytest.mark.timeout(BUILD_TIMEOUT)
def test_the_nginx_stand_in_looks_an_upstreams_name_up_again_from_a_root_file_system_of_its_own(engine, tmp_path):
    """Lesson 17's proxy keeps a pool of connections to a backend whose address changes (`resolve`: nginx 1.27.3)."""
    standins.ensure(engine, "debian:bookworm-slim")
    standins.ensure(engine, "nginx:1.27")
    conf = tmp_path / "default.conf"
    conf.write_text("resolver 127.0.0.11 valid=5s;\n"
                    "upstream app { zone app 64k; server backend:8000 resolve; keepalive 4; keepalive_timeout 4s; }\n"
                    "server { listen 80; server_tokens off; gzip on; location / { proxy_pass http://app; } }\n")
    conf.chmod(0o644)
    tested = engine.docker("run", "--rm", "--volume", f"{conf}:/etc/nginx/conf.d/default.conf:ro", "nginx:1.27",
                           "nginx", "-t", check=False, timeout=120)
    assert tested.returncode == 0, tested.stderr
    labels = json.loads(engine.docker("image", "inspect", "--format", "{{json .Config.Labels}}", "nginx:1.27").stdout)
    if labels and standins.RECIPE_LABEL in labels:  # our stand-in: its root file system and Debian 12's both stay
        standins.forget_old(engine)
        roots = engine.docker("images", "--format", "{{.Tag}}", "shiplings/debian-rootfs").stdout.split()
        assert {standins.recipe_hash("debian"), standins.recipe_hash("nginx")} <= set(roots), roots


@pytest.mark.timeout(BUILD_TIMEOUT)
def test_on_the_learners_own_engine_the_next_run_removes_what_a_killed_run_left(engine, tmp_path, monkeypatch):
    """The module's engine stands in for the learner's: DOCKER_HOST points a run at it, as Docker Desktop would."""
    standins.ensure(engine, "debian:bookworm-slim")
    record, log = tmp_path / "container", tmp_path / "run.log"
    run = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import pathlib, time
        from shiplings import containers
        with containers.engine() as engine:
            assert engine.pid is None, "the learner's engine, not a private one"
            with engine.published("debian:bookworm-slim", 80, "--entrypoint", "sleep") as (container, url):
                pathlib.Path("{record}").write_text(container)
                time.sleep(600)
    """)], env={**os.environ, "DOCKER_HOST": engine.host}, stderr=log.open("w"))
    try:
        deadline = time.monotonic() + 120
        while not record.exists() and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert record.exists(), f"the run did not start its container:\n{log.read_text()[-3000:]}"
        container = record.read_text()
        run.kill()  # no finalizer runs: the container stays on the engine
        run.wait()
        assert container in engine.docker("ps", "--all", "--quiet", "--no-trunc").stdout
    finally:
        run.kill()
    monkeypatch.setenv("DOCKER_HOST", engine.host)
    with containers.engine():
        pass
    assert container not in engine.docker("ps", "--all", "--quiet", "--no-trunc").stdout, (
        "the next run on the learner's engine should have removed the killed run's container")


def test_docker_compose_runs_as_a_plugin_with_real_exit_codes(engine, tmp_path):
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(BROKEN_COMPOSE)
    refused = engine.compose("-f", str(broken), "config", "-q", check=False)
    assert refused.returncode != 0, refused
    assert "v2." in engine.compose("version").stdout



def test_the_image_store_is_the_state_folders_unless_named(monkeypatch, tmp_path):
    monkeypatch.setenv("SHIPLINGS_STATE", str(tmp_path / "state"))
    monkeypatch.delenv(containers.IMAGE_STORE_VARIABLE, raising=False)
    assert containers.image_store() == tmp_path / "state" / "docker" / "data"
    monkeypatch.setenv(containers.IMAGE_STORE_VARIABLE, str(tmp_path / "images"))
    assert containers.image_store() == tmp_path / "images"


def test_the_course_base_images_are_every_from_of_its_dockerfiles(tiny_course):
    assert standins.course_base_images(tiny_course) == []
    (tiny_course / "solutions/02_bye/web").mkdir(parents=True)
    (tiny_course / "solutions/02_bye/web/Dockerfile").write_text("FROM node:22-slim AS build\nFROM nginx:1.27\n")
    (tiny_course / "lessons/02_bye/starter/Dockerfile").write_text("FROM python:3.11\n")
    assert standins.course_base_images(tiny_course) == ["nginx:1.27", "node:22-slim", "python:3.11"]
    real = standins.course_base_images(Path(__file__).resolve().parents[1])
    assert {"python:3.11-slim", "node:22-slim", "nginx:1.27"} <= set(real)


def test_the_course_base_images_include_what_its_compose_files_run(tiny_course):
    (tiny_course / "solutions/02_bye").mkdir(parents=True, exist_ok=True)
    (tiny_course / "solutions/02_bye/compose.yaml").write_text(textwrap.dedent("""\
        services:
          db:
            image: postgres:15
          cache:
            image: "redis:7"  # the rate limits
          api:
            build: .
            image: tasks-backend
          again:
            image: postgres:15
    """))
    assert standins.compose_images(tiny_course / "solutions/02_bye/compose.yaml") == ["postgres:15", "redis:7"]
    assert standins.course_base_images(tiny_course) == ["postgres:15", "redis:7"]
    real = standins.course_base_images(Path(__file__).resolve().parents[1])
    assert {"postgres:15", "redis:7", "nginx:1.27", "prom/prometheus:v2.53.3"} <= set(real)


def test_a_fixed_subnet_left_by_a_killed_stack_is_released_and_one_in_use_is_named(engine):
    """`shiplings up` and the notebooks run compose files with a fixed subnet; a network another
    stack left behind with it is removed, one with containers is named, the stack's own is kept."""
    run = f"shiplings-test-subnets-{os.getpid()}"
    standins.ensure(engine, "debian:bookworm-slim")
    made, sleeper = [], ""
    try:
        for name, subnet, project in ((f"{run}-left", "172.30.252.0/24", "killed"),
                                      (f"{run}-used", "172.30.253.0/24", "running"),
                                      (f"{run}-own", "172.30.254.0/24", "mine")):
            engine.docker("network", "create", "--subnet", subnet, "--label",
                          f"com.docker.compose.project={project}", name)
            made.append(name)
        sleeper = engine.docker("run", "-d", "--rm", "--network", f"{run}-used", "debian:bookworm-slim",
                                "sleep", "120").stdout.strip()
        busy = containers.release_subnets(
            engine, ["172.30.252.0/24", "172.30.253.128/25", "172.30.254.0/24"], project="mine")
        names = [network.name for network in containers.networks(engine)]
        assert f"{run}-left" not in names, "a network nobody uses kept its subnet from the next stack"
        assert [(network.name, network.project, network.containers) for network in busy] == [
            (f"{run}-used", "running", 1)], busy
        assert f"{run}-own" in names, "the stack's own network was removed: compose reuses it"
        assert containers.fixed_subnets({"networks": {"default": {"ipam": {"config": [{"subnet": "172.30.17.0/24"}]}},
                                                      "other": None}}) == ["172.30.17.0/24"]
    finally:
        if sleeper:
            engine.docker("rm", "--force", sleeper, check=False)
        for name in made:
            engine.docker("network", "rm", name, check=False)
