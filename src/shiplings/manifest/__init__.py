"""course.toml: the one ordered manifest of the course.

Lesson order is file order. Every lesson id names all of its artifacts:
lessons/<id>/ (notebook + starter overlay), solutions/<id>/ (solved overlay) and
checks/<id>/ (pytest modules). This package only reads and validates; it never writes.

The rules of the manifest (which lesson a reference names, which checks a later lesson
retires) are plain functions on the parsed TOML here, so that `shiplings check` can start
its pytest process before pydantic is imported (see shiplings.prelaunch). The validated
model, Course and its parts, is in shiplings.manifest.schema; importing those names from
this package loads it on first use.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shiplings.paths import course_root

if TYPE_CHECKING:
    from shiplings.manifest.schema import Check, Course, Lesson, Minutes, Part, Retired, Service, load_course

__all__ = [
    "match_lesson", "raw_retires", "read", "retired_tests",
    # from shiplings.manifest.schema, loaded on first use
    "Check", "Course", "Lesson", "Minutes", "Part", "Retired", "Service", "load_course",
]

_parsed: dict[Path, tuple[tuple[int, int, int], dict[str, Any]]] = {}


def read(root: Path | None = None) -> dict[str, Any]:
    """course.toml parsed, once per process while the file is unchanged."""
    path = (root or course_root()) / "course.toml"
    info = path.stat()
    version = (info.st_mtime_ns, info.st_size, info.st_ino)
    cached = _parsed.get(path)
    if cached is None or cached[0] != version:
        with open(path, "rb") as handle:
            cached = _parsed[path] = (version, tomllib.load(handle))
    return cached[1]


def match_lesson(ids: Iterable[str], ref: str) -> str | None:
    """The lesson id that ref names: an id, a number ('7', '07') or a slug."""
    ref = ref.strip()
    for lesson_id in ids:
        if ref in (lesson_id, lesson_id[3:]) or (ref.isdigit() and int(ref) == int(lesson_id[:2])):
            return lesson_id
    return None


def retired_tests(retires: Iterable[tuple[str, Iterable[str]]], lesson_id: str, at: str | None) -> set[str]:
    """Test names of lesson_id retired by the time the workspace reaches lesson `at`.

    `retires` lists every lesson in course order as (id, ['<lesson id>::<test>', ...]).
    """
    tests: set[str] = set()
    if at is None:
        return tests
    for step, entries in retires:
        for entry in entries:
            owner, _, test = entry.partition("::")
            if owner == lesson_id:
                tests.add(test)
        if step == at:
            return tests
    return set()  # `at` is not a lesson of this course: nothing is retired


def raw_retires(data: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """retired_tests' input from the parsed TOML."""
    return [(lesson["id"], [entry["check"] for entry in lesson.get("retires", [])]) for lesson in data["lessons"]]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from shiplings.manifest import schema

        return getattr(schema, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
