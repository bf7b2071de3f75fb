"""Backups of the workspace: nothing a command replaces is ever lost.

`start`, `solve`, `next` and `restore` copy the workspace's files into
<state>/backups/<timestamp>-<reason>/ before they change anything.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from shiplings.paths import state_dir

# Never part of the app, never backed up or replaced.
KEEP = {"notebooks", "node_modules", ".venv", "__pycache__", ".pytest_cache",
        ".ipynb_checkpoints", ".mypy_cache", ".ruff_cache"}


@dataclass(frozen=True)
class Backup:
    name: str
    path: Path

    @property
    def files(self) -> list[str]:
        return sorted(p.relative_to(self.path).as_posix() for p in self.path.rglob("*") if p.is_file())


def backups_dir() -> Path:
    return state_dir() / "backups"


def app_files(workspace: Path) -> list[Path]:
    """The workspace's own files, without notebooks, caches and installed packages."""
    if not workspace.is_dir():
        return []
    return sorted(
        path
        for path in workspace.rglob("*")
        if path.is_file() and not KEEP.intersection(path.relative_to(workspace).parts)
    )


def create(workspace: Path, reason: str) -> Backup | None:
    """Copy every app file of the workspace; None when there is nothing to keep."""
    files = app_files(workspace)
    if not files:
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = backups_dir() / f"{stamp}-{reason}"
    suffix = 1
    while target.exists():
        suffix += 1
        target = backups_dir() / f"{stamp}-{reason}-{suffix}"
    for path in files:
        destination = target / path.relative_to(workspace)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination)
    return Backup(target.name, target)


def listing() -> list[Backup]:
    """Backups, newest first."""
    folder = backups_dir()
    if not folder.is_dir():
        return []
    return [Backup(p.name, p) for p in sorted(folder.iterdir(), reverse=True) if p.is_dir()]


def clear_app_files(workspace: Path) -> None:
    """Remove the app files (after a backup), keeping notebooks and installed packages."""
    for path in app_files(workspace):
        path.unlink()
    # drop folders left empty, deepest first
    for folder in sorted((p for p in workspace.rglob("*") if p.is_dir()), reverse=True):
        if not KEEP.intersection(folder.relative_to(workspace).parts) and not any(folder.iterdir()):
            folder.rmdir()


def restore(backup: Backup, workspace: Path) -> None:
    clear_app_files(workspace)
    shutil.copytree(backup.path, workspace, dirs_exist_ok=True)
