"""The learner's whole development stack, as the front-end checks run it.

full_stack() starts the learner's FastAPI backend under uvicorn (on a copy of the
migrated database) and the learner's Vite dev server, told where that backend is by
BACKEND_URL, both on free loopback ports; the page talks to Vite, which forwards /api.
Each start costs seconds, so a lesson's checks start one pair per module and share it.

In watch mode and %check the warm helper keeps both from one run to the next
(shiplings.keep), for as long as what they run is unchanged:

- the backend, by the workspace's files outside frontend/ (any change: a new backend, on
  the port the last one had, so that Vite's proxy still points at it);
- Vite, by its configuration (vite.config.*, package.json, the lock file, index.html,
  .env files) and the backend's address. A change under src/ is Vite's own job, as in the
  learner's `npm run dev`: its file watcher throws away what it had compiled. A kept Vite
  must show it has seen the last save before a run uses it: the run changes
  src/__shiplings__/sync.js and waits until Vite serves the change (in_step). A watcher
  that misses it (a file system without change events) means a new Vite.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from shiplings import keep, npm, scratch, services
from shiplings.net import free_port, port_is_free
from shiplings.patience import machine_factor
from shiplings.testing import DATABASE_URL_VARIABLE, FRONTEND, copy_template, workspace
from support.apps import app_environment

# a file of the course in the learner's src/, which a kept Vite dev server compiles (in_step)
SYNC = "src/__shiplings__/sync.js"
# what a change of the backend is not: the front end, tests, and what running things leaves behind
NOT_BACKEND = {FRONTEND, "node_modules", "tests", "e2e", "notebooks", "__pycache__", ".pytest_cache",
               ".ipynb_checkpoints", ".git", ".venv", "venv", ".mypy_cache", ".ruff_cache"}
NOT_BACKEND_SUFFIXES = (".db", ".db-journal", ".db-wal", ".db-shm", ".log", ".pyc")
VITE_INPUTS = ("package.json", "package-lock.json", "index.html", "vite.config.ts", "vite.config.js",
               "vite.config.mts", "vite.config.mjs", ".env", ".env.local", ".env.development",
               ".env.development.local")


@dataclass
class Server:
    url: str
    reused: bool = False  # kept from an earlier run (shiplings.keep): a Vite's page is compiled already


@dataclass
class Stack:
    backend: Server
    vite: Server
    env: dict[str, str]  # the backend's TASKS_* environment (its secret key among them)


@contextlib.contextmanager
def full_stack(migrated_template: Path | None, node: npm.Node) -> Iterator[Stack]:
    """(backend, Vite dev server) until the block ends; AssertionError with a learner's message if either fails.

    The two start side by side: Vite needs only the backend's address, chosen first, not a
    backend that answers (about a second saved). The backend's database is a copy of its own
    (backend_server), since a kept backend outlives the run's temporary folders.
    """
    install(workspace() / FRONTEND, node)
    with services.started_in_background() as start, contextlib.ExitStack() as started:
        port, _ = started.enter_context(keep.server("backend-port", "", a_free_port))
        backend_url = f"http://127.0.0.1:{port}"
        vite = start(dev_server(backend_url, node))
        try:
            backend, _ = started.enter_context(keep.server(
                "backend", backend_fingerprint(migrated_template), backend_server, probe=answers,
                folder=str(workspace()), template=str(migrated_template or ""), port=port))
        except (RuntimeError, TimeoutError) as error:
            raise AssertionError(
                f"The backend (`uvicorn app.main:app`) should start and answer; it did not. {error}"
            ) from None
        running_vite = vite.result()
        if backend["url"] != backend_url:  # the kept port was taken meanwhile: a Vite that forwards to the new one
            running_vite = started.enter_context(dev_server(backend["url"], node))
            # and the port the next runs start from, so that they find both kept as they are
            started.enter_context(keep.server("backend-port", "", a_free_port, renew=True,
                                              port=int(backend["url"].rsplit(":", 1)[1])))
        yield Stack(Server(backend["url"]), running_vite, backend["env"])


def install(frontend: Path, node: npm.Node) -> None:
    """node_modules as the lock file says (once per lock file); a learner's message when npm fails."""
    try:
        npm.ensure_dependencies(frontend, node)
    except npm.InstallFailed as failure:
        raise AssertionError(failure.learner_message(f"{FRONTEND}/")) from None


def dev_server(backend_url: str, node: npm.Node, base: str = "/") -> contextlib.AbstractContextManager[Server]:
    """The learner's Vite dev server, its proxy aimed at `backend_url`, the page at `base`, warmed up."""
    frontend = workspace() / FRONTEND
    install(frontend, node)
    return _dev_server(frontend, backend_url, base)


