"""One process at a time: an exclusive lock on a file, held for a block."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Wait until no other process holds `path`'s lock, then hold it for the block.

    The kernel lets go when the holder ends, however it ends: a killed check leaves no
    stale lock behind.
    """
    import fcntl  # POSIX only, like the course (Windows learners work in WSL)

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
