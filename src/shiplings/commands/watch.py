"""shiplings watch: re-run a lesson's checks whenever a workspace file is saved."""

from __future__ import annotations

import os
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


def relevant(change: tuple, path: str) -> bool:
    parts = Path(path).parts
    return not KEEP.intersection(parts) and not path.endswith((".pyc", ".swp", "~"))


def watch(
    lesson: Annotated[str | None, typer.Argument(help="Lesson number or id; default: the current lesson.")] = None,
    poll: Annotated[bool, typer.Option("--poll", help="Poll (WSL /mnt drives, network drives).")] = False,
) -> None:
    """Re-run the checks each time you save a file in the workspace (Ctrl+C stops)."""
    from watchfiles import watch as watch_files

    chosen = common.lesson(lesson)
    workspace = common.require_workspace(chosen.number)
    warm = WarmRunner() if WarmRunner.available() else None
    force_polling = poll or needs_polling(workspace)
    common.console.print(
        f"Watching {workspace} for lesson {chosen.id}"
        + (" (polling)" if force_polling else "")
        + ". Save a file to re-check; Ctrl+C stops."
    )
    try:
        # The watcher is running before the first check, so a save made while any check
        # runs is queued, never missed; an idle watcher wakes up every 200 ms.
        first = True
        for changes in watch_files(workspace, watch_filter=relevant, force_polling=force_polling,
                                   poll_delay_ms=300, rust_timeout=200, yield_on_timeout=True):
            if not changes and not first:
                continue
            if not first:
                common.console.rule()
            first = False
            print_result(run_and_record(chosen.id, warm=warm), chosen.number, common.console)
    except KeyboardInterrupt:
        pass
    finally:
        if warm:
            warm.close()
