"""The learner's whole development stack, as the front-end checks run it.

full_stack() starts the learner's FastAPI backend under uvicorn (on a copy of the
migrated database) and the learner's Vite dev server, told where that backend is by
BACKEND_URL, both on free loopback ports; the page talks to Vite, which forwards /api.
Each start costs seconds, so a lesson's checks start one pair per module and share it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from shiplings import npm, services
from shiplings.testing import DATABASE_URL_VARIABLE, FRONTEND, copy_template, free_port, workspace
from support.apps import app_environment


@dataclass
class Stack:
    backend: services.RunningApp
    vite: services.RunningApp
    env: dict[str, str]  # the backend's TASKS_* environment (its secret key among them)


@contextlib.contextmanager
def full_stack(migrated_template: Path | None, folder: Path, node: npm.Node) -> Iterator[Stack]:
    """(backend, Vite dev server) until the block ends; AssertionError with a learner's message if either fails.

    The two start side by side: Vite needs only the backend's address, chosen first, not a
    backend that answers (about a second saved).
    """
    url = copy_template(migrated_template, folder / "tasks.db")
    env = {DATABASE_URL_VARIABLE: url, **app_environment(url)}
    port = free_port()
    command = ["uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", "{port}"]
    backend_server = services.app_server(command, cwd=workspace(), env=env, port=port, ready_path="/health",
                                         timeout=40)
    with services.started_in_background() as start, contextlib.ExitStack() as started:
        vite = start(dev_server(f"http://127.0.0.1:{port}", node))
        try:
            backend = started.enter_context(backend_server)
        except (RuntimeError, TimeoutError) as error:
            raise AssertionError(
                f"The backend (`uvicorn app.main:app`) should start and answer; it did not. {error}"
            ) from None
        yield Stack(backend, vite.result(), env)


@contextlib.contextmanager
def dev_server(backend_url: str, node: npm.Node, base: str = "/") -> Iterator[services.RunningApp]:
    """The learner's Vite dev server, its proxy aimed at `backend_url`, the page at `base`, warmed up."""
    frontend = workspace() / FRONTEND
    with contextlib.ExitStack() as started:
        try:
            vite = started.enter_context(
                npm.vite_dev_server(frontend, env={"BACKEND_URL": backend_url}, base=base, node=node))
        except services.ServiceUnavailable:
            raise  # no Node: the check cannot run, which says nothing about the learner's code
        except npm.InstallFailed as failure:
            raise AssertionError(failure.learner_message(f"{FRONTEND}/")) from None
        except (RuntimeError, TimeoutError) as error:
            raise AssertionError(
                f"The Vite dev server (`npm run dev` in {FRONTEND}/) should start and answer"
                + (f" at {base} (VITE_DEV_BASE)" if base != "/" else "") + f"; it did not. {error}"
            ) from None
        warm_up(vite, base)
        yield vite


def warm_up(vite: services.RunningApp, base: str = "/") -> None:
    """Have Vite transform the page's entry once, so that a browser's first visit finds it ready.

    The first request for a module makes Vite pre-bundle the dependencies and compile the
    module graph (seconds on a busy machine); the checks' browser would wait for it instead.
    """
    import httpx

    with contextlib.suppress(httpx.HTTPError), httpx.Client(base_url=vite.url, timeout=60) as client:
        client.get(base)
        client.get(f"{base}src/main.ts")
