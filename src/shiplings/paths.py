"""Where things live: the course checkout, the learner's workspace, and private state."""

from __future__ import annotations

import os
from pathlib import Path


def course_root() -> Path:
    """The checkout that holds course.toml.

    SHIPLINGS_HOME wins (tests and notebooks run elsewhere); otherwise the nearest
    folder above the working directory with a course.toml; otherwise the checkout this
    package was installed from (an editable install lives in src/shiplings).
    """
    if env := os.environ.get("SHIPLINGS_HOME"):
        return Path(env).resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "course.toml").is_file():
            return folder
    return Path(__file__).resolve().parents[2]


def workspace_dir() -> Path:
    """The learner's live app. SHIPLINGS_WORKSPACE points elsewhere (dev check, tests)."""
    if env := os.environ.get("SHIPLINGS_WORKSPACE"):
        return Path(env).resolve()
    return course_root() / "workspace"


def state_dir() -> Path:
    """Progress, backups and caches: git-ignored, beside the workspace."""
    if env := os.environ.get("SHIPLINGS_STATE"):
        return Path(env).resolve()
    return course_root() / ".shiplings"
