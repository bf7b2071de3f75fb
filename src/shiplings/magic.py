"""`%load_ext shiplings`, then `%check 07`: the same result as the CLI, inside a notebook.

The checks run in a warm helper process (forked per run), so the answer comes back in a
fraction of a second and learner code can never crash the notebook's kernel. The magic
never raises: a failing check is information, not an error in the notebook.
"""

from __future__ import annotations

import os
import sys

import typer

_warm = None


def _runner():
    global _warm
    from shiplings.warm import WarmRunner

    if _warm is None and WarmRunner.available():
        _warm = WarmRunner()
    return _warm


def check_magic(line: str) -> None:
    """%check [N]: run lesson N's checks against the workspace and show the result."""
    from IPython.display import display

    from shiplings import state
    from shiplings.commands import common
    from shiplings.commands.check import run_and_record
    from shiplings.report import NotebookReport

    ref = line.strip() or None
    if os.environ.get("SHIPLINGS_NOTEBOOK_CHECK"):
        # `shiplings dev check` executes the notebook right after proving these very checks
        # on the same workspace; running them again would only double its time
        print(f"%check {line.strip()}: skipped while `shiplings dev check` runs this notebook.")
        return
    try:
        the_course = common.course()
        progress = state.load()
        lesson = the_course.lesson(ref) if ref else common.current_lesson(the_course, progress)
        target = common.Target(the_course, lesson, common.workspace_lesson(the_course, progress))
    except KeyError as error:  # names the lessons that exist, like the CLI
        print(error.args[0], file=sys.stderr)
        return
    except typer.Exit:  # common.fail already printed why (no course.toml, say)
        return
    try:
        result = run_and_record(target, warm=_runner())
    except Exception as error:  # never take the notebook down
        print(f"The check could not run: {error}", file=sys.stderr)
        return
    display(NotebookReport(result, lesson.number))


def load_ipython_extension(ipython) -> None:
    ipython.register_magic_function(check_magic, magic_kind="line", magic_name="check")


def unload_ipython_extension(ipython) -> None:
    global _warm
    if _warm is not None:
        _warm.close()
        _warm = None
