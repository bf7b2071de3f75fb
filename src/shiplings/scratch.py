"""Scratch folders that do not outlive the process that made them.

Each folder's name carries its owner's process id: shiplings-<kind>-<pid>-<random>. A check
killed with SIGKILL cannot clean up after itself, so whoever makes the next folder first
removes the folders whose owner is gone.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from pathlib import Path

OWNED = re.compile(r"^shiplings-[a-z]+-(\d+)-")

_swept = False


def prefix(kind: str) -> str:
    """A tempfile prefix for a new scratch folder of this process (sweeping leftovers once)."""
    global _swept
    if not _swept:
        _swept = True
        sweep()
    return f"shiplings-{kind}-{os.getpid()}-"


def sweep(folder: Path | None = None) -> list[Path]:
    """Remove this user's scratch folders whose owner process has ended; return them."""
    removed = []
    for path in Path(folder or tempfile.gettempdir()).glob("shiplings-*"):
        match = OWNED.match(path.name)
        try:
            if not match or path.is_symlink() or path.lstat().st_uid not in _owners() or _alive(int(match[1])):
                continue
        except OSError:  # removed meanwhile
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _owners() -> set[int]:
    """Whose folders this process may sweep: its own, and as root PostgreSQL's too (the
    course hands a cluster's folder to the postgres user, which initdb and postgres need)."""
    owners = {os.getuid()}
    if owners == {0}:
        import pwd

        with contextlib.suppress(KeyError):
            owners.add(pwd.getpwnam("postgres").pw_uid)
    return owners


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
