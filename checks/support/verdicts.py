"""Verdicts kept by the content of all they read, under the state folder, so a check run on an
unchanged workspace gives them again without a server or a browser.

A check that keeps a verdict names it by a digest of everything the verdict depends on (the
build, the backend, the learner's tests, the check's own files, the tools' versions); any
change makes a new name, and so a new run. Each kind keeps its newest `KEPT` records and
forgets the rest. Only a verdict that settles its check is worth keeping: a failure runs
again, since the learner is at work on it and it can come from timing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from collections.abc import Iterable
from pathlib import Path

from shiplings.paths import state_dir

KEPT = 300


def digest(*parts: object, files: Iterable[Path] = ()) -> str:
    """A name for a verdict: `parts` and the content of `files` (a missing file counts as missing)."""
    hashed = hashlib.sha256(json.dumps([str(part) for part in parts]).encode())
    for path in files:
        try:
            hashed.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
        except OSError:
            hashed.update(str(path).encode() + b"\0(none)\0")
    return hashed.hexdigest()[:32]


def folder(kind: str) -> Path:
    return state_dir() / "cache" / kind


def read(kind: str, name: str) -> object:
    """What `write` kept as `name`, or None."""
    path = folder(kind) / f"{name}.json"
    try:
        kept = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: spared by the pruning
    return kept


def write(kind: str, name: str, data: object) -> None:
    place = folder(kind)
    place.mkdir(parents=True, exist_ok=True)
    staging = place / f"{name}.{os.getpid()}.{threading.get_ident()}.part"
    staging.write_text(json.dumps(data))
    staging.replace(place / f"{name}.json")
    kept = sorted(place.glob("*.json"), key=last_used, reverse=True)
    for old in kept[KEPT:]:
        old.unlink(missing_ok=True)


def last_used(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # pruned meanwhile by another run
        return 0.0
