"""What any lesson's checks need from the engine: the learner's app, in-process or as a real server.

Loaded as a pytest plugin (`-p shiplings.testing`) by the check runner, so every
checks/<lesson>/ module can ask for these fixtures:

- `workspace`: the folder of the learner's app (SHIPLINGS_WORKSPACE)
- `app_env`: the environment of the check's app, already set: its own SQLite database
  (DATABASE_URL_VARIABLE), with the workspace's migrations applied once it has them
- `app`: the learner's ASGI app, freshly imported for each check in that environment
- `client`: an httpx.AsyncClient talking to `app` in-process, its lifespan running
- `migrated_template`, `migrated_copy`: the migrated database, and fresh copies of it
- `postgres`, `redis_url`: real servers on free loopback ports, one per check run

and import helpers such as `show(response)` to write learner-facing messages.
Checks are plain `async def test_...` functions with `assert cond, "message"`.

Nothing here knows what a lesson teaches: no route, no user, no setting beyond the one
variable that names the app's database. The course's own knowledge (test mode and a
secret for the app, signing a learner in, the error envelope, fake upstreams) lives
with the checks: checks/conftest.py overrides `app_env` and `client` for every lesson,
and checks/support/ holds the helpers several lessons share.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import re
import shutil
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType

import pytest

from shiplings.net import free_port  # noqa: F401  (checks import it from here)

# The last thing a check asked the app to do, for the "did not answer" message.
CURRENT_ACTION: list[str] = []
# Exceptions the learner's app raised during this check (behind a 500 answer).
APP_ERRORS: list[BaseException] = []


def workspace() -> Path:
    return Path(os.environ.get("SHIPLINGS_WORKSPACE") or Path.cwd() / "workspace").resolve()


def entry_module(folder: Path | None = None) -> str:
    """The module that holds `app`: app/main.py once the app is a package, else main.py."""
    folder = folder or workspace()
    return "app.main" if (folder / "app" / "main.py").is_file() else "main"


def forget_workspace_modules(folder: Path | None = None) -> None:
    """Drop the learner's modules from sys.modules so the next import reads the files anew."""
    folder = str(folder or workspace())
    for name, module in list(sys.modules.items()):
        location = getattr(module, "__file__", None) or ""
        if location.startswith(folder):
            del sys.modules[name]


def import_fresh(name: str) -> ModuleType:
    """Import one of the learner's modules from the files as they are now."""
    folder = workspace()
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    forget_workspace_modules(folder)
    importlib.invalidate_caches()
    return importlib.import_module(name)


def load_app():
    module = import_fresh(entry_module())
    app = getattr(module, "app", None)
    assert app is not None, (
        f"{module.__file__} should define `app` (the FastAPI application), "
        "so that `uvicorn ...:app` can find it."
    )
    return app


def show(response) -> str:
    """A response as a learner reads it: status and a short body."""
    try:
        body = json.dumps(response.json())
    except ValueError:
        body = response.text
    if len(body) > 300:
        body = body[:300] + "..."
    return f"{response.status_code} {body}".rstrip()


def timeout_message(verdict) -> str:
    """What a learner reads when a check's clock stopped it (a shiplings.patience.Verdict).

    Hung (no CPU used lately: waiting on something) and busy (still computing at the
    ceiling) point at different mistakes, so they say different things.
    """
    seconds = f"{verdict.waited:.0f}"
    starting = not CURRENT_ACTION
    where = (" (the check had not sent a request yet)" if starting
             else f" while the check was running {CURRENT_ACTION[-1]}")
    look = ("Look at what runs when the app starts (module-level code, create_app(), the lifespan)"
            if starting else "Look at the code that handles it")
    if verdict.kind == "busy":
        message = (
            f"Your app was still busy{' starting' if starting else ''} after {seconds} s{where}: it kept "
            f"the CPU working the whole time without finishing, so it is computing without end. {look}: "
            "an endless loop, or work that grows with every request."
        )
    elif verdict.kind == "hung":
        message = (
            f"Your app did not {'get ready' if starting else 'answer'} within {seconds} s{where}, and "
            f"it used no CPU in the last {verdict.window:.0f} s, so it is waiting on something. {look}: "
            "a blocking call such as time.sleep() in async code, a lock, or a connection or request "
            "without a timeout."
        )
    else:
        message = (
            f"Your app did not {'get ready' if starting else 'answer'} within {seconds} s{where}. "
            f"{look}: an endless loop or a call that waits forever (a blocking sleep, a request "
            "without a timeout)."
        )
    return message + verdict.slow_machine


