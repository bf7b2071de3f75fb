"""shiplings diff: your workspace against a lesson's solution."""

from __future__ import annotations

import difflib
from typing import Annotated

import typer
from rich.text import Text

from shiplings import backups
from shiplings.commands import common
from shiplings.overlays import read_text, snapshot_tree


def unified_diff(theirs: str | None, ours: str | None, name: str) -> str:
    if theirs is None or ours is None:
        return f"(binary file {name} differs)\n"
    # lines without their endings: a last line with no newline must not run into the next
    return "\n".join(difflib.unified_diff(
        theirs.splitlines(), ours.splitlines(),
        fromfile=f"yours/{name}", tofile=f"solution/{name}", lineterm="",
    )) + "\n"


DIFF_STYLES = {"+": "green", "-": "red", "@": "cyan"}


def colored(unified: str) -> Text:
    """A unified diff as Rich text, colored line by line.

    Plain Text (not a Syntax panel): code is never cut at the console's width, so
    `shiplings diff 07 > file` keeps every line whole.
    """
    text = Text()
    for line in unified.splitlines():
        header = line.startswith(("+++", "---"))
        text.append(line + "\n", style="bold" if header else DIFF_STYLES.get(line[:1], ""))
    text.rstrip()
    return text


def diff(
    lesson: Annotated[str | None, typer.Argument(help="Lesson number or id; default: the current lesson.")] = None,
    name_only: Annotated[bool, typer.Option("--stat", help="Only list the files that differ.")] = False,
) -> None:
    """Compare your workspace with a lesson's solution, file by file (- yours, + solution)."""
    chosen = common.lesson(lesson)
    workspace = common.require_workspace(chosen.number)
    solution = snapshot_tree(common.course(), chosen, common.root())
    mine = {path.relative_to(workspace).as_posix(): path for path in backups.app_files(workspace)}
    differing = 0
    for name in sorted(set(solution) | set(mine)):
        ours = read_text(solution[name]) if name in solution else ""
        theirs = read_text(mine[name]) if name in mine else ""
        if ours == theirs:
            continue
        differing += 1
        if name not in solution:
            label = "only in your workspace"
        elif name not in mine:
            label = "missing from your workspace"
        else:
            label = "differs"
        common.console.print(f"[bold]{name}[/]: {label}")
        if not name_only:
            # as `git diff` does: the terminal wraps a long line, and a copied line stays whole
            common.console.print(colored(unified_diff(theirs, ours, name)), soft_wrap=True)
    if differing == 0:
        common.console.print(f"Your workspace matches the solution of lesson {chosen.id}.")
