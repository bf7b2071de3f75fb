"""shiplings lab (also plain `shiplings`): JupyterLab on the next unfinished lesson."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from shiplings.commands import common
from shiplings.commands.start import start
from shiplings.net import free_port


def copy_notebooks(root: Path, workspace: Path, lesson_ids: list[str]) -> None:
    """Give the learner their own copy of each lesson notebook; never overwrite one."""
    folder = workspace / "notebooks"
    folder.mkdir(parents=True, exist_ok=True)
    for lesson_id in lesson_ids:
        source = root / "lessons" / lesson_id / "lesson.ipynb"
        target = folder / f"{lesson_id}.ipynb"
        if source.is_file() and not target.exists():
            shutil.copy2(source, target)


def lab_command(workspace: Path, notebook: str, port: int, token: str, open_browser: bool) -> list[str]:
    command = [
        sys.executable, "-m", "jupyterlab",
        f"--ServerApp.root_dir={workspace}",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.default_url=/lab/tree/{notebook}",
    ]
    if not open_browser:
        command.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    return command


def lab(
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Only print the URL.")] = False,
    port: Annotated[int, typer.Option(help="Port for JupyterLab; 0 picks a free one.")] = 0,
) -> None:
    """Open JupyterLab on your next unfinished lesson (creating the workspace on first run)."""
    the_course = common.course()
    workspace = common.workspace()
    if not workspace.is_dir() or not any(workspace.iterdir()):
        start(the_course.lessons[0].id)
    lesson = common.current_lesson(the_course)
    copy_notebooks(common.root(), workspace, [each.id for each in the_course.lessons])
    notebook = f"notebooks/{lesson.id}.ipynb"
    port = port or free_port()
    token = secrets.token_hex(16)
    url = f"http://127.0.0.1:{port}/lab/tree/{notebook}?token={token}"
    env = {**os.environ, "SHIPLINGS_HOME": str(common.root()), "SHIPLINGS_WORKSPACE": str(workspace)}
    common.console.print(f"[bold]Lesson {lesson.id}[/]: {lesson.title}")
    common.console.print(f"JupyterLab: [link={url}]{url}[/link]")
    common.console.print(
        "Stop it with Ctrl+C. Check your work with `shiplings check` in a terminal or `%check` in the notebook."
    )
    try:
        completed = subprocess.run(lab_command(workspace, notebook, port, token, not no_browser), env=env)
    except KeyboardInterrupt:
        return
    if completed.returncode not in (0, -2, 130):
        common.fail(f"JupyterLab stopped with exit status {completed.returncode}.", completed.returncode)
