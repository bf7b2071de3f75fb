"""shiplings lab (also plain `shiplings`): JupyterLab on the next unfinished lesson."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from shiplings import backups
from shiplings.commands import common
from shiplings.commands.start import start
from shiplings.net import free_port

JUPYTER_CONFIG = Path(__file__).resolve().parents[1] / "jupyter_config"


def readable(notebook: Path) -> bool:
    try:
        return "cells" in json.loads(notebook.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False


def copy_notebooks(root: Path, workspace: Path, lesson_ids: list[str]) -> list[Path]:
    """Give the learner their own copy of each lesson notebook; never overwrite a good one.

    A copy that is no longer valid JSON (a crash while saving, a bad merge) is moved to
    the backups and replaced by a fresh copy; the moved files are returned.
    """
    folder = workspace / "notebooks"
    folder.mkdir(parents=True, exist_ok=True)
    rescued = []
    for lesson_id in lesson_ids:
        source = root / "lessons" / lesson_id / "lesson.ipynb"
        target = folder / f"{lesson_id}.ipynb"
        if target.exists() and not readable(target):
            keep = backups.backups_dir() / f"{time.strftime('%Y%m%d-%H%M%S')}-broken-notebook" / target.name
            keep.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(target, keep)
            rescued.append(keep)
        if source.is_file() and not target.exists():
            shutil.copy2(source, target)
    return rescued


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def lab_command(workspace: Path, notebook: str, port: int, token: str, open_browser: bool) -> list[str]:
    command = [
        sys.executable, "-m", "jupyterlab",
        f"--ServerApp.root_dir={workspace}",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.default_url=/lab/tree/{notebook}",
        # no "get Jupyter news?" pop-up and no update checks in the middle of a lesson
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        # its start-up chatter (twenty lines of extensions loaded) would push the URL above
        # out of sight, and the URL it prints itself hides the token
        "--Application.log_level=WARN",
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
    first_run = not workspace.is_dir() or not any(workspace.iterdir())
    if first_run:
        start(the_course.lessons[0].id)  # announces the lesson itself
    lesson = common.current_lesson(the_course)
    for kept in copy_notebooks(common.root(), workspace, [each.id for each in the_course.lessons]):
        common.console.print(
            f"[yellow]{kept.name} could not be read (not valid notebook JSON)[/]: it is kept in "
            f"{kept.parent} and a fresh copy of the lesson notebook took its place."
        )
    notebook = f"notebooks/{lesson.id}.ipynb"
    if port and not port_is_free(port):
        common.fail(f"Port {port} is already in use (another JupyterLab?). Leave out --port to pick a free one.")
    port = port or free_port()
    token = secrets.token_hex(16)
    url = f"http://127.0.0.1:{port}/lab/tree/{notebook}?token={token}"
    # the course's own JupyterLab settings (src/shiplings/jupyter_config) come after the learner's
    config_path = os.pathsep.join(filter(None, [os.environ.get("JUPYTER_CONFIG_PATH"), str(JUPYTER_CONFIG)]))
    env = {**os.environ, "SHIPLINGS_HOME": str(common.root()), "SHIPLINGS_WORKSPACE": str(workspace),
           "JUPYTER_CONFIG_PATH": config_path}
    if not first_run:
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