@contextlib.contextmanager
def _dev_server(frontend: Path, backend_url: str, base: str) -> Iterator[Server]:
    inputs = [frontend / name for name in VITE_INPUTS]
    starting = keep.server(f"vite {base}", keep.fingerprint(backend_url, base, files=inputs), vite_server,
                           probe=in_step, frontend=str(frontend), backend_url=backend_url, base=base)
    with contextlib.ExitStack() as started:
        try:
            vite, reused = started.enter_context(starting)
        except services.ServiceUnavailable:
            raise  # no Node: the check cannot run, which says nothing about the learner's code
        except (RuntimeError, TimeoutError) as error:
            raise AssertionError(
                f"The Vite dev server (`npm run dev` in {FRONTEND}/) should start and answer"
                + (f" at {base} (VITE_DEV_BASE)" if base != "/" else "") + f"; it did not. {error}"
            ) from None
        yield Server(vite["url"], reused)


@contextlib.contextmanager
def vite_server(frontend: str, backend_url: str, base: str) -> Iterator[dict]:
    """Recipe (shiplings.keep): Vite on a free port, warmed up; {"url", "sync", "base"}."""
    folder = Path(frontend)
    sync = folder / SYNC
    write_sync(sync)
    try:
        with npm.vite_dev_server(folder, env={"BACKEND_URL": backend_url}, base=base) as vite:
            warm_up(vite.url, base)
            yield {"url": vite.url, "sync": str(sync), "base": base}
    finally:
        with contextlib.suppress(OSError):
            sync.unlink()
            sync.parent.rmdir()  # only when nothing else of the course's is in it


def write_sync(path: Path) -> str:
    nonce = secrets.token_hex(6)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("// Written by shiplings' checks: a Vite dev server they keep between runs compiles this file,\n"
                    "// and they change it to know that the server has seen your latest save. Removed when they stop.\n"
                    f'export const seen = "{nonce}"\n'
                    "// a change is no reason to reload a page (Vite would tell every open page to)\n"
                    "import.meta.hot?.accept()\n", encoding="utf-8")
    return nonce


def in_step(vite: dict) -> bool:
    """Whether a kept Vite has caught up with the files: it serves a change to SYNC made just now.

    Vite compiles a module once and keeps it until its file watcher reports a change; the
    watcher reports in order, so once it reports this change it has reported every save before it.
    """
    import httpx

    nonce = write_sync(Path(vite["sync"]))
    deadline = time.monotonic() + 3 * machine_factor()
    with httpx.Client(base_url=vite["url"], timeout=5) as client:
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if nonce in client.get(f"{vite['base']}{SYNC}").text:
                    return True
            time.sleep(0.02)
    return False


def warm_up(url: str, base: str = "/") -> None:
    """Have Vite transform the page's entry once, so that a browser's first visit finds it ready.

    The first request for a module makes Vite pre-bundle the dependencies and compile the
    module graph (seconds on a busy machine); the checks' browser would wait for it instead.
    The course's SYNC module too, so that in_step() sees Vite throw it away.
    """
    import httpx

    with contextlib.suppress(httpx.HTTPError), httpx.Client(base_url=url, timeout=60) as client:
        client.get(base)
        client.get(f"{base}src/main.ts")
        client.get(f"{base}{SYNC}")


def backend_fingerprint(migrated_template: Path | None) -> str:
    root = workspace()
    files = []
    for folder, folders, names in os.walk(root):
        folders[:] = sorted(name for name in folders if name not in NOT_BACKEND)
        files += [Path(folder) / name for name in sorted(names) if not name.endswith(NOT_BACKEND_SUFFIXES)]
    return keep.fingerprint(root, migrated_template is not None, files=files)


@contextlib.contextmanager
def a_free_port(port: int | None = None) -> Iterator[int]:
    """Recipe (shiplings.keep): a port for the backend (`port`, or a free one), the same for every run
    of a warm helper."""
    yield port or free_port()


@contextlib.contextmanager
def backend_server(folder: str, template: str, port: int = 0, dist: str = "") -> Iterator[dict]:
    """Recipe (shiplings.keep): the backend on a database of its own; {"url", "env", "database"}.

    On `port` unless something else took it meanwhile (0: any free port); serving the
    production build in `dist` at / when given (TASKS_FRONTEND_DIST, lesson 14 on).
    """
    database = Path(tempfile.mkdtemp(prefix=scratch.prefix("backend")))
    try:
        url = copy_template(Path(template) if template else None, database / "tasks.db")
        env = {DATABASE_URL_VARIABLE: url, **app_environment(url), **({"TASKS_FRONTEND_DIST": dist} if dist else {})}
        command = ["uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", "{port}"]
        port = port if port and port_is_free(port) else free_port()
        with services.app_server(command, cwd=Path(folder), env=env, port=port, ready_path="/health",
                                 timeout=40) as backend:
            yield {"url": backend.url, "env": env, "database": str(database / "tasks.db")}
    finally:
        shutil.rmtree(database, ignore_errors=True)


def answers(backend: dict) -> bool:
    import httpx

    try:
        return httpx.get(backend["url"] + "/health", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False
