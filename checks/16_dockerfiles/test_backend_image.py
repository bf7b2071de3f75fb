"""Lesson 16: the backend image, built from the learner's Dockerfile and run on a real engine."""

from __future__ import annotations

import re
import secrets
import shutil
from pathlib import Path

import pytest

from shiplings.patience import machine_factor
from support import docker

# a cold build installs every dependency: minutes on a busy machine, and the clock of a
# check cannot see the engine working (it is not a child of the check)
BUILD = pytest.mark.timeout(1800)
# what `docker stop` may take on an idle machine: gunicorn stops its workers in about a second
STOP_SECONDS = 2.0
# what the image's files may add on top of the base image its last stage starts FROM
ADDED_BUDGET_MB = 150
# Docker's own default: after this long, docker stop kills what still runs
DOCKER_STOP_DEFAULT = 10


@BUILD
def test_backend_serves_health_from_outside(docker_engine, backend_build, backend):
    _, command = docker.pid1(docker_engine, backend.container)
    assert backend.answered, (
        f"The backend container should answer GET /health on its published port 8000 (from outside the "
        f"container, as a browser or a proxy would); after {backend.waited:.0f} s it had {backend.said}. "
        f"Its main process is `{command or 'gone'}`; its last log lines:\n{backend.logs(docker_engine)}\n"
        "A server inside a container must listen on 0.0.0.0, not on 127.0.0.1 (the container's own loopback), "
        "which gunicorn.conf.py does: run gunicorn, in exec form (CMD [\"gunicorn\", ...])."
    )
    assert "gunicorn" in command, (
        f"The backend container answers /health, but its main process (PID 1) is `{command}`, not gunicorn. "
        "Production runs lesson 11's server: CMD [\"gunicorn\", \"--config\", \"gunicorn.conf.py\"] in the Dockerfile "
        "(no --reload in an image: nothing in it changes)."
    )


def engine_and_backend(request) -> tuple:
    """The engine and the run's backend container, asked for once what the Dockerfile says is right."""
    return request.getfixturevalue("docker_engine"), request.getfixturevalue("backend")


@BUILD
def test_backend_runs_as_non_root(backend_context, request):
    user = docker.user_of(backend_context / "Dockerfile")
    assert not docker.is_root(user), (
        f"The Dockerfile's last stage {'never sets USER' if user is None else f'sets USER {user}'}, so the app runs "
        "as root (uid 0). Whoever breaks into the app is then root in the container, a short step from the host. "
        "Create a user (useradd --system ...) and switch to it with USER before the CMD; a numeric USER (10001) "
        "lets an orchestrator verify it is not root."
    )
    docker_engine, backend = engine_and_backend(request)
    uid, command = docker.pid1(docker_engine, backend.container)
    assert uid is not None, f"The backend container stopped before its user could be read: {backend.said}."
    assert uid != 0, (
        f"The backend container's main process (`{command}`) runs as root (uid 0). Whoever breaks into the app "
        "is then root in the container, a short step from the host. Create a user in the Dockerfile "
        "(useradd --system ...) and switch to it with USER before the CMD; a numeric USER (10001) lets "
        "an orchestrator verify it is not root."
    )


@BUILD
def test_backend_healthcheck_reports_healthy(backend_context, request):
    declared = [arguments for instruction, arguments in docker.final_stage(backend_context / "Dockerfile")
                if instruction == "HEALTHCHECK"]
    assert declared and declared[-1].upper() != "NONE", (
        "The Dockerfile declares no HEALTHCHECK: Docker (and compose's depends_on: service_healthy) cannot "
        "tell a container that runs from one that serves. Add a HEALTHCHECK that asks /health on port 8000, "
        "with python's urllib (the slim image has no curl)."
    )
    docker_engine, backend = engine_and_backend(request)
    config = docker.inspect(docker_engine, request.getfixturevalue("backend_build").require())["Config"]
    probe = (config.get("Healthcheck") or {}).get("Test") or []
    assert probe and probe != ["NONE"], (
        "The backend image declares no HEALTHCHECK: Docker (and compose's depends_on: service_healthy) cannot "
        "tell a container that runs from one that serves. Add a HEALTHCHECK that asks /health on port 8000, "
        "with python's urllib (the slim image has no curl)."
    )
    assert "/health" in " ".join(probe), (
        f"The backend image's HEALTHCHECK runs {probe}, which does not ask /health: that route says whether "
        "the app itself answers."
    )
    health = docker.wait_for_health(docker_engine, backend.container, seconds=20 * min(machine_factor(), 3))
    assert health["Status"] == "healthy", (
        f"The backend image's HEALTHCHECK ({' '.join(probe[1:])}) did not report the container healthy: "
        f"it says {health['Status']!r}; the probe's last output: {docker.last_probe(health)!r}. "
        "Run the same command inside the container (docker exec) to see why."
    )


