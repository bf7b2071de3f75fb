"""Backups of the workspace: nothing a command replaces is ever lost.

`start`, `solve`, `next` and `restore` copy the workspace's files into
<state>/backups/<timestamp>-<reason>/ before they change anything. Each backup also
records, in a small metadata file of its own, which lesson its files hold, so that
`restore` can put the learner's progress back at that lesson too.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ValidationError

from shiplings.paths import state_dir

# Never part of the app, never backed up or replaced (.git: a learner who keeps the workspace
# in git keeps its history across start and solve, and sees what they changed as a diff).
# dist: the front end's build output, which every check of lessons 12 on writes again; as
# part of the app it made each saved report stale at once and woke watch mode after each run.
KEEP = {"notebooks", "node_modules", ".venv", "__pycache__", ".pytest_cache",
        ".ipynb_checkpoints", ".mypy_cache", ".ruff_cache", ".git", "dist"}

# Inside each backup folder, beside the files: not one of them, never restored.
METADATA = ".shiplings-backup.json"

# How many backups are kept; older ones are removed when a new one is made.
KEEP_LAST = 20


class BackupInfo(BaseModel):
    lesson: str | None = None  # the lesson the backed-up files were at, when known
    created: float
    reason: str = ""


@dataclass(frozen=True)
class Backup:
    name: str
    path: Path

    @property
    def files(self) -> list[str]:
        return sorted(
            relative
            for p in self.path.rglob("*")
            if p.is_file() and (relative := p.relative_to(self.path).as_posix()) != METADATA
        )

    @property
    def info(self) -> BackupInfo | None:
        """What the backup records about itself; None for backups made before it recorded anything."""
        try:
            return BackupInfo.model_validate_json((self.path / METADATA).read_text(encoding="utf-8"))
        except (OSError, ValueError, ValidationError):
            return None

    @property
    def lesson(self) -> str | None:
        info = self.info
        return info.lesson if info else None

    @property
    def created(self) -> float:
        info = self.info
        if info:
            return info.created
        try:  # older backups: the time is the start of their name
            return time.mktime(time.strptime(self.name[:15], "%Y%m%d-%H%M%S"))
        except ValueError:
            return self.path.stat().st_mtime


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


def links(workspace: Path) -> list[Path]:
    """Symbolic links among the workspace's app files and folders (dangling ones too).

    A backup does not follow a linked folder, and writing a lesson's files through a link
    would change files outside the workspace: commands refuse to run while there is one.
    """
    if not workspace.is_dir():
        return []
    found = []
    for folder, subfolders, files in os.walk(workspace):
        relative = Path(folder).relative_to(workspace)
        subfolders[:] = [name for name in subfolders if name not in KEEP]
        for name in [*subfolders, *files]:
            path = Path(folder) / name
            if path.is_symlink() and not KEEP.intersection((relative / name).parts):
                found.append(path)
    return sorted(found)


def create(workspace: Path, reason: str, lesson: str | None = None) -> Backup | None:
    """Copy every app file of the workspace; None when there is nothing to keep.

    `lesson` is the lesson those files are at. The copy is made in a hidden folder and
    renamed when complete, so a backup that failed halfway never shows up as one.
    """
    files = app_files(workspace)
    if not files:
        return None
    folder = backups_dir()
    folder.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(dir=folder, prefix=".partial-"))
    try:
        for path in files:
            destination = partial / path.relative_to(workspace)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)
        info = BackupInfo(lesson=lesson, created=time.time(), reason=reason)
        (partial / METADATA).write_text(info.model_dump_json(), encoding="utf-8")
        return Backup(*_move_into_place(partial, f"{time.strftime('%Y%m%d-%H%M%S')}-{reason}"))
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def _move_into_place(partial: Path, name: str) -> tuple[str, Path]:
    suffix = 1
    while True:
        target = partial.parent / (name if suffix == 1 else f"{name}-{suffix}")
        if not target.exists():
            try:
                partial.rename(target)
                return target.name, target
            except OSError:
                if not target.exists():
                    raise
        suffix += 1  # another command made a backup with the same name this second


def listing() -> list[Backup]:
    """Backups, newest first."""
    folder = backups_dir()
    if not folder.is_dir():
        return []
    found = [Backup(p.name, p) for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return sorted(found, key=lambda backup: (backup.created, backup.name), reverse=True)


def prune(*keep: Backup) -> list[Backup]:
    """Remove all but the KEEP_LAST newest backups, never those in `keep` (the one just made,
    the one being restored). Returns the removed ones."""
    kept = {backup.path for backup in keep}
    removed = [backup for backup in listing()[KEEP_LAST:] if backup.path not in kept]
    for backup in removed:
        shutil.rmtree(backup.path, ignore_errors=True)
    return removed


def clear_app_files(workspace: Path) -> None:
    """Remove the app files (after a backup), keeping notebooks and installed packages."""
    for path in app_files(workspace):
        path.unlink()
    # drop folders left empty, deepest first (a link to a folder is not a folder of ours)
    for folder in sorted((p for p in workspace.rglob("*") if p.is_dir() and not p.is_symlink()), reverse=True):
        if not KEEP.intersection(folder.relative_to(workspace).parts) and not any(folder.iterdir()):
            folder.rmdir()


def restore(backup: Backup, workspace: Path) -> None:
    """Make the workspace's app files exactly the backup's files."""
    clear_app_files(workspace)
    for relative in backup.files:
        destination = workspace / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(backup.path / relative, destination)
