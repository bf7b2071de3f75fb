"""Start `shiplings check`'s pytest process before the CLI has finished importing.

A cold check is two Python processes: the CLI (Typer, Rich, pydantic: ~0.5 s to import
here) and pytest with FastAPI (~1.5 s). Starting the second while the first is still
importing overlaps the two. This module therefore imports nothing heavy: the manifest's
rules work on the parsed TOML, and the state file is read as plain JSON. If anything is
unusual it does nothing; the check command uses the launched run only when it is the run
it would have started itself (runner.run_key), so this is only ever a head start.
"""

from __future__ import annotations

import json
import os

from shiplings import manifest
from shiplings.paths import course_root, state_dir, workspace_dir


def prelaunch(argv: list[str]):
    """The head start for `shiplings check [N]` (a runner.Launch), else None."""
    if not argv or argv[0] != "check" or "--help" in argv or os.environ.get("SHIPLINGS_NO_PRELAUNCH"):
        return None
    positional = [arg for arg in argv[1:] if not arg.startswith("-")]
    if len(positional) > 1:
        return None
    try:
        root = course_root()
        data = manifest.read(root)
        ids = [lesson["id"] for lesson in data["lessons"]]
        try:
            # the lesson the workspace is at: state.Progress.current
            at = json.loads((state_dir() / "state.json").read_text(encoding="utf-8")).get("current")
        except (OSError, ValueError, AttributeError):
            at = None
        at = at if at in ids else None
        chosen = manifest.match_lesson(ids, positional[0]) if positional else at
        workspace = workspace_dir()
        if chosen is None or not workspace.is_dir():
            return None
        retired = manifest.retired_tests(manifest.raw_retires(data), chosen, at)
        from shiplings import runner

        return runner.launch(root, [chosen], {chosen: retired}, workspace)
    except Exception:  # a head start only: the check command does the real work
        return None