@BUILD
def test_no_secret_in_the_image(backend_context, request):
    written = docker.secret_instructions(backend_context / "Dockerfile")
    assert not written, (
        f"The Dockerfile sets a secret: {'; '.join(written)}. Anything in ENV or ARG stays in the image for everyone "
        "who pulls it (`docker history`, `docker inspect`). Give secrets at run time: docker run --env-file .env, "
        "or compose's env_file/secrets."
    )
    # the engine, and the build, only once the text is right
    docker_engine = request.getfixturevalue("docker_engine")
    image = request.getfixturevalue("backend_build").require()
    base = docker.final_base(backend_context / "Dockerfile")
    settings = docker.secret_settings(docker_engine, image, base)
    assert not settings, (
        f"The backend image carries a secret setting: {'; '.join(settings)}. Anything in ENV or ARG stays in the "
        "image for everyone who pulls it (`docker history`, `docker inspect`). Give secrets at run time: "
        "docker run --env-file .env, or compose's env_file/secrets."
    )
    holding = docker.files_holding(docker_engine, image, docker.FAKE_SECRET, base)
    places = "; ".join(f"/{path} (added by `{step}`)" for path, step in holding[:5])
    assert not holding, (
        "The check put a .env with a made-up TASKS_SECRET_KEY into the build context, as your workspace has one, "
        f"and the secret is in the backend image: {places}. Keep .env out of the build context (.dockerignore) "
        "and copy only what the app needs (COPY app ./app, not COPY . .)."
    )
    history = "\n".join(docker.history(docker_engine, image))
    assert docker.FAKE_SECRET not in history, (
        "The made-up secret of the context's .env appears in `docker history` of the backend image: a build step "
        "reads it. Secrets reach the container at run time, never during the build."
    )


@BUILD
def test_build_context_leaves_out_what_it_must(docker_engine, backend_context):
    sent = docker.context_listing(docker_engine, backend_context)
    leaked = {name: [path for path in sorted(sent) if re.search(pattern, "/" + path)]
              for name, pattern in docker.MUST_IGNORE.items()}
    leaked = {name: paths for name, paths in leaked.items() if paths}
    assert not leaked, (
        "`docker build .` sends these to the engine, where any COPY can put them in a layer: "
        + "; ".join(f"{name} ({', '.join(paths[:3])})" for name, paths in leaked.items())
        + ". List them in .dockerignore at the root of your workspace (one pattern a line: .env, .git, .venv, "
        "**/node_modules, tests, e2e, and frontend, which has an image of its own)."
    )


@BUILD
def test_code_change_keeps_the_dependency_layer(backend_context, tmp_path, request):
    copied = docker.copy_before_install(backend_context / "Dockerfile")
    assert not copied, (
        f"The Dockerfile runs `{copied}` before it installs the dependencies, so every code change invalidates "
        "that layer and the install after it runs again instead of coming from the cache (minutes for each "
        "edit). Copy requirements.txt alone, install, and copy the code after that."
    )
    # the engine, and the build, only once the text is right
    docker_engine = request.getfixturevalue("docker_engine")
    request.getfixturevalue("backend_build").require()
    changed = tmp_path / "context"
    shutil.copytree(backend_context, changed, symlinks=True)
    main = changed / "app" / "main.py"
    # a change no earlier run made, or the cache of that run would answer
    main.write_text(main.read_text() + f"\n# a change to the code only ({secrets.token_hex(4)})\n")
    rerun, output = docker.install_steps_rerun(docker_engine, changed, changed / "Dockerfile")
    assert any(docker.installs(step) for step, _ in docker.steps(output)), (
        "The check found no step of the backend image that installs the dependencies (a RUN pip install -r "
        "requirements.txt): the image must install them itself, from requirements.txt."
    )
    assert not rerun, (
        f"After a change to app/main.py only, rebuilding the backend image ran `{rerun[0]}` again instead of "
        "taking it from the cache: every code change costs a full install (minutes). Docker reuses a layer only "
        "while every step before it is unchanged, and COPY of the code changes with every edit. Copy "
        "requirements.txt alone, install, and copy the code after that."
    )


