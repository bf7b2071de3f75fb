"""shiplings check: run a lesson's checks against the workspace."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Annotated

import typer

from shiplings import backups, state
from shiplings.commands import common
from shiplings.manifest import Lesson
from shiplings.paths import state_dir
from shiplings.report import print_result
from shiplings.runner import CheckOutcome, Launch, RunResult, run_checks


def run_and_record(target: common.Target, warm=None, head_start: Launch | None = None) -> RunResult:
    """Run the checks, record progress and the report, and return the result (shared with watch)."""
    # taken before the run: a file saved while the checks run makes this report stale
    before = fingerprint(common.workspace(), target.at)
    result = run_checks(target.course, common.root(), target.lesson, common.workspace(),
                        at=target.at, warm=warm, head_start=head_start)
    save_last_report(result, before)
    if (not result.problem or result.checks) and not only_blocked(result):
        with state.update() as progress:
            progress.record(target.lesson.id, "passed" if result.passed else "failed")
    from shiplings.board.outbox import report_run  # stdlib only; returns at once unless you joined a board
    report_run("check", result)
    return result


def only_blocked(result: RunResult) -> bool:
    """Nothing failed, but a check could not run (a missing tool): the lesson is neither
    passed nor failing, so its progress is left as it was."""
    active = [check for check in result.checks if not check.retired]
    return (not result.problem and any(check.cannot_run for check in active)
            and all(check.passed or check.cannot_run for check in active))


# Files an app writes while it runs (a development SQLite database, logs): they change
# without changing what the checks say, so they do not make a saved report stale.
RUNTIME_DATA = (".db", ".db-journal", ".db-wal", ".db-shm", ".sqlite", ".sqlite3", ".log")


def fingerprint(workspace: Path, at: Lesson | None) -> str:
    """What a check result depends on, cheaply: the app's and the checks' file names, sizes
    and modification times, and the lesson the workspace is at (retired checks)."""
    root = common.root()
    app = [path for path in backups.app_files(workspace) if not path.name.endswith(RUNTIME_DATA)]
    checks = sorted((root / "checks").rglob("*.py"))
    entries: list = [at.id if at else None]
    for base, paths in ((workspace, app), (root, [root / "course.toml", *checks])):
        for path in paths:
            try:
                info = path.stat()
            except OSError:  # deleted while we looked: the next look sees the change
                continue
            entries.append([path.relative_to(base).as_posix(), info.st_size, info.st_mtime_ns])
    return hashlib.sha256(json.dumps(entries).encode()).hexdigest()


def last_report_path(lesson_id: str) -> Path:
    return state_dir() / f"last-report-{lesson_id}.json"


def save_last_report(result: RunResult, workspace_fingerprint: str) -> None:
    """Keep the report for `hint`, which then answers without running the checks again."""
    path = last_report_path(result.lesson)
    data = {"fingerprint": workspace_fingerprint, "result": result.to_json()}
    # write then rename: watch and %check may save at the same time, and a reader never
    # sees half a file
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps(data), encoding="utf-8")
        os.replace(temporary, path)
    except OSError:  # a state folder that cannot be written only costs hint its head start
        pass


def load_last_report(lesson_id: str, workspace_fingerprint: str) -> RunResult | None:
    """The saved report of a lesson, if the workspace has not changed since; else None."""
    try:
        data = json.loads(last_report_path(lesson_id).read_text(encoding="utf-8"))
        if data["fingerprint"] != workspace_fingerprint:
            return None
        saved = dict(data["result"])
        saved.pop("passed", None)  # derived, not a field
        saved["checks"] = [CheckOutcome(**check) for check in saved["checks"]]
        return RunResult(**saved)
    except (OSError, ValueError, KeyError, TypeError):  # none yet, or written by another version
        return None


def latest_result(target: common.Target) -> RunResult:
    """The last report while the workspace is unchanged since it was made, else a fresh run."""
    now = fingerprint(common.workspace(), target.at)
    saved = load_last_report(target.lesson.id, now)
    if saved is not None:
        return saved
    result = run_checks(target.course, common.root(), target.lesson, common.workspace(), at=target.at)
    save_last_report(result, now)
    return result


def check(
    context: typer.Context,
    lesson: Annotated[str | None, typer.Argument(help="Lesson number or id; default: the current lesson.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a machine-readable result.")] = False,
) -> None:
    """Check your workspace against a lesson's checks, one line per check.

    Exit status 0 means every check passes.
    """
    # the run shiplings.prelaunch started while the CLI was importing, if any (see cli.main)
    head_start = context.obj if isinstance(context.obj, Launch) else None
    target = common.target(lesson)
    common.require_workspace(target.lesson.number)
    result = run_and_record(target, head_start=head_start)
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=1))
    else:
        print_result(result, target.lesson.number, common.console)
    raise typer.Exit(0 if result.passed else 1)
