"""The `shiplings` command: one module per command under shiplings/commands/.

A command's module is imported only when that command runs (or for --help): importing all
of them costs more than most commands do, and `hint` should answer at once.
"""

from __future__ import annotations

import os
import sys
from importlib import import_module
from typing import Annotated

from shiplings.prelaunch import prelaunch

# before the heavy imports below: a check's pytest process starts while they load
HEAD_START = prelaunch(sys.argv[1:])

# pydantic looks up installed plugins the first time it builds a model: ~0.1 s of scanning
# every package's entry points, in this process and in every check's pytest process.
# The course uses no pydantic plugin.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

import typer  # noqa: E402

# command -> (module under shiplings.commands, its function), in the order --help lists them
COMMANDS = {
    "lab": ("lab", "lab"),
    "list": ("list", "list_lessons"),
    "check": ("check", "check"),
    "watch": ("watch", "watch"),
    "hint": ("hint", "hint"),
    "start": ("start", "start"),
    "next": ("start", "next_lesson"),
    "solve": ("start", "solve"),
    "diff": ("diff", "diff"),
    "restore": ("restore", "restore"),
    "doctor": ("doctor", "doctor"),
    "join": ("join", "join"),
    "up": ("up", "up"),
}
GROUPS = {"dev": ("dev", "dev_app"), "site": ("site", "site_app"), "board": ("board", "board_app")}


def _load(module: str, name: str):
    return getattr(import_module(f"shiplings.commands.{module}"), name)


def build(only: str | None = None) -> typer.Typer:
    """The CLI with every command, or with `only` that one (what --help lists needs them all)."""
    app = typer.Typer(
        name="shiplings",
        help="A course: FastAPI + Vue 3 from a --reload prototype to production. "
        "Run without a command to open JupyterLab on your next lesson.",
        invoke_without_command=True,
        no_args_is_help=False,
        add_completion=False,
        rich_markup_mode="rich",
    )

    @app.callback()
    def default(
        context: typer.Context,
        no_browser: Annotated[bool, typer.Option("--no-browser", help="With no command: only print JupyterLab's URL.")]
        = False,
        port: Annotated[int, typer.Option(help="With no command: JupyterLab's port; 0 picks a free one.")] = 0,
    ) -> None:
        """With no command, open the course in JupyterLab (same as `shiplings lab`)."""
        if context.invoked_subcommand is None:
            _load("lab", "lab")(no_browser=no_browser, port=port)

    for name, (module, function) in COMMANDS.items():
        if only in (None, name):
            app.command(name)(_load(module, function))
    for name, (module, group) in GROUPS.items():
        if only in (None, name):
            app.add_typer(_load(module, group), name=name)
    return app


def __getattr__(name: str):
    if name == "app":  # the whole CLI, for tests and the site's command reference
        return build()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    wanted = sys.argv[1] if len(sys.argv) > 1 else None
    # the check command finds its head start in the context (typer.Context.obj)
    build(wanted if wanted in COMMANDS or wanted in GROUPS else None)(obj=HEAD_START)
