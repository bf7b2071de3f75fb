"""shiplings start / solve / next: put the workspace at a lesson's known state."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from shiplings import backups, state
from shiplings.commands import common
from shiplings.manifest import Lesson
from shiplings.overlays import Tree, overlay_files, snapshot_tree, starter_tree, write_tree


def replace_workspace(tree: Tree, reason: str) -> backups.Backup | None:
    """Back the workspace up, then make its app files exactly `tree`."""
    workspace = common.workspace()
    backup = backups.create(workspace, reason)
    workspace.mkdir(parents=True, exist_ok=True)
    backups.clear_app_files(workspace)
    write_tree(tree, workspace)
    return backup


def tell_backup(backup: backups.Backup | None) -> None:
    if backup:
        common.console.print(
            f"Your previous files are kept in backup [bold]{backup.name}[/]; "
            f"`shiplings restore {backup.name}` brings them back."
        )


def todo_files(tree: Tree, lesson: Lesson) -> list[str]:
    marker = f"TODO({lesson.number})"
    found = []
    for relative, source in tree.items():
        try:
            if marker in Path(source).read_text(encoding="utf-8"):
                found.append(relative)
        except (UnicodeDecodeError, OSError):
            continue
    return found


def start(
    lesson: Annotated[str, typer.Argument(help="Lesson number or id, e.g. 07.")],
) -> None:
    """Set the workspace to the starting state of a lesson (catch up to any lesson).

    Your current files are backed up first; `shiplings restore` brings them back.
    """
    chosen = common.lesson(lesson)
    tree = starter_tree(common.course(), chosen, common.root())
    backup = replace_workspace(tree, f"before-start-{chosen.number}")
    begin(chosen, tree, backup)


def begin(lesson: Lesson, files: Tree, backup: backups.Backup | None) -> None:
    """Record that a lesson started and tell the learner where the work is."""
    progress = state.load()
    progress.record(lesson.id, "start")
    state.save(progress)
    common.console.print(f"[bold]Lesson {lesson.id}[/]: {lesson.title}. Your workspace is ready.")
    tell_backup(backup)
    marked = todo_files(files, lesson)
    if marked:
        common.console.print(f"Look for TODO({lesson.number}) in: " + ", ".join(marked))
    common.console.print(f"When you are done: `shiplings check {lesson.number}`.")


def solve(
    lesson: Annotated[str, typer.Argument(help="Lesson number or id, e.g. 07.")],
) -> None:
    """Set the workspace to a lesson's solved state (your files are backed up first)."""
    chosen = common.lesson(lesson)
    tree = snapshot_tree(common.course(), chosen, common.root())
    backup = replace_workspace(tree, f"before-solve-{chosen.number}")
    progress = state.load()
    progress.current = chosen.id
    state.save(progress)
    common.console.print(f"Your workspace now holds the solution of lesson {chosen.id}.")
    tell_backup(backup)


def next_lesson() -> None:
    """Move on: lay the next lesson's starter files over your own finished work.

    Only the files the next lesson provides are replaced (after a backup); everything
    else you wrote stays as it is.
    """
    the_course = common.course()
    current = common.current_lesson(the_course)
    index = the_course.index(current)
    if state.load().of(current.id).status != "done":
        common.fail(
            f"Lesson {current.id} is not done yet: `shiplings check {current.number}` first "
            f"(or `shiplings start {int(current.number) + 1:02d}` to skip ahead with the "
            "reference solution).",
            code=1,
        )
    if index + 1 >= len(the_course.lessons):
        common.console.print("That was the last lesson. Congratulations!")
        return
    upcoming = the_course.lessons[index + 1]
    workspace = common.require_workspace()
    overlay = overlay_files(common.root() / "lessons" / upcoming.id / "starter")
    backup = backups.create(workspace, f"before-next-{upcoming.number}")
    write_tree(overlay, workspace)
    begin(upcoming, overlay, backup)
