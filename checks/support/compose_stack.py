"""The learner's compose stack, run for real by the checks (lessons 17 and 18): one home.

A lesson's conftest.py imports the fixtures it uses from here and names itself with
`stack_lesson` (its id), which labels the containers and names the compose project:

- `project`: a copy of the workspace to run compose in, with a .env made from the learner's
  .env.example (fresh random secrets: the learner's own .env is never read) (support/compose.py)
- `resolved`: `docker compose config --format json` of that copy, once per run: the static
  checks read it, and need no engine
- `stack`: the whole stack, up once per run on the run's `docker_engine` (checks/conftest.py):
  the images of the services with a `build:` built once (on top of the layer cache lesson 16's
  checks left), the file run under a project name of this run with the proxy on a free loopback
  port, `up --wait`; then `down --volumes`, however the run ends. On the learner's own engine
  every container carries the run's label, and the next run removes what a run killed outright
  left (support/compose.py). Where no engine answers, the same services run on this machine
  instead (support/native_stack.py), and what only containers show "cannot run"
"""

from __future__ import annotations

import contextlib
import json
import secrets
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from shiplings import containers, standins
from shiplings.net import free_port
from shiplings.patience import machine_factor
from shiplings.testing import workspace
from support import compose, docker
from support.native_stack import ContainerOnly, NativeStack, forced_reason, native_stack

# what `up --wait` may take once the images exist: PostgreSQL's first start, the migrations, two workers
UP_SECONDS = 150


