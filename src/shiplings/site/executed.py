"""Lesson notebooks with their outputs: kept from `shiplings dev check`, never run twice.

`shiplings dev check` executes each lesson's notebook against the lesson's solution
(invariant 4). It hands the executed notebook to keep(), which stores it under
site/build/executed/ (git-ignored; the repository's notebooks stay stripped), stamped
with what it was run from: the notebook's own bytes and the solution's files. The site
publishes that copy while both still match, and the stripped notebook with a note
otherwise, so a page never shows outputs of a notebook or an app that have since changed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from shiplings.manifest import Course, Lesson
from shiplings.overlays import snapshot_tree
from shiplings.site.paths import SitePaths

STAMP = "shiplings_executed"


def stamp(course: Course, lesson: Lesson, root: Path) -> dict[str, str]:
    """What an executed copy was run from: the notebook as stored, and snapshot(N)."""
    notebook = root / "lessons" / lesson.id / "lesson.ipynb"
    digest = hashlib.sha256()
    for path, source in sorted(snapshot_tree(course, lesson, root).items()):
        digest.update(path.encode() + b"\0" + source.read_bytes() + b"\0")
    return {"notebook_sha256": hashlib.sha256(notebook.read_bytes()).hexdigest(),
            "snapshot_sha256": digest.hexdigest()}


def executed_path(root: Path, lesson: Lesson) -> Path:
    return SitePaths(root).executed / f"{lesson.id}.ipynb"


def keep(executed, course: Course, lesson: Lesson, root: Path, workspace: Path) -> Path:
    """Store an executed notebook (an nbformat node) for the site, stamped and without machine paths."""
    import nbformat

    for cell in executed.cells:
        for output in cell.get("outputs", []):
            scrub(output, workspace)
    executed.metadata[STAMP] = stamp(course, lesson, root)
    destination = executed_path(root, lesson)
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_suffix(".part")
    nbformat.write(executed, partial)
    partial.replace(destination)
    return destination


def scrub(output: dict, workspace: Path) -> None:
    """The scratch folder dev check ran in means nothing to a reader: it reads as `workspace`."""
    folders = sorted({str(workspace), str(workspace.resolve())}, key=len, reverse=True)

    def clean(text: str) -> str:
        for folder in folders:
            text = text.replace(folder, "workspace")
        return text

    if "text" in output:
        output["text"] = clean(output["text"])
    if "traceback" in output:
        output["traceback"] = [clean(line) for line in output["traceback"]]
    for kind, value in output.get("data", {}).items():
        if kind.startswith("text/") and isinstance(value, str):
            output["data"][kind] = clean(value)


def fresh_executed(course: Course, lesson: Lesson, root: Path) -> Path | None:
    """The kept executed notebook, if it was run from the notebook and solution as they are now."""
    import json

    path = executed_path(root, lesson)
    if not path.is_file():
        return None
    try:
        kept = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get(STAMP)
    except (OSError, ValueError):
        return None
    return path if kept == stamp(course, lesson, root) else None