async def _record(request) -> None:
    CURRENT_ACTION.append(f"{request.method} {request.url.path}")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL for this check run (a `services.Postgres`: .url(), .port)."""
    from shiplings import services

    with services.postgres() as server:
        yield server


@pytest.fixture(scope="session")
def redis_url():
    """The redis:// URL of a real Redis for this check run."""
    from shiplings import services

    with services.redis() as url:
        yield url


@pytest.fixture(name="workspace")
def workspace_fixture() -> Path:
    return workspace()


# --- the app's database for one check ------------------------------------------------
#
# Every check gets an app on its own SQLite database. When the workspace has Alembic
# migrations, they run once per check run into a template database that each check
# copies, so every check starts from the migrated, empty schema and migrations still run
# as their own step, never on import.

# The one thing the engine knows about the app's configuration: the environment variable
# that names its database (read by the app's settings and by migrations/env.py).
DATABASE_URL_VARIABLE = "TASKS_DATABASE_URL"


def run_alembic(*args: str, database_url: str, folder: Path | None = None, timeout: float = 60):
    """`alembic ARGS` in the workspace against database_url (a real subprocess); the finished process."""
    import subprocess

    return subprocess.run(
        [sys.executable, "-m", "alembic", *args],
        cwd=folder or workspace(), env={**os.environ, DATABASE_URL_VARIABLE: database_url},
        capture_output=True, text=True, timeout=timeout,
    )


def run_migrations(database_url: str, folder: Path | None = None) -> None:
    """`alembic upgrade head` in the workspace against database_url; a failure is the learner's message."""
    result = run_alembic("upgrade", "head", database_url=database_url, folder=folder)
    assert result.returncode == 0, (
        "`alembic upgrade head` failed in your workspace, so the checks have no database "
        "schema to work with. It ended with:\n" + final_error(result.stdout + result.stderr)
    )


def final_error(printed: str, limit: int = 1200) -> str:
    """The exception a failed command ended with, without the traceback above it."""
    lines = [line for line in printed.splitlines() if not line.startswith("(Background on this error")]
    final = [n for n, line in enumerate(lines) if re.match(r"^[\w.]+(Error|Exception)\b", line)]
    text = "\n".join(lines[final[-1]:] if final else lines)
    return text[:limit] if final else text[-limit:]


def pytest_sessionstart(session: pytest.Session) -> None:
    """Migrate the template database before any check starts.

    It is the slowest step of a run (a process running Alembic, about a second) and would
    otherwise count against the first check's timeout; run_migrations bounds it on its own.
    The result is kept by the content of the migrations, so the next run copies it
    instead, until the learner changes a migration. (Lesson 04's checks still run Alembic
    for real on an empty database, so a broken migration is never hidden by this cache.)
    """
    if not (workspace() / "alembic.ini").is_file():
        return
    folder = session.config._tmp_path_factory.mktemp("template")  # noqa: SLF001 (pytest's own factory)
    template = folder / "tasks.db"
    cached = migrated_cache(workspace())
    try:
        try:
            shutil.copyfile(cached, template)
        except FileNotFoundError:  # these migrations never ran here (or their copy was pruned)
            run_migrations(f"sqlite+aiosqlite:///{template}")
            with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
                keep_in_cache(template, cached)
        session.config.stash[_TEMPLATE] = template
    except AssertionError as failure:
        session.config.stash[_TEMPLATE] = failure


MIGRATION_CACHE_SIZE = 20


def migrated_cache(folder: Path) -> Path:
    """Where the SQLite file that these migrations produce is kept: named by their content."""
    import configparser
    import hashlib
    from importlib.metadata import version

    from shiplings.paths import state_dir

    digest = hashlib.sha256(f"alembic {version('alembic')} sqlalchemy {version('sqlalchemy')}".encode())
    ini = folder / "alembic.ini"
    digest.update(ini.read_bytes())
    parser = configparser.ConfigParser(interpolation=None)
    with contextlib.suppress(configparser.Error):
        parser.read(ini)
    location = parser.get("alembic", "script_location", fallback="migrations").replace("%(here)s", str(folder))
    scripts = (folder / location).resolve()
    for path in sorted(scripts.rglob("*")) if scripts.is_dir() else []:
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(scripts).as_posix().encode() + b"\0" + path.read_bytes())
    return state_dir() / "cache" / "migrated" / f"{digest.hexdigest()[:32]}.db"


def keep_in_cache(template: Path, cached: Path) -> None:
    """Copy into the cache atomically (parallel runs may race), keeping the newest few."""
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_name(f"{cached.stem}.{os.getpid()}.part")
    shutil.copyfile(template, partial)
    partial.replace(cached)
    kept = sorted(cached.parent.glob("*.db"), key=_modified, reverse=True)
    for old in kept[MIGRATION_CACHE_SIZE:]:
        old.unlink(missing_ok=True)


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # pruned by a run in parallel
        return 0.0


