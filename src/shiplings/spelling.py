"""How to spell a shiplings command so that it runs where the learner is.

In a JupyterLab terminal opened by `./shiplings` (and wherever the course's .venv is
active) `shiplings` is on PATH. In a plain terminal only the `./shiplings` wrapper at the
top of the course checkout exists, so every command the CLI prints names that wrapper,
by the path that reaches it from the learner's working directory.
"""

from __future__ import annotations

import os
import re
import shutil
import sysconfig
from pathlib import Path

from shiplings.paths import course_root


def ours_on_path() -> bool:
    """Is the `shiplings` a shell finds on PATH this course's own (not another checkout's)?"""
    found = shutil.which("shiplings")
    ours = Path(sysconfig.get_path("scripts")) / "shiplings"
    if found is None or not ours.exists():
        return False
    return os.path.samefile(found, ours)


def launcher() -> str:
    """`shiplings`, `./shiplings`, `../shiplings` or the wrapper's full path."""
    wrapper = course_root() / "shiplings"
    if ours_on_path() or not wrapper.is_file():
        return "shiplings"
    here = Path.cwd().resolve()
    if here != course_root() and course_root() not in here.parents:
        return str(wrapper)
    relative = os.path.relpath(wrapper, here)
    return relative if os.sep in relative else f".{os.sep}{relative}"


def command(arguments: str = "") -> str:
    """The command line that runs `shiplings <arguments>` here, e.g. command("hint 07")."""
    return f"{launcher()} {arguments}".strip()


SHIPLINGS_IN_BACKTICKS = re.compile(r"`shiplings(?=[ `])")


def respell(text: str) -> str:
    """Rewrite each `shiplings ...` command quoted in text (hints, check messages) for here."""
    spelled = launcher()
    if spelled == "shiplings":
        return text
    return SHIPLINGS_IN_BACKTICKS.sub(lambda _: f"`{spelled}", text)
