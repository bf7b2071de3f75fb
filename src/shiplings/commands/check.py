"""shiplings check: run a lesson's checks against the workspace."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from shiplings import state
from shiplings.commands import common
from shiplings.report import print_result
from shiplings.runner import RunResult, run_checks


def run_and_record(lesson_ref: str | None, warm=None) -> RunResult:
    """Run the checks, record progress, and return the result (shared with watch)."""
    the_course = common.course()
    lesson = common.lesson(lesson_ref)
    result = run_checks(
        the_course, common.root(), lesson, common.workspace(),
        at=common.workspace_lesson(the_course), warm=warm,
    )
    if not result.problem or result.checks:
        progress = state.load()
        progress.record(lesson.id, "passed" if result.passed else "failed")
        state.save(progress)
    return result


def check(
    lesson: Annotated[str | None, typer.Argument(help="Lesson number or id; default: the current lesson.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a machine-readable result.")] = False,
) -> None:
    """Check your workspace against a lesson's checks, one line per check.

    Exit status 0 means every check passes.
    """
    chosen = common.lesson(lesson)
    common.require_workspace(chosen.number)
    result = run_and_record(chosen.id)
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=1))
    else:
        print_result(result, chosen.number, common.console)
    raise typer.Exit(0 if result.passed else 1)