_TEMPLATE = pytest.StashKey["Path | AssertionError"]()


@pytest.fixture(scope="session")
def migrated_template(pytestconfig) -> Path | None:
    """An SQLite file with the workspace's migrations applied; None before lesson 04."""
    template = pytestconfig.stash.get(_TEMPLATE, None)
    if isinstance(template, AssertionError):
        raise template
    return template


def copy_template(template: Path | None, database: Path) -> str:
    """The sqlite URL of `database`, a copy of the migrated template (when there is one)."""
    if template is not None:
        shutil.copyfile(template, database)
    return f"sqlite+aiosqlite:///{database}"


@pytest.fixture
def migrated_copy(migrated_template, tmp_path):
    """migrated_copy(name) -> the URL of a fresh SQLite file with the workspace's migrations applied."""

    def copy(name: str) -> str:
        return copy_template(migrated_template, tmp_path / name)

    return copy


@pytest.fixture
def app_env(monkeypatch, migrated_copy) -> dict[str, str]:
    """The environment of this check's app (already set in os.environ): its own database.

    The course's checks/conftest.py extends it with what every lesson's app needs.
    """
    env = {DATABASE_URL_VARIABLE: migrated_copy("tasks.db")}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
def app(app_env):
    return load_app()


def recording_errors(app):
    """The app, but every exception it raises is kept in APP_ERRORS (then re-raised).

    A learner whose check fails on a 500 then also sees the line of their code behind it.
    """

    async def wrapped(scope, receive, send):
        try:
            await app(scope, receive, send)
        except Exception as error:
            APP_ERRORS.append(error)
            raise

    return wrapped


def make_client(app, token: str | None = None, address: str | None = None, *, record_errors: bool = True):
    """An httpx.AsyncClient wired to the app in-process (enter it with `async with`).

    `address` is the client address the app sees (request.client.host), for checks of
    per-client behaviour such as rate limits. With record_errors=False, what the app raises
    is not shown to the learner as "Behind that answer" (for a crash the check causes itself).
    """
    import httpx

    client = {"client": (address, 50000)} if address else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=recording_errors(app) if record_errors else app,
                                      raise_app_exceptions=False, **client),
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {token}"} if token else None,
        event_hooks={"request": [_record]},
    )


def route_paths(routes, prefix: str = "") -> set[str]:
    """Every path the app serves, including those of included routers.

    FastAPI >= 0.165 keeps an included router as one `_IncludedRouter` entry in app.routes.
    """
    paths = set()
    for route in routes:
        if getattr(route, "path", None) is not None:
            paths.add(prefix + route.path)
        router = getattr(route, "original_router", None)
        if router is not None:
            context = getattr(route, "include_context", None)
            paths |= route_paths(router.routes, prefix + getattr(context, "prefix", ""))
    return paths


def has_route(app, path: str) -> bool:
    return path in route_paths(app.routes)


@contextlib.asynccontextmanager
async def running_client(app, *, record_errors: bool = True) -> AsyncIterator:
    """An in-process client for any app, its lifespan running around it.

    The `client` fixture is this for the check's `app`; checks that build apps of their
    own (two apps on one database, say) use it directly.
    """
    async with app.router.lifespan_context(app):
        async with make_client(app, record_errors=record_errors) as http:
            yield http


@pytest.fixture
async def client(app) -> AsyncIterator:
    """A client for the app, in-process, its lifespan running (the course's conftest may extend it)."""
    async with running_client(app) as http:
        yield http


# --- the front end: workspace/frontend, as `npm create vue@latest` lays it out ----------------

FRONTEND = "frontend"


@pytest.fixture
def frontend(workspace) -> Path:
    """The learner's front end (workspace/frontend)."""
    folder = workspace / FRONTEND
    assert (folder / "package.json").is_file(), (
        f"There is no {FRONTEND}/package.json in your workspace ({workspace}): the front end lives in "
        f"{FRONTEND}/, next to app/."
    )
    return folder


@pytest.fixture(scope="session")
def node():
    """Node and npm (a shiplings.npm.Node); without them, or too old, the check cannot run."""
    from shiplings import npm

    return npm.require_node()


@pytest.fixture
def node_modules(frontend, node):
    """frontend/node_modules as `npm ci` installs it: npm runs once per lock file, then it is copied."""
    from shiplings import npm

    try:
        return npm.ensure_dependencies(frontend, node)
    except npm.InstallFailed as failure:
        raise AssertionError(failure.learner_message(f"{FRONTEND}/")) from None
