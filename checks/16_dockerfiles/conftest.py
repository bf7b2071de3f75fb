"""Fixtures of the lesson 16 checks: the learner's images, built once per run on a real engine.

- `docker_engine` (checks/conftest.py): the learner's Docker Engine, or a private one started for this run
  (shiplings.containers): it, and every container the checks start, dies with the run,
  however the run ends. Without any engine the engine checks "cannot run" (with the
  doctor's fix); the static ones (hadolint) still run.
- `backend_context`: a copy of the workspace as the build context, with a .env holding a
  fake secret, a .git/, a .venv/ and a node_modules/ planted in it (support/docker.py)
- `frontend_context`, `frontend_build`: the same for frontend/ (its own context, with a
  node_modules/ and a dist/ planted in it) and `docker build frontend`
- `backend_build`: `docker build .` of that context, once per run (a `Built`: the checks
  call .require() for the image, which fails them with the build's output when it did not build)
- `backend`: one container of the backend image, published on a free loopback port with
  a strong TASKS_SECRET_KEY, its HEALTHCHECK asked every second instead of the image's
  interval (the image's command is what is checked, not the clock); the check of
  `docker stop` stops it, last
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from shiplings.testing import workspace
from support import docker

BACKEND_PORT = 8000


@pytest.fixture(scope="session")
def backend_context(tmp_path_factory) -> Path:
    return docker.build_context(workspace(), tmp_path_factory.mktemp("backend") / "context")


@pytest.fixture(scope="session")
def frontend_context(tmp_path_factory) -> Path:
    return docker.frontend_context(workspace() / "frontend", tmp_path_factory.mktemp("frontend") / "context")


@pytest.fixture(scope="session")
def frontend_build(docker_engine, frontend_context) -> docker.Built:
    key = docker.cache_key(*(frontend_context / name for name in ("Dockerfile", ".dockerignore", "package-lock.json")))
    return docker.build(docker_engine, frontend_context, "The frontend image", f"shiplings-checks/frontend:{key}",
                        command="docker build frontend")


@pytest.fixture(scope="session")
def backend_build(docker_engine, backend_context) -> docker.Built:
    key = docker.cache_key(*(backend_context / name for name in ("Dockerfile", ".dockerignore", "requirements.txt")))
    return docker.build(docker_engine, backend_context, "The backend image", f"shiplings-checks/backend:{key}")


def backend_env() -> list[str]:
    """A strong key of this run (production refuses to start without one), given at run time."""
    return ["--env", f"TASKS_SECRET_KEY={secrets.token_urlsafe(32)}"]


@contextlib.contextmanager
def backend_container(engine, image: str, *args: str, wait: float = 30) -> Iterator[docker.Running]:
    with docker.run(engine, image, BACKEND_PORT, *backend_env(), *args, wait=wait) as running:
        yield running


@pytest.fixture(scope="session")
def backend(docker_engine, backend_build) -> Iterator[docker.Running]:
    image = backend_build.require()
    with backend_container(docker_engine, image, "--health-interval", "1s", "--health-start-period", "0s") as running:
        yield running

