"""shiplings hint: tiered hints, the first failing check's first."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from shiplings import state
from shiplings.commands import common
from shiplings.runner import run_checks


def hint(
    lesson: Annotated[str | None, typer.Argument(help="Lesson number or id; default: the current lesson.")] = None,
    level: Annotated[int, typer.Option("--level", "-l", min=1, help="Hint tier: 1 is gentle, higher says more.")] = 1,
    all_checks: Annotated[bool, typer.Option("--all", help="Hints for every check.")] = False,
) -> None:
    """Show a hint for the first failing check of a lesson; --level 2, 3 say more."""
    the_course = common.course()
    chosen = common.lesson(lesson)
    checks = list(chosen.checks)
    if not all_checks and common.workspace().is_dir():
        result = run_checks(the_course, common.root(), chosen, common.workspace(),
                            at=common.workspace_lesson(the_course))
        failing = [c.test for c in result.checks if not c.passed and not c.retired]
        if result.passed:
            common.console.print(f"Every check of lesson {chosen.id} passes: no hint needed.")
            return
        checks = [c for c in chosen.checks if c.test in failing][:1] or checks
    for check in checks:
        tiers = check.hints[:level]
        common.console.print(f"[bold]{escape(check.name)}[/]")
        for number, text in enumerate(tiers, start=1):
            common.console.print(f"  Hint {number}/{len(check.hints)}: {escape(text)}")
        if level < len(check.hints):
            common.console.print(
                f"  [dim]More: shiplings hint {chosen.number} --level {level + 1}[/]"
            )
    progress = state.load()
    progress.record(chosen.id, "hint")
    state.save(progress)
