"""The overlay model: how one app grows lesson by lesson.

snapshot(0) is empty; snapshot(N) is snapshot(N-1) with solutions/<N>/ laid over it and
the lesson's `removes` deleted. starter(N) is snapshot(N-1) with lessons/<N>/starter/
laid over it. A tree is a mapping of workspace-relative POSIX paths to the source file
that provides it, so trees can be compared and diffed without copying anything.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from shiplings.manifest import Course, Lesson

Tree = dict[str, Path]

# Files that never belong to an overlay, wherever they turn up.
IGNORED_NAMES = {"__pycache__", ".pytest_cache", ".ipynb_checkpoints", "node_modules", ".DS_Store"}


def overlay_files(folder: Path) -> Tree:
    """Every file under folder, keyed by its relative POSIX path."""
    if not folder.is_dir():
        return {}
    tree: Tree = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and not IGNORED_NAMES.intersection(relative.parts):
            tree[relative.as_posix()] = path
    return tree


def _remove(tree: Tree, removed: str) -> None:
    prefix = removed.rstrip("/") + "/"
    for key in [key for key in tree if key == removed or key.startswith(prefix)]:
        del tree[key]


def snapshot_tree(course: Course, lesson: Lesson | None, root: Path) -> Tree:
    """The files exactly as they stand after `lesson` (None: before the first lesson)."""
    tree: Tree = {}
    if lesson is None:
        return tree
    for step in course.lessons[: course.index(lesson) + 1]:
        for removed in step.removes:
            _remove(tree, removed)
        tree.update(overlay_files(root / "solutions" / step.id))
    return tree


def previous(course: Course, lesson: Lesson) -> Lesson | None:
    index = course.index(lesson)
    return course.lessons[index - 1] if index else None


def starter_tree(course: Course, lesson: Lesson, root: Path) -> Tree:
    """What the learner starts lesson N with: snapshot(N-1) plus the starter overlay."""
    tree = snapshot_tree(course, previous(course, lesson), root)
    tree.update(overlay_files(root / "lessons" / lesson.id / "starter"))
    return tree


def write_tree(tree: Tree, destination: Path) -> None:
    """Materialize a tree into destination (which must not hold other app files)."""
    for relative, source in tree.items():
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def read_text(path: Path) -> str | None:
    """File text for diffs, or None for binary files."""
    try:
        return path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return None
