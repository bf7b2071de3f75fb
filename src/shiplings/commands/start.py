"""shiplings start / solve / next: put the workspace at a lesson's known state.

Every command here reads the progress file and checks the workspace before it changes a
single file, so a problem stops it while the workspace is still as the learner left it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

from shiplings import backups, runner, spelling, state
from shiplings.commands import common
from shiplings.manifest import Lesson
from shiplings.overlays import Tree, overlay_files, snapshot_tree, starter_tree, write_tree
from shiplings.report import print_result


def say(text: str) -> None:
    """Print for the learner, each `shiplings ...` command spelled the way it runs here."""
    common.console.print(spelling.respell(text))


def stop(text: str, code: int = 2) -> NoReturn:
    common.fail(spelling.respell(text), code)


def writable_workspace(command: str) -> Path:
    """The workspace, once nothing in it stands in the way of backing it up and rewriting it."""
    workspace = common.workspace()
    if workspace.exists() and not workspace.is_dir():
        stop(f"The workspace {workspace} is a file, not a folder. Move it away, then run `{command}` again.")
    linked = backups.links(workspace)
    if linked:
        lines = "\n".join(
            f"  {path.relative_to(workspace)} -> {path.readlink()}" for path in linked
        )
        stop(
            "Nothing was changed: your workspace holds symbolic links, and shiplings does not write "
            "through them (the files behind a link would be replaced without a backup):\n"
            f"{lines}\nReplace each link by a real folder or file (a copy of what it points to), or move it "
            f"out of {workspace}, then run `{command}` again."
        )
    return workspace


def back_up(
    workspace: Path, reason: str, lesson_id: str | None, keep: backups.Backup | None = None
) -> backups.Backup | None:
    """Back the workspace's app files up (they are at lesson `lesson_id`); old backups but `keep` are pruned."""
    try:
        backup = backups.create(workspace, reason, lesson_id)
    except OSError as error:
        stop(f"Your workspace could not be backed up, so nothing was changed: {error}")
    if backup:
        pruned = backups.prune(backup, *([keep] if keep else []))
        if pruned:
            say(
                f"Removed {len(pruned)} old backup(s), keeping the newest {backups.KEEP_LAST}: "
                + ", ".join(each.name for each in pruned)
            )
    return backup


def half_written(error: OSError, backup: backups.Backup | None) -> str:
    kept = (f"Your previous files are safe in backup {backup.name}: `shiplings restore {backup.name}` "
            "brings them back." if backup else "")
    return f"Writing the lesson's files failed halfway: {error}. {kept}"


def replace_workspace(tree: Tree, reason: str, command: str, files_at: str | None) -> backups.Backup | None:
    """Back the workspace up, then make its app files exactly `tree`."""
    workspace = writable_workspace(command)
    backup = back_up(workspace, reason, files_at)
    try:
        workspace.mkdir(parents=True, exist_ok=True)
        backups.clear_app_files(workspace)
        write_tree(tree, workspace)
    except OSError as error:
        stop(half_written(error, backup))
    return backup


def tell_backup(backup: backups.Backup | None) -> None:
    if backup:
        say(
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
    files_at = state.load().current
    chosen = common.lesson(lesson)
    tree = starter_tree(common.course(), chosen, common.root())
    backup = replace_workspace(tree, f"before-start-{chosen.number}", f"shiplings start {chosen.number}", files_at)
    begin(chosen, tree, backup)


def begin(lesson: Lesson, files: Tree, backup: backups.Backup | None) -> None:
    """Record that a lesson started and tell the learner where the work is."""
    with state.update() as progress:
        progress.record(lesson.id, "start")
    say(f"[bold]Lesson {lesson.id}[/]: {lesson.title}. Your workspace is ready.")
    tell_backup(backup)
    marked = todo_files(files, lesson)
    if marked:
        say(f"Look for TODO({lesson.number}) in: " + ", ".join(marked))
    say(f"When you are done: `shiplings check {lesson.number}`.")


def solve(
    lesson: Annotated[str, typer.Argument(help="Lesson number or id, e.g. 07.")],
) -> None:
    """Set the workspace to a lesson's solved state (your files are backed up first)."""
    files_at = state.load().current
    chosen = common.lesson(lesson)
    tree = snapshot_tree(common.course(), chosen, common.root())
    backup = replace_workspace(tree, f"before-solve-{chosen.number}", f"shiplings solve {chosen.number}", files_at)
    with state.update() as progress:
        progress.current = chosen.id
    say(f"Your workspace now holds the solution of lesson {chosen.id}.")
    tell_backup(backup)


def regression_line(result: runner.RunResult) -> str:
    """One line about an earlier lesson's checks: still passing, or which fail now."""
    failing = [check.name for check in result.checks if not check.passed and not check.retired]
    if result.problem and not failing:
        return f"  [red]✗[/] {result.lesson}: the checks could not run. {result.problem.splitlines()[0]}"
    if failing:
        return f"  [red]✗[/] {result.lesson}: {len(failing)} check(s) fail now: " + "; ".join(failing)
    return f"  [green]✓[/] {result.lesson}: still passing"


def next_lesson() -> None:
    """Move on: re-check your work, then lay the next lesson's starter files over it.

    The current lesson's checks must pass; earlier lessons' checks run too, as a warning.
    Only the files the next lesson provides are replaced (after a backup); everything
    else you wrote stays as it is.
    """
    the_course = common.course()
    current = common.current_lesson(the_course)
    workspace = common.require_workspace(current.number)
    writable_workspace("shiplings next")
    earlier = the_course.before(current)
    if len(earlier) > 1:
        also = f", and lessons {earlier[0].number}-{earlier[-1].number} for anything that broke"
    else:
        also = "".join(f", and lesson {each.number} for anything that broke" for each in earlier)
    say(f"Checking lesson {current.id}{also}, before moving on...")
    # one pytest process for all of them: one import cost
    *earlier_results, result = runner.run_lessons(
        the_course, common.root(), [*earlier, current], workspace, at=current
    )
    if not result.problem or result.checks:
        with state.update() as progress:
            progress.record(current.id, "passed" if result.passed else "failed")
    for each in earlier_results:
        say(regression_line(each))
    broken = [lesson for lesson, each in zip(earlier, earlier_results, strict=True) if not each.passed]
    index = the_course.index(current)
    upcoming = the_course.lessons[index + 1] if index + 1 < len(the_course.lessons) else None
    from shiplings.board.outbox import report_run  # stdlib only; returns at once unless you joined a board
    report_run("next", result, now_on=upcoming.id if result.passed and upcoming else None)
    if not result.passed:
        print_result(result, current.number, common.console)
        skip = (f" (or `shiplings start {upcoming.number}` skips ahead with the reference solution)"
                if upcoming else "")
        stop(f"Lesson {current.id} is not done yet: its checks must pass before `shiplings next`{skip}.", code=1)
    say(f"[green]✓[/] Lesson {current.id}: all checks pass.")
    if broken:
        say(
            "[yellow]Warning:[/] checks of earlier lessons fail now (above). That does not stop you, "
            f"but fix them when you can: `shiplings check {broken[0].number}` shows the details."
        )
    if upcoming is None:
        say("That was the last lesson. Congratulations!")
        return
    overlay = overlay_files(common.root() / "lessons" / upcoming.id / "starter")
    backup = back_up(workspace, f"before-next-{upcoming.number}", current.id)
    try:
        write_tree(overlay, workspace)
    except OSError as error:
        stop(half_written(error, backup))
    begin(upcoming, overlay, backup)
