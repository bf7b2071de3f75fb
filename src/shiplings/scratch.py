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


# A memory-backed folder is only used with this much room left: PostgreSQL's own shared
# memory lives there too, and a container's /dev/shm is often 64 MB.
FAST_ROOM = 1 << 30


def fast_dir() -> str | None:
    """A memory-backed folder (Linux's /dev/shm) for scratch folders of many small files, or
    None (the usual temporary folder) where there is none with room to spare.

    A PostgreSQL cluster is a thousand files; on a virtual machine's disk, creating them
    took 0.8 s of every server's start, in memory 0.06 s.
    """
    shm = Path("/dev/shm")
    try:
        usage = shutil.disk_usage(shm)
    except OSError:  # macOS, or no such folder
        return None
    return str(shm) if usage.free >= FAST_ROOM and os.access(shm, os.W_OK | os.X_OK) else None


def sweep(folder: Path | None = None) -> list[Path]:
    """Remove this user's scratch folders whose owner process has ended; return them.

    Without `folder`: those in the usual temporary folder and in fast_dir().
    """
    if folder is None:
        fast = fast_dir()
        return sweep(Path(tempfile.gettempdir())) + (sweep(Path(fast)) if fast else [])
    removed = []
    for path in Path(folder).glob("shiplings-*"):
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