@BUILD
def test_image_size_within_budget(backend_context, request):
    base = docker.final_base(backend_context / "Dockerfile")
    assert "slim" in base or "alpine" in base or "distroless" in base, (
        f"The backend image's last stage starts FROM {base}: a full image, with compilers and tools the app never "
        "runs (python:3.11 is about 1 GB, python:3.11-slim about 130 MB). Build in a first stage if you need "
        "tools, and start the last stage FROM python:3.11-slim."
    )
    # the engine, and the build, only once the base is right
    docker_engine = request.getfixturevalue("docker_engine")
    image = request.getfixturevalue("backend_build").require()
    added, total = docker.added_size(docker_engine, image, base)
    assert added <= ADDED_BUDGET_MB * 1e6, (
        f"The backend image adds {added / 1e6:.0f} MB to {base} (budget: {ADDED_BUDGET_MB} MB; {total / 1e6:.0f} MB "
        "in all). The dependencies take about 125 MB; more is usually pip's download cache (pip install "
        "--no-cache-dir), a context copied whole (COPY . .), or build tools left in the last stage."
    )


@BUILD
def test_docker_stop_is_quick(backend_context, request):
    shell = docker.shell_as_pid1(backend_context / "Dockerfile")
    assert not shell, (
        f"The Dockerfile starts the server through a shell: PID 1 is `{shell}`. docker stop sends SIGTERM to PID 1 "
        f"only, and this shell does not pass it on: docker waits {DOCKER_STOP_DEFAULT} s, then kills everything "
        "(exit code 137), on every deploy and restart, with requests cut off mid-way. Write the CMD in exec form, "
        "a JSON list: CMD [\"gunicorn\", \"--config\", \"gunicorn.conf.py\"]."
    )
    # the run's one container, stopped: so this check comes last in the file
    docker_engine, backend = engine_and_backend(request)
    grace = STOP_SECONDS * min(machine_factor(), 3)
    _, command = docker.pid1(docker_engine, backend.container)
    state = docker.state(docker_engine, backend.container)
    assert state["Running"], (
        f"The backend container had already stopped (exit code {state['ExitCode']}) before the check could stop it; "
        f"its last log lines:\n{backend.logs(docker_engine)}"
    )
    _, _, killed = docker.stop(docker_engine, backend.container, grace)
    shell = re.match(r"(/usr)?(/bin/)?(ba|da)?sh -c", command)
    assert not killed, (
        f"`docker stop` sent SIGTERM to the backend container and it was still running {grace:.0f} s later, "
        f"so docker had to kill it (exit code 137); with docker's default that is {DOCKER_STOP_DEFAULT} s of every "
        f"deploy and restart, and requests cut off mid-way. Its main process (PID 1) was `{command}`"
        + (": a shell, which does not pass the signal on to the server it started. Write the CMD in exec "
           "form, a JSON list: CMD [\"gunicorn\", \"--config\", \"gunicorn.conf.py\"]." if shell else
           ". It must end on SIGTERM: gunicorn does, and stops its workers gracefully.")
    )


def test_dockerfiles_are_hadolint_clean(workspace):
    for name in ("Dockerfile", "frontend/Dockerfile"):
        dockerfile = Path(workspace) / name
        assert dockerfile.is_file(), f"There is no {name} in your workspace."
        linted = docker.lint(dockerfile)
        assert linted.returncode == 0, (
            f"hadolint (a Dockerfile linter) has warnings about {name}:\n{linted.stdout.strip()}\n"
            "Each line names a rule (DL3025...): its page at https://github.com/hadolint/hadolint/wiki/<rule> "
            "says why, and how to fix it."
        )
