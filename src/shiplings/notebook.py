"""Helpers for lesson notebooks: experiments against the learner's own app.

Notebooks never embed solution code: they import the learner's workspace as it is
right now and poke at it.

    from shiplings.notebook import open_app, serve, show_file

    async with open_app() as client:          # in-process, lifespan running
        r = await client.get("/tasks")

    with serve("main:app", "--reload") as url:  # a real uvicorn on a free port
        httpx.get(url + "/tasks")

    databases = ScratchDatabases("lesson06-")   # once the app has migrations
    app = create_app(databases.new("a.db"), environment="test")
"""

from __future__ import annotations

import contextlib
import importlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from shiplings import services, testing
from shiplings.paths import workspace_dir
from shiplings.testing import import_fresh  # noqa: F401  (notebooks import it from here)


def workspace() -> Path:
    """The learner's app folder (the same one `shiplings check` tests)."""
    os.environ.setdefault("SHIPLINGS_WORKSPACE", str(workspace_dir()))
    return testing.workspace()


def load_app():
    """The learner's FastAPI app, imported afresh from the files as saved now."""
    workspace()
    return testing.load_app()


def sqlite_url(database: Path) -> str:
    return f"sqlite+aiosqlite:///{database}"


def alembic(name: str, *args, url: str, **options) -> str:
    """Alembic's command `name` on the database at url, as `alembic NAME ARGS` would run it.

    alembic("upgrade", "head", url=...) is `TASKS_DATABASE_URL=... alembic upgrade head` in
    the workspace, with its migrations as saved now, run in this process through Alembic's
    Python API (quicker than a new process each time); in a thread, because
    migrations/env.py runs an event loop of its own. Returns what the command printed.
    """
    import io
    import logging

    from alembic import command
    from alembic.config import Config

    load_app()  # migrations/env.py imports the app: read its files as they are now
    printed = io.StringIO()
    config = Config(str(workspace() / "alembic.ini"), stdout=printed)
    config.output_buffer = printed  # where --sql writes its SQL
    config.set_main_option("sqlalchemy.url", url)
    config.attributes["configure_logger"] = False
    log = logging.getLogger("alembic")
    handler = logging.StreamHandler(printed)
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        with ThreadPoolExecutor(1) as thread:
            thread.submit(getattr(command, name), config, *args, **options).result()
    finally:
        log.removeHandler(handler)
    chatter = ("Context impl", "Will assume")  # what every command says first
    return "\n".join(line for line in printed.getvalue().strip().splitlines() if not line.startswith(chatter))


def migrate(database: Path) -> None:
    """`alembic upgrade head` on a SQLite file, with the workspace's migrations as saved now."""
    alembic("upgrade", "head", url=sqlite_url(database))


class ScratchDatabases:
    """Fresh, migrated SQLite databases for a notebook's experiments, in a scratch folder.

    The migrations run once, into a template; each new() database is a copy of it, so an
    experiment starts from an empty, migrated schema in about a millisecond.
    """

    def __init__(self, prefix: str) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix=prefix))
        self.template = self.folder / "template.db"
        migrate(self.template)

    def new(self, name: str) -> Path:
        database = self.folder / name
        shutil.copyfile(self.template, database)
        return database


def create_app(database: Path, *, reload: bool = True, **settings):
    """A new app from the learner's create_app(), on `database`, with these settings.

    reload=True reads the workspace's files as saved now; reload=False keeps the modules
    already imported (a dependency override must use the same module objects as the app).
    """
    if reload:
        load_app()
    config = importlib.import_module("app.core.config")
    main = importlib.import_module("app.main")
    options = {"database_url": sqlite_url(database), **settings}
    return main.create_app(config.Settings(_env_file=None, **options))


@contextlib.asynccontextmanager
async def open_app(app=None, *, raise_app_exceptions: bool = False) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx.AsyncClient wired to the app in-process, its lifespan running."""
    app = app if app is not None else load_app()
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


@contextlib.contextmanager
def serve(target: str | None = None, *options: str, env: dict[str, str] | None = None,
          wait: float = 20.0) -> Iterator[str]:
    """Run `uvicorn TARGET OPTIONS` in the workspace on a free port; yield its base URL.

    The server is a real process, stopped when the block ends.
    """
    folder = workspace()
    target = target or f"{testing.entry_module(folder)}:app"
    command = ["uvicorn", target, "--host", "127.0.0.1", "--port", "{port}", *options]
    with services.app_server(command, cwd=folder, env=env, timeout=wait, grace=5) as running:
        yield running.url


def todos(marker: str) -> None:
    """Print each line of the workspace's Python files that holds `marker`, e.g. "TODO(03)"."""
    root, found = workspace(), 0
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if relative.parts[0] in ("notebooks", ".venv") or "__pycache__" in relative.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if marker in line:
                found += 1
                print(f"{relative}:{number}  {line.strip()}")
    print(f"\n{found} {marker} marker(s) left." if found else f"No {marker} marker left.")


