"""shiplings lab (also plain `shiplings`): JupyterLab on the next unfinished lesson."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import sysconfig
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


def rescued_notebooks_dir() -> Path:
    return backups.backups_dir().parent / "rescued-notebooks"


def copy_notebooks(root: Path, workspace: Path, lesson_ids: list[str]) -> list[Path]:
    """Give the learner their own copy of each lesson notebook; never overwrite a good one.

    A copy that is no longer valid JSON (a crash while saving, a bad merge) is moved aside
    (rescued_notebooks_dir(), never pruned, and not a backup of the app that `restore` could
    lay over the workspace) and replaced by a fresh copy; the moved files are returned.
    """
    folder = workspace / "notebooks"
    folder.mkdir(parents=True, exist_ok=True)
    rescued = []
    for lesson_id in lesson_ids:
        source = root / "lessons" / lesson_id / "lesson.ipynb"
        target = folder / f"{lesson_id}.ipynb"
        if target.exists() and not readable(target):
            keep = rescued_notebooks_dir() / time.strftime("%Y%m%d-%H%M%S") / target.name
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


def lab_environment(root: Path, workspace: Path) -> dict[str, str]:
    """JupyterLab's environment, which its terminals and kernels inherit.

    The course's environment comes first on PATH, so that `shiplings`, `uvicorn`, `pytest`
    and `alembic` typed in a JupyterLab terminal are the course's, exactly as the notebooks,
    reports and hints print them.
    """
    scripts = sysconfig.get_path("scripts")
    # the course's own JupyterLab settings (src/shiplings/jupyter_config) come after the learner's
    config_path = os.pathsep.join(filter(None, [os.environ.get("JUPYTER_CONFIG_PATH"), str(JUPYTER_CONFIG)]))
    env = {
        **os.environ,
        "SHIPLINGS_HOME": str(root),
        "SHIPLINGS_WORKSPACE": str(workspace),
        "JUPYTER_CONFIG_PATH": config_path,
        "PATH": os.pathsep.join(filter(None, [scripts, os.environ.get("PATH")])),
        # the terminals' start-up files put it first again (terminal_shell)
        "SHIPLINGS_SCRIPTS": scripts,
    }
    if sys.prefix != sys.base_prefix:  # a virtual environment: tools that look for one find it
        env["VIRTUAL_ENV"] = sys.prefix
    return env


def terminal_shell() -> list[str]:
    """How a JupyterLab terminal starts the learner's shell: interactive, not a login shell,
    with the course's environment first on PATH after the learner's own start-up files.

    Left to itself, jupyter_server starts a login shell when its output is not a terminal,
    and a login shell's /etc/profile (Debian, Ubuntu) sets PATH anew; and a pyenv, conda or
    nvm set-up in ~/.bashrc or ~/.zshrc puts its own tools first. bash and zsh get a start-up
    file of the course's (jupyter_config/terminal/) that runs the learner's, then puts the
    course's environment first again; other shells get the environment JupyterLab has.
    """
    shell = os.environ.get("SHELL") or shutil.which("bash") or "sh"
    startup = JUPYTER_CONFIG / "terminal"
    if Path(shell).name == "bash":
        return [shell, "--rcfile", str(startup / "bashrc")]
    if Path(shell).name == "zsh":
        user_zdotdir = os.environ.get("ZDOTDIR") or str(Path.home())
        return ["env", f"ZDOTDIR={startup / 'zsh'}", f"SHIPLINGS_USER_ZDOTDIR={user_zdotdir}", shell]
    return [shell]


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
        # terminals open in the workspace, where the course's commands are typed (lab_terminals.py)
        "--TerminalsExtensionApp.terminal_manager_class=shiplings.lab_terminals.WorkspaceTerminalManager",
        f"--ServerApp.terminado_settings=shell_command={json.dumps(terminal_shell())}",
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
    if not first_run:
        common.console.print(f"[bold]Lesson {lesson.id}[/]: {lesson.title}")
    common.console.print(f"JupyterLab: [link={url}]{url}[/link]")
    common.console.print(
        "Stop it with Ctrl+C. Check your work with `shiplings check` in a JupyterLab terminal "
        "(it opens in your workspace) or `%check` in the notebook."
    )
    try:
        # started in the workspace: whatever JupyterLab resolves against its own folder lands there
        completed = subprocess.run(lab_command(workspace, notebook, port, token, not no_browser),
                                   env=lab_environment(common.root(), workspace), cwd=workspace)
    except KeyboardInterrupt:
        return
    if completed.returncode not in (0, -2, 130):
        common.fail(f"JupyterLab stopped with exit status {completed.returncode}.", completed.returncode)
