"""The learner's progress: which lesson they are on, what passed, time spent.

A small JSON file in the git-ignored state folder. Time spent is counted from activity
(start, check, hint): gaps longer than IDLE_GAP between two events count as IDLE_GAP,
so a lunch break does not count as a two-hour lesson.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from shiplings.paths import state_dir

IDLE_GAP = 15 * 60


@dataclass
class LessonProgress:
    status: str = "not started"  # not started | started | failing | done
    seconds: float = 0.0
    last_event: float = 0.0
    checks_run: int = 0
    passed_at: float | None = None


@dataclass
class Progress:
    current: str | None = None
    lessons: dict[str, LessonProgress] = field(default_factory=dict)

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
    try:
        data = json.loads(state_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Progress()
    lessons = {key: LessonProgress(**value) for key, value in data.get("lessons", {}).items()}
    return Progress(current=data.get("current"), lessons=lessons)


def save(progress: Progress) -> None:
    path = state_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "current": progress.current,
        "lessons": {key: vars(value) for key, value in progress.lessons.items()},
    }
    # write then rename: a crash never leaves half a state file
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(temporary, path)
