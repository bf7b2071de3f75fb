"""shiplings restore: list backups, or bring one back (and the lesson its files are at)."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from shiplings import backups, state
from shiplings.commands import common
from shiplings.commands.start import back_up, half_written, say, stop, writable_workspace


def show_backups(available: list[backups.Backup]) -> None:
    if not available:
        say("No backups yet: they are made whenever start, solve, next or restore replaces files.")
        return
    table = Table("Backup", "Lesson", "Made", "Files")
    for backup in available:
        table.add_row(
            backup.name,
            backup.lesson or "[dim]not recorded[/]",
            time.strftime("%Y-%m-%d %H:%M", time.localtime(backup.created)),
            str(len(backup.files)),
        )
    common.console.print(table)
    say(
        "Restore one with `shiplings restore NAME`: your files go back to that backup and your "
        f"current lesson to the one it holds. The newest {backups.KEEP_LAST} backups are kept."
    )


def find(available: list[backups.Backup], name: str) -> backups.Backup:
    exact = [backup for backup in available if backup.name == name]
    matches = exact or [backup for backup in available if backup.name.startswith(name)]
    if not matches:
        stop(f"No backup named {name!r}. `shiplings restore` lists them.")
    if len(matches) > 1:
        stop(
            f"{name!r} matches {len(matches)} backups: " + ", ".join(backup.name for backup in matches)
            + ". Give more of the name."
        )
    return matches[0]


def restore(
    name: Annotated[str | None, typer.Argument(help="Backup to restore; omit to list them.")] = None,
) -> None:
    """List workspace backups, or restore one (the current files are backed up first).

    Restoring also sets your current lesson to the lesson the backup's files are at.
    """
    available = backups.listing()
    if name is None:
        show_backups(available)
        return
    chosen = find(available, name)
    files_at = state.load().current
    the_course = common.course()
    try:
        lesson = the_course.lesson(chosen.lesson) if chosen.lesson else None
    except KeyError:  # the course no longer has that lesson
        lesson = None
    workspace = writable_workspace(f"shiplings restore {chosen.name}")
    safety = back_up(workspace, "before-restore", files_at, keep=chosen)
    try:
        backups.restore(chosen, workspace)
    except OSError as error:
        stop(half_written(error, safety))
    say(f"Restored {chosen.name} ({len(chosen.files)} files) into {workspace}.")
    if lesson:
        with state.update() as progress:
            progress.current = lesson.id
        say(
            f"Your current lesson is now [bold]{lesson.id}[/] ({escape(lesson.title)}), the lesson these files are at: "
            f"`shiplings check` checks it."
        )
    else:
        say(
            f"This backup does not record which lesson its files are at, so your current lesson stays "
            f"{files_at or 'unset'}. `shiplings check NN` checks these files against lesson NN."
        )
    if safety:
        say(f"What was there before is kept in backup [bold]{safety.name}[/].")