@pytest.fixture(scope="session")
def project(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """(a copy of the workspace with a .env of random secrets, that .env)."""
    folder = tmp_path_factory.mktemp("compose") / "project"
    return folder, compose.project_copy(workspace(), folder)


@pytest.fixture(scope="session")
def resolved(project) -> compose.Resolved:
    folder, env = project
    return compose.resolve(folder, containers.compose_binary(), env)


@dataclass
class Stack:
    """The learner's stack, as this run started it."""

    engine: containers.Engine
    name: str  # the compose project
    file: Path  # the model the run started (compose.yaml as compose read it, made safe to run)
    url: str  # the proxy, on a free loopback port
    env: dict[str, str]
    model: dict
    up: subprocess.CompletedProcess | None = None
    up_seconds: float = 0.0
    built: dict[str, docker.Built] = field(default_factory=dict)
    native = False

    def container_only(self, what: str) -> None:
        """On an engine every property shows (see NativeStack)."""

    def address(self, url: str) -> str:
        return url

    def stop_service(self, name: str) -> None:
        self.compose("stop", "--timeout", "3", name, timeout=120)

    def start_service(self, name: str) -> None:
        self.compose("start", name, timeout=120)

    def compose(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(["docker", "compose", "--project-name", self.name, "--file", str(self.file), *args],
                              env=self.env, capture_output=True, text=True, timeout=timeout, check=False)

    @property
    def script_env(self) -> dict[str, str]:
        """The environment a learner's script runs in: a plain `docker compose ...` in it reaches this stack."""
        return {**self.env, "COMPOSE_PROJECT_NAME": self.name, "COMPOSE_FILE": str(self.file)}

    def ps(self) -> list[dict]:
        """Every container of the stack, running or not: Service, State, Health, ExitCode, ID."""
        listed = self.compose("ps", "--all", "--format", "json", timeout=60).stdout.strip()
        if listed.startswith("["):
            return json.loads(listed)
        return [json.loads(line) for line in listed.splitlines() if line.strip()]

    def container(self, service: str) -> str:
        return next((entry["ID"] for entry in self.ps() if entry["Service"] == service), "")

    def logs(self, service: str, lines: int = 15) -> str:
        done = self.compose("logs", "--no-color", "--tail", str(lines), service, timeout=60)
        return (done.stdout + done.stderr).strip() or "(nothing)"

    def in_service(self, service: str, *command: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return self.compose("exec", "-T", service, *command, timeout=timeout)

    def up_again(self) -> subprocess.CompletedProcess:
        return self.compose("up", "--detach", "--wait", "--pull", "never", "--wait-timeout",
                            str(round(UP_SECONDS * min(machine_factor(), 3))), timeout=UP_SECONDS * 4)

    def require_up(self) -> None:
        """Fails the check with what went wrong when the stack did not come up (built, healthy)."""
        for built in self.built.values():
            built.require()
        assert self.up is not None and self.up.returncode == 0, (
            f"`docker compose up --wait` did not bring every service up and healthy within "
            f"{round(UP_SECONDS * min(machine_factor(), 3))} s. Compose said:\n"
            f"{(self.up.stdout + self.up.stderr).strip()[-800:] if self.up else 'nothing'}\n{self.states()}"
        )

    def states(self) -> str:
        """Each service's state and, for one that is not fine, its last log lines."""
        lines = []
        for entry in sorted(self.ps(), key=lambda entry: entry["Service"]):
            health = f" ({entry['Health']})" if entry.get("Health") else ""
            state = f"{entry['Service']}: {entry['State']}{health}, exit code {entry.get('ExitCode', 0)}"
            fine = entry["State"] == "running" and entry.get("Health") in ("", None, "healthy") or (
                entry["State"] == "exited" and entry.get("ExitCode") == 0)
            lines.append(state if fine else f"{state}; its last log lines:\n{self.logs(entry['Service'])}")
        return "\n".join(lines) or "no container was created"


def build_images(engine, services: dict[str, dict]) -> dict[str, docker.Built]:
    """Build the image of every service with a `build:`; service -> Built."""
    built = {}
    for name, service in services.items():
        spec = service.get("build")
        if not spec:
            continue
        context = Path(spec["context"])
        dockerfile = context / spec.get("dockerfile", "Dockerfile")
        keys = ("Dockerfile", ".dockerignore", "requirements.txt", "package-lock.json")
        # lesson 16's tags: a run of its checks left the layer cache these builds start from
        tag = f"shiplings-checks/{name}:{docker.cache_key(*(context / key for key in keys))}"
        # and a tag of this run's own, which the stack runs: another run on the same engine (a
        # proof's runs side by side, a second check) builds its own code under the first tag,
        # maybe between this build and this `up`, and the rolling update builds its next
        # release under the one the stack runs
        run_tag = f"shiplings-checks/{name}:run-{secrets.token_hex(6)}"
        started = time.monotonic()
        command = f"docker compose build {name}"
        try:
            done = engine.build(context, tag, "--tag", run_tag, "--file", str(dockerfile))
            output, returncode = done.stdout + done.stderr, done.returncode
        except subprocess.TimeoutExpired:
            output, returncode = "the build did not finish in time", 124
        except RuntimeError as error:  # a base image that is neither pulled nor a stand-in
            output, returncode = str(error), 1
        image = ""
        if returncode == 0:
            image = engine.docker("image", "inspect", "--format", "{{.Id}}", run_tag, check=False).stdout.strip()
        built[name] = docker.Built(f"The {name} image", command, returncode, output, time.monotonic() - started,
                                   image and run_tag)
    return built


def no_engine(request) -> str | None:
    """Why this run has no Docker Engine (the stack then runs natively); None when it has one."""
    forced = forced_reason()
    if forced:
        return forced
    try:
        request.getfixturevalue("docker_engine")
    except containers.EngineUnavailable as unavailable:
        return unavailable.reason
    return None


def running_stack(request, resolved, when_missing: str, container_only: str = "") -> Stack | NativeStack:
    """The run's stack, once the compose model has the six services; fails the check if it is not up.

    when_missing ends the message for a model without them (where the learner should look).
    container_only: what the check is about, when only a stack of containers can show it; without
    an engine the check then "cannot run", and no stack is started for it.
    """
    missing = compose.missing_services(resolved.services())
    assert not missing, f"compose.yaml has no service named {', '.join(missing)}{when_missing}"
    if container_only and (reason := no_engine(request)):
        raise ContainerOnly(container_only, reason, ran_here=False)
    stack = request.getfixturevalue("stack")
    stack.require_up()
    return stack


@pytest.fixture(scope="session")
def stack(request, resolved, project, stack_lesson, tmp_path_factory) -> Iterator[Stack | NativeStack]:
    reason = no_engine(request)
    if reason:
        with native_stack(resolved, project[0], reason, tmp_path_factory.mktemp("native")) as running:
            yield running
    else:
        yield from engine_stack(request.getfixturevalue("docker_engine"), resolved, project, stack_lesson)


def engine_stack(docker_engine, resolved, project, stack_lesson) -> Iterator[Stack]:
    folder, env_file = project
    compose.prune_abandoned(docker_engine)
    services = resolved.services()
    built = build_images(docker_engine, services)
    for name, service in services.items():
        if name not in built and service.get("image") and not any(
                service["image"] == services[other].get("image") for other in built):
            with contextlib.suppress(RuntimeError):  # an image nobody has: `up` says so, in the learner's words
                standins.ensure(docker_engine, service["image"])
    model = compose.for_this_run(resolved.model, {name: b.image for name, b in built.items() if b.ok},
                                 free_port(), containers.owner(), compose.subnets_in_use(docker_engine),
                                 lesson=stack_lesson)
    file = folder / "compose.check.json"
    file.write_text(json.dumps(model, indent=1))
    port = next(service["ports"][0]["published"] for service in model["services"].values() if service.get("ports")) \
        if any(service.get("ports") for service in model["services"].values()) else "0"
    running = Stack(docker_engine, f"shiplings{stack_lesson[:2]}-{secrets.token_hex(4)}", file,
                    f"http://127.0.0.1:{port}", compose.clean_env(env_file, docker_engine.env), model, built=built)
    try:
        if all(b.ok for b in built.values()):
            started = time.monotonic()
            running.up = running.up_again()
            running.up_seconds = time.monotonic() - started
        yield running
    finally:
        # every profile: a plain `down` leaves a service a check started from a profile running
        running.compose("--profile", "*", "down", "--volumes", "--remove-orphans", "--timeout", "3", timeout=300)
        # the run's own tags (the layers stay: the cache of the next build)
        tags = [b.image for b in built.values() if b.ok]
        if tags:
            docker_engine.docker("rmi", "--no-prune", *tags, check=False, timeout=120)