def show_file(relative: str, start: int | None = None, end: int | None = None):
    """Display a workspace file (or some of its lines) with syntax highlighting."""
    from IPython.display import Code

    text = (workspace() / relative).read_text(encoding="utf-8")
    if start or end:
        text = "\n".join(text.splitlines()[(start or 1) - 1 : end])
    return Code(text, language="python")


# --------------------------------------------------------------------------- plots
# What a notebook measures, drawn: people compare bars faster than columns of numbers.

COLOURS = ["#00897b", "#ef6c00", "#5e35b1", "#6d4c41", "#1e88e5"]


def plot_measurements(rows: dict[str, dict[str, float]], *, title: str, baseline: str | None = None) -> None:
    """Horizontal bars, one panel per measured quantity and one bar per row, each value
    written at its bar's end; `baseline` (a row) is drawn as a dashed line to compare with.

        plot_measurements({"dev": {"requests/s": 3500, "CPU cores": 1.0},
                           "2 workers": {"requests/s": 6600, "CPU cores": 1.9}},
                          title="GET /health, 64 connections", baseline="dev")
    """
    import matplotlib.pyplot as plt

    names = list(rows)
    quantities = list(dict.fromkeys(quantity for row in rows.values() for quantity in row))
    figure, axes = plt.subplots(1, len(quantities), figsize=(4.2 * len(quantities) + 2.2, 0.55 * len(names) + 1.2),
                                sharey=True, squeeze=False)
    for axis, quantity in zip(axes[0], quantities, strict=True):
        values = [rows[name].get(quantity, 0.0) for name in names]
        positions = range(len(names))[::-1]  # the first row on top
        axis.barh(positions, values, color=[COLOURS[i % len(COLOURS)] for i in range(len(names))], height=0.6)
        top = max(values) or 1.0
        for position, value in zip(positions, values, strict=True):
            axis.text(value + top * 0.02, position, f"{value:,.0f}" if top >= 100 else f"{value:.2f}", va="center")
        if baseline in rows:
            axis.axvline(rows[baseline].get(quantity, 0.0), color="#555", linestyle="--", linewidth=1)
        axis.set_xlim(0, top * 1.25)
        axis.set_title(quantity, loc="left", fontsize=10)
        axis.spines[["top", "right"]].set_visible(False)
    axes[0][0].set_yticks(range(len(names))[::-1], names)
    figure.suptitle(title, x=0.01, ha="left", fontsize=11)
    figure.tight_layout()
    plt.show()


def plot_answer_times(runs: dict[str, list[float]], *, title: str,
                      xlabel: str = "seconds after they were sent") -> None:
    """One panel per run: requests sent at the same moment, each a bar that ends when its
    answer came. Served at once, the bars end together; served in turn, they form a staircase."""
    import matplotlib.pyplot as plt

    longest = max((max(times) for times in runs.values() if times), default=1.0)
    figure, axes = plt.subplots(len(runs), 1, figsize=(8, 1.5 * len(runs) + 0.8), sharex=True, squeeze=False)
    for index, (axis, (label, times)) in enumerate(zip(axes[:, 0], runs.items(), strict=True)):
        ordered = sorted(times)
        axis.barh(range(len(ordered)), ordered, height=0.8, color=COLOURS[index % len(COLOURS)])
        axis.set_title(label, loc="left", fontsize=10)
        axis.set_yticks([])
        axis.set_ylabel(f"{len(ordered)} requests", fontsize=9)
        axis.set_xlim(0, longest * 1.05)
        axis.spines[["top", "right", "left"]].set_visible(False)
    axes[-1, 0].set_xlabel(xlabel)
    figure.suptitle(title, x=0.01, ha="left", fontsize=11)
    figure.tight_layout()
    plt.show()
