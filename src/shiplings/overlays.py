"""The overlay model: how one app grows lesson by lesson.

snapshot(0) is empty. starter(N) is snapshot(N-1) with lessons/<N>/starter/ laid over it.
snapshot(N) is starter(N) with the lesson's `removes` deleted and solutions/<N>/ laid
over it, so each file is written once: the starter holds what the lesson hands over or
the learner completes, the solution only the files the learner changes. `removes` belongs
to the solution: deleting an old file is part of the learner's work, so starter(N) still
holds it (and a check that it is gone fails there, as it should). A tree is a mapping of
workspace-relative POSIX paths to the source file that provides it, so trees can be
compared and diffed without copying anything.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from shiplings.manifest import Course, Lesson

Tree = dict[str, Path]

# Files that never belong to an overlay, wherever they turn up (__shiplings__: what the
# checks place in the learner's tree while they run)
IGNORED_NAMES = {"__pycache__", ".pytest_cache", ".ipynb_checkpoints", "node_modules", ".DS_Store", "__shiplings__"}


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


def remove_paths(tree: Tree, removed: list[str]) -> Tree:
    """Delete files and whole folders (a manifest's `removes`) from tree, in place."""
    for path in removed:
        prefix = path.rstrip("/") + "/"
        for key in [key for key in tree if key == path or key.startswith(prefix)]:
            del tree[key]
    return tree


def lesson_trees(course: Course, root: Path, last: Lesson) -> dict[tuple[str, str], Tree]:
    """starter(M) and snapshot(M) of every lesson M up to `last`, keyed ("starter" | "snapshot", lesson id)."""
    trees: dict[tuple[str, str], Tree] = {}
    solved: Tree = {}
    for lesson in course.lessons[: course.index(last) + 1]:
        started = {**solved, **overlay_files(root / "lessons" / lesson.id / "starter")}
        solved = {**remove_paths(dict(started), lesson.removes), **overlay_files(root / "solutions" / lesson.id)}
        trees["starter", lesson.id], trees["snapshot", lesson.id] = started, solved
    return trees


def snapshot_tree(course: Course, lesson: Lesson | None, root: Path) -> Tree:
    """The files exactly as they stand after `lesson` (None: before the first lesson)."""
    if lesson is None:
        return {}
    return lesson_trees(course, root, lesson)["snapshot", lesson.id]


def previous(course: Course, lesson: Lesson) -> Lesson | None:
    index = course.index(lesson)
    return course.lessons[index - 1] if index else None


def starter_tree(course: Course, lesson: Lesson, root: Path) -> Tree:
    """What the learner starts lesson N with: snapshot(N-1) plus the starter overlay."""
    return lesson_trees(course, root, lesson)["starter", lesson.id]


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
