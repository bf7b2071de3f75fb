"""shiplings watch: re-run a lesson's checks whenever a workspace file is saved."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from shiplings.backups import KEEP
from shiplings.commands import common
from shiplings.commands.check import run_and_record
from shiplings.report import print_result
from shiplings.warm import WarmRunner


def needs_polling(folder: Path) -> bool:
    """File events are lost on WSL's Windows drives and on network mounts: poll there."""
    text = str(folder.resolve())
    in_wsl = "microsoft" in os.uname().release.lower() if hasattr(os, "uname") else False
    return (in_wsl and text.startswith("/mnt/")) or bool(os.environ.get("SHIPLINGS_POLL"))


# Where a check puts files of the course's own into the workspace for one run (the front-end
# lessons' specs, in frontend/src/__shiplings__/): the learner saved nothing.
CHECKS_OWN = "__shiplings__"


def relevant_in(workspace: Path) -> Callable[[object, str], bool]:
    """A watchfiles filter for app files. Only the part of a path below the workspace counts:
    a course kept in, say, ~/notebooks/ must still be watched."""
    roots = (workspace, workspace.resolve())

    def relevant(change: object, path: str) -> bool:
        changed = Path(path)
        below = next((changed.relative_to(root) for root in roots if changed.is_relative_to(root)), changed)
        return (not KEEP.intersection(below.parts) and CHECKS_OWN not in below.parts
                and not path.endswith((".pyc", ".swp", "~")))

    return relevant


# A run whose files changed while it ran is not shown; after this many in a row it is shown
# anyway, so a check that writes into the workspace itself cannot keep watch silent forever.
MOST_DROPPED = 3


def watch(
    lesson: Annotated[str | None, typer.Argument(help="Lesson number or id; default: your current lesson.")] = None,
    poll: Annotated[bool, typer.Option("--poll", help="Poll (WSL /mnt drives, network drives).")] = False,
) -> None:
    """Re-run the checks each time you save a file in the workspace (Ctrl+C stops).

    Without a lesson it follows your current lesson: after `next`, `start` or `restore`
    in another terminal, the next run checks the new lesson.
    """
    from watchfiles import watch as watch_files

    the_course = common.course()
    following = lesson is None
    chosen = common.lesson(lesson)
    workspace = common.require_workspace(chosen.number)
    warm = WarmRunner() if WarmRunner.available() else None
    force_polling = poll or needs_polling(workspace)
    common.console.print(
        f"Watching {workspace} for lesson {chosen.id}"
        + (" (it follows your current lesson)" if following else "")
        + (" (polling)" if force_polling else "")
        + ". Save a file to re-check; Ctrl+C stops."
    )
    # The watcher is running before the first check, so a save made while any check runs
    # is queued, never missed; an idle watcher wakes up every 200 ms (an empty change set).
    changes = watch_files(workspace, watch_filter=relevant_in(workspace), force_polling=force_polling,
                          poll_delay_ms=300, rust_timeout=200, yield_on_timeout=True)
    try:
        due, shown_any, dropped = True, False, 0
        while True:
            if not due:
                due = bool(next(changes))
                continue
            if shown_any and not dropped:
                common.console.rule()
            if following:
                current = common.current_lesson(the_course)
                if current.id != chosen.id:
                    common.console.print(f"Your current lesson is now [bold]{current.id}[/]: checking that one.")
                    chosen = current
            result = run_and_record(common.target(chosen.id), warm=warm)
            # changes that arrived during the run are still queued: the result is out of date;
            # so it is when `start` or `next` wrote its files and then moved the lesson on
            saved_again = bool(next(changes))
            moved_on = following and common.current_lesson(the_course).id != chosen.id
            if (saved_again or moved_on) and dropped < MOST_DROPPED:
                dropped += 1
                if not moved_on:
                    common.console.print("[dim]You saved again while the checks ran: checking your newest files.[/]")
                continue
            print_result(result, chosen.number, common.console)
            due, shown_any, dropped = False, True, 0
    except KeyboardInterrupt:
        pass
    finally:
        changes.close()
        if warm:
            warm.close()
