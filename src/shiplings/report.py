"""How a check result looks to a learner: one line per check, then what to do."""

from __future__ import annotations

from rich.console import Console, Group
from rich.markup import escape
from rich.padding import Padding
from rich.syntax import Syntax
from rich.text import Text

from shiplings.runner import RunResult

MARKS = {
    "passed": "[green]✓[/]",
    "failed": "[red]✗[/]",
    "timeout": "[red]⏱[/]",
    "error": "[red]✗[/]",
    "missing": "[magenta]?[/]",
    "skipped": "[dim]-[/]",
}


def render(result: RunResult, number: str) -> Group:
    """The whole report as a Rich renderable (the CLI prints it, %check displays it)."""
    parts: list = [Text.from_markup(f"[bold]Lesson {escape(result.lesson)}[/]: {escape(result.title)}")]
    if result.problem:
        parts.append(Padding(Text(result.problem, style="red"), (0, 0, 0, 2)))
    if result.app_error:
        parts.append(_app_error(result.app_error))
    for check in result.checks:
        mark = MARKS.get(check.outcome, "?")
        line = Text.from_markup(f"  {mark} {escape(check.name)}")
        if check.retired:
            line.append("  (retired by a later lesson)", style="dim")
        parts.append(line)
        # one app error explains every failure; no need to repeat it per check
        if not check.passed and not check.retired and not result.app_error:
            if check.message:
                parts.append(Padding(Text(check.message), (0, 0, 0, 6)))
    passed = sum(check.passed for check in result.checks)
    total = sum(not check.retired for check in result.checks)
    if result.passed:
        parts.append(Text.from_markup(
            f"\n[bold green]All {total} checks pass[/] ({result.duration:.1f} s). "
            "Well done: on to the next lesson with `shiplings next`."
        ))
    else:
        parts.append(Text.from_markup(
            f"\n[bold]{passed}/{total} checks pass[/] ({result.duration:.1f} s). "
            f"Stuck? `shiplings hint {number}` shows a hint for the first failing check."
        ))
    return Group(*parts)


def _app_error(error: dict) -> Group:
    items: list = [Text.from_markup(f"  [bold red]Your app does not load.[/] {escape(error['message'])}")]
    if error.get("code"):
        items.append(Padding(
            Syntax(error["code"].strip("\n"), "python", line_numbers=True,
                   start_line=error.get("line") or 1, theme="ansi_dark"),
            (0, 0, 0, 4),
        ))
    items.append(Text(f"    Fix {error['file']} line {error.get('line')}, save, and check again.\n"))
    return Group(*items)


def print_result(result: RunResult, number: str, console: Console | None = None) -> None:
    (console or Console()).print(render(result, number))
