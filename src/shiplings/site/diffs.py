"""What a lesson changes in the app, from the overlays: "what changed" as the diffs
snapshot(N-1) -> snapshot(N), and the solution files in full."""

from __future__ import annotations

import difflib
import posixpath
from dataclasses import dataclass
from pathlib import Path

from shiplings.manifest import Course, Lesson
from shiplings.overlays import overlay_files, previous, read_text, snapshot_tree
from shiplings.site.markdown import fence, indent, table_cell

LANGUAGES = {
    ".py": "python", ".pyi": "python", ".toml": "toml", ".ini": "ini", ".cfg": "ini",
    ".yml": "yaml", ".yaml": "yaml", ".json": "json", ".md": "markdown", ".txt": "text",
    ".js": "javascript", ".mjs": "javascript", ".ts": "typescript", ".vue": "vue",
    ".html": "html", ".css": "css", ".sh": "bash", ".sql": "sql", ".conf": "nginx",
    ".env": "ini", ".lock": "text",
}
LANGUAGES_BY_NAME = {"Dockerfile": "docker", "Makefile": "make", ".dockerignore": "text", ".gitignore": "text"}


def language_of(path: str) -> str:
    name = posixpath.basename(path)
    if name in LANGUAGES_BY_NAME:
        return LANGUAGES_BY_NAME[name]
    return LANGUAGES.get(posixpath.splitext(name)[1], "text")


@dataclass
class FileChange:
    path: str
    kind: str  # added | modified | removed
    diff: str | None  # None: binary, not shown
    added: int = 0
    removed: int = 0


def lesson_changes(course: Course, lesson: Lesson, root: Path) -> list[FileChange]:
    """snapshot(N-1) -> snapshot(N), file by file, as unified diffs."""
    before = snapshot_tree(course, previous(course, lesson), root)
    after = snapshot_tree(course, lesson, root)
    changes = []
    for path in sorted(set(before) | set(after)):
        old_file, new_file = before.get(path), after.get(path)
        if old_file and new_file and old_file.read_bytes() == new_file.read_bytes():
            continue
        kind = "added" if old_file is None else "removed" if new_file is None else "modified"
        old_text = read_text(old_file) if old_file else ""
        new_text = read_text(new_file) if new_file else ""
        if old_text is None or new_text is None:
            changes.append(FileChange(path, kind, None))
            continue
        lines = list(difflib.unified_diff(
            old_text.splitlines(keepends=True), new_text.splitlines(keepends=True),
            fromfile=f"a/{path}" if old_file else "/dev/null",
            tofile=f"b/{path}" if new_file else "/dev/null",
        ))
        # a last line without a newline would run into the next diff line
        lines = [line if line.endswith("\n") else line + "\n" for line in lines]
        body = [line for line in lines[2:] if not line.startswith("@@")]
        changes.append(FileChange(
            path, kind, "".join(lines),
            added=sum(line.startswith("+") for line in body),
            removed=sum(line.startswith("-") for line in body),
        ))
    return changes


def what_changed_markdown(course: Course, lesson: Lesson, root: Path) -> str:
    before = previous(course, lesson)
    start = f"the end of lesson {before.number}" if before else "an empty folder"
    changes = lesson_changes(course, lesson, root)
    out = [
        "## What changed in this lesson {#what-changed}\n",
        f"From {start} to the end of lesson {lesson.number}, computed from the course's own "
        f"files when this site was built (`shiplings diff {lesson.number}` shows the same "
        "comparison against your workspace).\n",
    ]
    if not changes:
        out.append("No file changes: this lesson is about running and observing the app.\n")
        return "\n".join(out)
    out.append("| File | Change | Lines |\n|---|---|---|")
    for change in changes:
        lines = f"+{change.added} −{change.removed}" if change.diff is not None else "binary"
        out.append(f"| `{table_cell(change.path)}` | {change.kind} | {lines} |")
    out.append("")
    for change in changes:
        if change.diff is None:
            out.append(f"`{change.path}` is a binary file ({change.kind}); it is not shown here.\n")
            continue
        block = fence(change.diff, "diff", title=f"{change.path} ({change.kind})")
        if change.kind == "removed":
            # every line of a deleted file is a "-": worth a click, not a screenful
            out.append(f'??? note "{change.path} (removed, {change.removed} lines)"\n')
            block = indent(block)
        out.append(block)
    return "\n".join(out)


def solution_files_markdown(lesson: Lesson, root: Path) -> str:
    files = overlay_files(root / "solutions" / lesson.id)
    out = [
        "## Solution files {#solution-files}\n",
        f"The files of `solutions/{lesson.id}/` in full: the files you change in this lesson, "
        f"as `shiplings solve {lesson.number}` writes them into your workspace (with the files the "
        "lesson hands over as they are). Try the lesson first; open one when you are stuck.\n",
    ]
    for path, source in files.items():
        text = read_text(source)
        if text is None:
            out.append(f"`{path}` is a binary file; it is not shown here.\n")
            continue
        out.append(f'??? note "{path}"\n')
        out.append(indent(fence(text, language_of(path), title=path)))
    return "\n".join(out)
