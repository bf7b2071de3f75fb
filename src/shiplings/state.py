"""The learner's progress: which lesson they are on, what passed, time spent.

A small JSON file in the git-ignored state folder. Time spent is counted from activity
(start, check, hint): gaps longer than IDLE_GAP between two events count as IDLE_GAP,
so a lunch break does not count as a two-hour lesson.

Several shiplings processes can run at once (a terminal with `watch`, a notebook with
`%check`, another terminal with `next`), so the file is written atomically and every
read-modify-write goes through `update()`, which holds a lock on a file beside it.
A file that is not valid progress is kept aside, never silently dropped.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from shiplings import spelling
from shiplings.paths import state_dir

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; atomic writes still keep the file whole
    fcntl = None

IDLE_GAP = 15 * 60

Status = Literal["not started", "started", "failing", "done"]


class LessonProgress(BaseModel):
    status: Status = "not started"
    seconds: float = Field(default=0.0, ge=0)
    last_event: float = 0.0
    checks_run: int = Field(default=0, ge=0)
    passed_at: float | None = None


class Progress(BaseModel):
    current: str | None = None
    lessons: dict[str, LessonProgress] = Field(default_factory=dict)

    def of(self, lesson_id: str) -> LessonProgress:
        return self.lessons.setdefault(lesson_id, LessonProgress())

    def record(self, lesson_id: str, event: str, now: float | None = None) -> None:
        """Count activity time and move the lesson's status along."""
        now = now or time.time()
        progress = self.of(lesson_id)
        if progress.last_event:
            progress.seconds += min(max(now - progress.last_event, 0.0), IDLE_GAP)
        progress.last_event = now
        if event == "start":
            self.current = lesson_id
            if progress.status == "not started":
                progress.status = "started"
        elif event in ("passed", "failed"):
            progress.checks_run += 1
            if event == "passed":
                progress.status = "done"
                progress.passed_at = progress.passed_at or now
            elif progress.status != "done":
                progress.status = "failing"


def state_file() -> Path:
    return state_dir() / "state.json"


def load() -> Progress:
    """The saved progress; fresh progress when there is none or the file is not valid."""
    progress = _parse(state_file())
    if progress is None:
        # set the bad file aside under the lock, so a writer's new file is never mistaken for it
        with _lock():
            progress = _load_locked()
    return progress


def save(progress: Progress) -> None:
    """Replace the saved progress. To change it, prefer `update()`: it cannot lose a concurrent change."""
    with _lock():
        _write(progress)


@contextmanager
def update() -> Iterator[Progress]:
    """`with state.update() as progress:` loads, lets you change, and saves, under one lock."""
    with _lock():
        progress = _load_locked()
        yield progress
        _write(progress)


def _parse(path: Path) -> Progress | None:
    """Progress from the file; a fresh one when it does not exist; None when it is not valid."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Progress()
    except (OSError, UnicodeDecodeError):
        return None
    try:
        return Progress.model_validate_json(text)
    except ValidationError:
        return None


def _problem(path: Path) -> str:
    """What is wrong with the file, in a few words."""
    try:
        Progress.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as error:
        first = error.errors()[0]
        if first["type"].startswith("json"):
            return "it is not valid JSON"
        where = ".".join(str(part) for part in first["loc"]) or "the top level"
        return f"{where}: {first['msg']}"
    except (OSError, UnicodeDecodeError) as error:
        return f"it could not be read ({error})"
    return "it changed while it was read"


def _load_locked() -> Progress:
    path = state_file()
    progress = _parse(path)
    if progress is None:
        problem = _problem(path)
        progress = _salvage(path)
        kept = _keep_aside(path)
        if progress.current or progress.lessons:
            _write(progress)  # callers hold the lock
            kept_what = (f"shiplings kept what was still valid (current lesson: {progress.current or 'none'}, "
                         f"progress of {len(progress.lessons)} lesson(s))")
        else:
            kept_what = "shiplings starts with fresh progress"
        print(
            f"Warning: your progress file {path} is not valid ({problem}). It was kept as {kept} "
            f"and {kept_what}; your workspace files are not affected. "
            + spelling.respell("`shiplings check` records your lessons again."),
            file=sys.stderr,
        )
    return progress


def _salvage(path: Path) -> Progress:
    """What a bad file still holds that is valid on its own: the current lesson, and each
    lesson's progress that validates (one bad entry must not cost the others)."""
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Progress()
    if not isinstance(data, dict):
        return Progress()
    current = data.get("current")
    progress = Progress(current=current if isinstance(current, str) else None)
    lessons = data.get("lessons")
    for lesson_id, entry in (lessons.items() if isinstance(lessons, dict) else []):
        try:
            progress.lessons[str(lesson_id)] = LessonProgress.model_validate(entry)
        except ValidationError:
            continue
    return progress


def _keep_aside(path: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    kept = path.with_name(f"{path.name}.bad-{stamp}")
    suffix = 1
    while kept.exists():
        suffix += 1
        kept = path.with_name(f"{path.name}.bad-{stamp}-{suffix}")
    os.replace(path, kept)
    return kept


def _write(progress: Progress) -> None:
    path = state_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    # a temporary file of its own in the same folder, then one rename: readers see the old
    # file or the new one, never half of one, and two writers never share a temporary file
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f"{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(progress.model_dump_json(indent=1))
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@contextmanager
def _lock() -> Iterator[None]:
    """Hold the state lock (a no-op where fcntl does not exist). Not re-entrant: never nest it."""
    if fcntl is None:
        yield
        return
    folder = state_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "state.json.lock", "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
