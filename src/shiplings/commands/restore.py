"""shiplings restore: list backups, or bring one back."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from shiplings import backups
from shiplings.commands import common


def restore(
    name: Annotated[str | None, typer.Argument(help="Backup to restore; omit to list them.")] = None,
) -> None:
    """List workspace backups, or restore one (the current files are backed up first)."""
    available = backups.listing()
    if name is None:
        if not available:
            common.console.print("No backups yet: they are made whenever start, solve or next replaces files.")
            return
        table = Table("Backup", "Files")
        for backup in available:
            table.add_row(backup.name, str(len(backup.files)))
        common.console.print(table)
        common.console.print("Restore one with `shiplings restore NAME`.")
        return
    chosen = next((b for b in available if b.name == name or b.name.startswith(name)), None)
    if chosen is None:
        common.fail(f"No backup named {name!r}. `shiplings restore` lists them.")
    workspace = common.workspace()
    safety = backups.create(workspace, "before-restore")
    backups.restore(chosen, workspace)
    common.console.print(f"Restored {chosen.name} ({len(chosen.files)} files) into {workspace}.")
    if safety:
        common.console.print(f"What was there before is kept in backup [bold]{safety.name}[/].")
