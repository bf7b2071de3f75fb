"""The course's set-up steps that postBuild runs once, when the image is built.

    .venv/bin/python binder/prepare.py               the workspace at lesson 01, the notebooks, the npm cache
    .venv/bin/python binder/prepare.py --workspace   only the workspace and the notebooks (binder/start,
                                                     on a hub whose persistent home hides the image's)

Everything here calls the engine (shiplings start, the notebook copies `shiplings lab` makes, and
shiplings.npm's cache): no second copy of the course's install logic.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from shiplings import npm
from shiplings.commands import common
from shiplings.commands.lab import copy_notebooks
from shiplings.commands.start import start


def prepare_workspace() -> None:
    course = common.course()
    workspace = common.workspace()
    if not workspace.is_dir() or not any(workspace.iterdir()):
        start(course.lessons[0].id)
    copy_notebooks(common.root(), workspace, [lesson.id for lesson in course.lessons])


def front_ends(root: Path) -> list[Path]:
    """Every front end a lesson hands over or solves, one per distinct lock file."""
    found: dict[bytes, Path] = {}
    for lock in sorted(root.glob("lessons/*/starter/frontend/package-lock.json")) + sorted(
            root.glob("solutions/*/frontend/package-lock.json")):
        found.setdefault(lock.read_bytes() + (lock.parent / "package.json").read_bytes(), lock.parent)
    return list(found.values())


def fill_npm_cache() -> None:
    """npm ci once per lock file into the course's npm cache, so no front-end check installs anything."""
    for frontend in front_ends(common.root()):
        with tempfile.TemporaryDirectory() as scratch:
            for name in ("package.json", "package-lock.json"):
                shutil.copyfile(frontend / name, Path(scratch) / name)
            installed = npm.ensure_dependencies(Path(scratch))
            print(f"npm cache: {frontend.relative_to(common.root())} {installed.how} in {installed.seconds:.0f} s")


if __name__ == "__main__":
    prepare_workspace()
    if "--workspace" not in sys.argv[1:]:
        fill_npm_cache()
