"""The `shiplings` command: one module per command under shiplings/commands/."""

from __future__ import annotations

import sys
from typing import Annotated

from shiplings.prelaunch import prelaunch

# before the heavy imports below: a check's pytest process starts while they load
prelaunch(sys.argv[1:])

import typer  # noqa: E402

from shiplings.commands import check, diff, doctor, hint, lab, restore, start, watch  # noqa: E402
from shiplings.commands import list as list_command  # noqa: E402
from shiplings.commands.dev import dev_app  # noqa: E402
from shiplings.commands.site import site_app  # noqa: E402

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
        lab.lab(no_browser=no_browser, port=port)


app.command("lab")(lab.lab)
app.command("list")(list_command.list_lessons)
app.command("check")(check.check)
app.command("watch")(watch.watch)
app.command("hint")(hint.hint)
app.command("start")(start.start)
app.command("next")(start.next_lesson)
app.command("solve")(start.solve)
app.command("diff")(diff.diff)
app.command("restore")(restore.restore)
app.command("doctor")(doctor.doctor)
app.add_typer(dev_app, name="dev")
app.add_typer(site_app, name="site")


def main() -> None:
    app()
