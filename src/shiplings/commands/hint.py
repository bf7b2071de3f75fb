"""shiplings hint: tiered hints, the first failing check's first.

The last `check` (or %check, or watch) saved its report; while the workspace is unchanged
since, hint reads it instead of running every check again.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.text import Text

from shiplings import spelling, state
from shiplings.commands import common
from shiplings.commands.check import latest_result
from shiplings.report import Indented, failing, numbered_code
from shiplings.runner import RunResult


def app_does_not_load(result: RunResult) -> bool:
    """No check's hint helps while the app cannot even be imported, or the run itself failed."""
    return bool(result.problem) or (result.app_error or {}).get("kind") in ("syntax", "import")


def print_load_problem(result: RunResult, number: str) -> None:
    error = result.app_error
    if error and error.get("kind") in ("syntax", "import"):
        where = f"{error['file']}:{error.get('line')}"
        common.console.print(Text.assemble(("Your app does not load", "bold red"), f" ({where}). ", error["message"]))
        if error.get("code"):
            common.console.print(Indented(numbered_code(error), 4))
        common.console.print(
            f"Fix that first: every check imports your app. Then `{spelling.command(f'check {number}')}`."
        )
    else:
        common.console.print(Text("The checks could not run:", style="bold red"))
        common.console.print(Indented(Text(spelling.respell(result.problem)), 2))


def hint(
    lesson: Annotated[str | None, typer.Argument(help="Lesson number or id; default: the current lesson.")] = None,
    level: Annotated[int, typer.Option("--level", "-l", min=1, help="Hint tier: 1 is gentle, higher says more.")] = 1,
    all_checks: Annotated[bool, typer.Option("--all", help="Hints for every check.")] = False,
) -> None:
    """Show a hint for the first failing check of a lesson; --level 2, 3 say more."""
    target = common.target(lesson)
    chosen = target.lesson
    checks = list(chosen.checks)
    with state.update() as progress:
        progress.record(chosen.id, "hint")
    if not all_checks and common.workspace().is_dir():
        result = latest_result(target)
        if result.passed:
            common.console.print(f"Every check of lesson {chosen.id} passes: no hint needed.")
            return
        if app_does_not_load(result):
            print_load_problem(result, chosen.number)
            return
        # a check that could not run (a missing tool) is not the learner's to fix: no hint for it
        to_fix = {check.test for check in failing(result)}
        blocked = [check for check in result.checks if check.cannot_run and not check.retired]
        if blocked and not to_fix:
            common.console.print(
                f"Nothing failed in your code, but {len(blocked)} check(s) of lesson {chosen.id} could not run "
                f"on this machine: {blocked[0].message.splitlines()[0]}"
            )
            common.console.print(f"`{spelling.command('doctor')}` says how to install what is missing.")
            return
        checks = [c for c in chosen.checks if c.test in to_fix][:1] or checks
    for check in checks:
        tiers = check.hints[:level]
        common.console.print(f"[bold]{escape(check.name)}[/]")
        for number, text in enumerate(tiers, start=1):
            common.console.print(Indented(Text(f"Hint {number}/{len(check.hints)}: {spelling.respell(text)}"), 2))
        if level < len(check.hints):
            more = spelling.command(f"hint {chosen.number} --level {level + 1}")
            common.console.print(f"  [dim]More: {escape(more)}[/]")
