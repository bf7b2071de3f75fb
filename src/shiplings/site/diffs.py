"""What a lesson changes in the app, from the overlays: "what changed" as the learner's
part (starter(N) -> snapshot(N)) behind a spoiler notice, the whole step (snapshot(N-1) ->
snapshot(N)) for instructors, and the solution files in full; every file folded."""

from __future__ import annotations

import difflib
import json
import posixpath
from dataclasses import dataclass
from pathlib import Path

from shiplings.manifest import Course, Lesson
from shiplings.overlays import overlay_files, previous, read_text, snapshot_tree, starter_tree
from shiplings.site.cache import content_key
from shiplings.site.markdown import fence, indent
from shiplings.site.paths import SitePaths

LANGUAGES = {
    ".py": "python", ".pyi": "python", ".toml": "toml", ".ini": "ini", ".cfg": "ini",
    ".yml": "yaml", ".yaml": "yaml", ".json": "json", ".md": "markdown", ".txt": "text",
    ".js": "javascript", ".mjs": "javascript", ".ts": "typescript", ".vue": "vue",
    ".html": "html", ".css": "css", ".sh": "bash", ".sql": "sql", ".conf": "nginx",
    ".env": "ini", ".lock": "text",
}
LANGUAGES_BY_NAME = {"Dockerfile": "docker", "Makefile": "make", ".dockerignore": "text", ".gitignore": "text"}


# Generated diffs and solution files stay out of the search index (see search.py): a search
# should land on the lesson that teaches a thing, not on its answer.
SEARCH_EXCLUDED_START = "<div data-search-exclude markdown>\n"
SEARCH_EXCLUDED_END = "</div>\n"


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
    """snapshot(N-1) -> snapshot(N), file by file, as unified diffs: the whole step."""
    return tree_changes(snapshot_tree(course, previous(course, lesson), root), snapshot_tree(course, lesson, root),
                        SitePaths(root).diffs)


def learner_changes(course: Course, lesson: Lesson, root: Path) -> list[FileChange]:
    """starter(N) -> snapshot(N) for the files of solutions/N: what the learner writes."""
    starter = starter_tree(course, lesson, root)
    solution = overlay_files(root / "solutions" / lesson.id)
    return tree_changes({path: starter[path] for path in solution if path in starter}, solution,
                        SitePaths(root).diffs)


def tree_changes(before: dict[str, Path], after: dict[str, Path], cache_dir: Path | None = None) -> list[FileChange]:
    """The diffs, file by file; with cache_dir, computed once per content of the two trees."""
    if cache_dir is None:
        return compute_changes(before, after)
    key = content_key("diffs", *(part for side, tree in (("a", before), ("b", after)) for path in sorted(tree)
                                 for part in (f"{side}/{path}", tree[path].read_bytes())))
    cached = cache_dir / f"{key}.json"
    if cached.is_file():
        return [FileChange(**change) for change in json.loads(cached.read_text(encoding="utf-8"))]
    changes = compute_changes(before, after)
    cache_dir.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps([vars(change) for change in changes]), encoding="utf-8")
    return changes


def compute_changes(before: dict[str, Path], after: dict[str, Path]) -> list[FileChange]:
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


def folded_diffs(changes: list[FileChange]) -> str:
    """One collapsed block per file: its diff opens on a click, never on its own."""
    out = []
    for change in changes:
        if change.diff is None:
            out.append(f"`{change.path}` is a binary file ({change.kind}); it is not shown here.\n")
            continue
        out.append(f'??? note "{change.path} ({change.kind}, +{change.added} −{change.removed})"\n')
        out.append(indent(fence(change.diff, "diff", title=f"{change.path} ({change.kind})")))
    return "\n".join(out)


def totals(changes: list[FileChange]) -> str:
    files = f"{len(changes)} file" + ("s" if len(changes) != 1 else "")
    return f"{files}, +{sum(c.added for c in changes)} −{sum(c.removed for c in changes)} lines"


def what_changed_markdown(course: Course, lesson: Lesson, root: Path) -> str:
    """The learner's part (starter -> solution) behind a spoiler notice, every file folded.

    The whole step (snapshot N-1 -> N, with the files the lesson hands over) is on the
    instructor page only (full_diff_markdown), which the lesson page links to.
    """
    number = lesson.number
    learner = learner_changes(course, lesson, root)
    out = ["## What changed in this lesson {#what-changed}\n"]
    if not learner:
        out.append("You change no files in this lesson: it is about running and observing the app.\n")
    else:
        out.append(
            f"Your part of this lesson, as the difference between the files `shiplings start {number}` "
            f"gives you and the solution ({totals(learner)}). `shiplings diff {number}` compares your own "
            "workspace with the solution the same way.\n")
        out.append(SEARCH_EXCLUDED_START)
        out.append(f'??? warning "Spoiler: the answer to this lesson, file by file ({totals(learner)})"\n')
        out.append(indent("Try the exercises first: each file below is the solution. Open one when "
                          f"you are stuck, or after `shiplings check {number}` passes, to compare.\n\n"
                          + folded_diffs(learner)))
        out.append(SEARCH_EXCLUDED_END)
    return "\n".join(out)


def full_diff_markdown(course: Course, lesson: Lesson, root: Path) -> str:
    """Everything the lesson changes (snapshot N-1 -> N), every file folded, out of search."""
    number = lesson.number
    before = previous(course, lesson)
    start = f"the end of lesson {before.number}" if before else "an empty folder"
    everything = lesson_changes(course, lesson, root)
    out = ["## Everything this lesson changes {#full-diff}\n"]
    if not everything:
        out.append("No file changes: this lesson is about running and observing the app.\n")
        return "\n".join(out)
    out.append(
        f"From {start} to the end of lesson {number} ({totals(everything)}): the files the lesson hands "
        "over as they are, the starter's TODO markers and the solution, computed from the course's own "
        "files when this site was built.\n")
    out.append(SEARCH_EXCLUDED_START)
    out.append(folded_diffs(everything))
    out.append(SEARCH_EXCLUDED_END)
    return "\n".join(out)


def solution_files_markdown(lesson: Lesson, root: Path) -> str:
    files = overlay_files(root / "solutions" / lesson.id)
    out = [
        "## Solution files {#solution-files}\n",
        f"The files of `solutions/{lesson.id}/` in full: the files you change in this lesson, "
        f"as `shiplings solve {lesson.number}` writes them into your workspace (with the files the "
        "lesson hands over as they are). Try the lesson first; open one when you are stuck.\n",
    ]
    out.append(SEARCH_EXCLUDED_START)
    for path, source in files.items():
        text = read_text(source)
        if text is None:
            out.append(f"`{path}` is a binary file; it is not shown here.\n")
            continue
        out.append(f'??? note "{path}"\n')
        out.append(indent(fence(text, language_of(path), title=path)))
    out.append(SEARCH_EXCLUDED_END)
    return "\n".join(out)
