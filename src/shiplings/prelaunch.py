"""Start `shiplings check`'s pytest process before the CLI has finished importing.

A cold check is two Python processes: the CLI (Typer, Rich, pydantic: ~0.5 s to import
here) and pytest with FastAPI (~1.5 s). Starting the second while the first is still
importing overlaps the two. This module therefore imports nothing heavy: it reads
course.toml with tomllib and the state file with json. If anything is unusual it does
nothing; the check command verifies the launched run matches what it would have
started (runner.run_key) and otherwise discards it, so this is only ever a head start.
"""

from __future__ import annotations

import json
import os
import tomllib

from shiplings.paths import course_root, state_dir, workspace_dir


def match_lesson(ids: list[str], ref: str) -> str | None:
    """The lesson id that ref names: an id, a number ('7', '07') or a slug."""
    ref = ref.strip()
    for lesson_id in ids:
        if ref in (lesson_id, lesson_id[3:]) or (ref.isdigit() and int(ref) == int(lesson_id[:2])):
            return lesson_id
    return None


def prelaunch(argv: list[str]) -> None:
    if not argv or argv[0] != "check" or "--help" in argv or os.environ.get("SHIPLINGS_NO_PRELAUNCH"):
        return
    positional = [arg for arg in argv[1:] if not arg.startswith("-")]
    if len(positional) > 1:
        return
    try:
        root = course_root()
        with open(root / "course.toml", "rb") as handle:
            lessons = tomllib.load(handle)["lessons"]
        ids = [lesson["id"] for lesson in lessons]
        try:
            current = json.loads((state_dir() / "state.json").read_text(encoding="utf-8")).get("current")
        except (OSError, ValueError):
            current = None
        if positional:
            chosen = match_lesson(ids, positional[0])
        else:
            chosen = current if current in ids else None
        workspace = workspace_dir()
        if chosen is None or not workspace.is_dir():
            return
        retired: set[str] = set()
        if current in ids:
            for lesson in lessons[: ids.index(current) + 1]:
                for entry in lesson.get("retires", []):
                    owner, _, test = entry["check"].partition("::")
                    if owner == chosen:
                        retired.add(test)
        from shiplings import runner

        runner.PRELAUNCHED.append(runner.launch(root, [chosen], {chosen: retired}, workspace))
    except Exception:  # a head start only: the check command does the real work
        return
