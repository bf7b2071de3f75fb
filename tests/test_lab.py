"""`shiplings lab`: the workspace appears, JupyterLab serves the next lesson's notebook."""

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import time

import httpx
import pytest

from shiplings import backups
from shiplings.net import free_port


@contextlib.contextmanager
def running_lab(tmp_path):
    """`shiplings --no-browser` as a learner starts it, with Jupyter's own folders in tmp_path.

    Yields (base URL, token); the lab is stopped afterwards with Ctrl+C, as a learner would.
    """
    port = free_port()
    jupyter = tmp_path / "jupyter"
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(jupyter / "config"),
        "JUPYTER_DATA_DIR": str(jupyter / "data"),
        "JUPYTER_RUNTIME_DIR": str(jupyter / "runtime"),
        "IPYTHONDIR": str(jupyter / "ipython"),
        "COLUMNS": "300",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "shiplings", "--no-browser", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    try:
        lines = []
        while not any("token=" in line for line in lines):
            line = process.stdout.readline()
            assert line, "shiplings lab stopped early:\n" + "".join(lines)
            lines.append(line)
        url = re.search(r"http://\S+", "".join(lines)).group(0)
        assert url.startswith(f"http://127.0.0.1:{port}/lab/tree/notebooks/01_hello.ipynb?token=")
        token = url.split("token=")[1]
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/status", params={"token": token}, timeout=2)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "JupyterLab did not answer within 60 s"
                assert process.poll() is None, "JupyterLab stopped"
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}", token
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_plain_shiplings_creates_the_workspace_and_serves_the_lesson_notebook(tiny_course, tmp_path):
    """`shiplings --no-browser`, the README's first command on a remote machine, is `shiplings lab`."""
    with running_lab(tmp_path) as (base, token):
        workspace = tiny_course / "workspace"
        assert "TODO(01)" in (workspace / "main.py").read_text()
        assert (workspace / "notebooks" / "02_bye.ipynb").is_file()
        answer = httpx.get(f"{base}/api/contents/notebooks/01_hello.ipynb",
                           params={"token": token, "content": 0}, timeout=10)
        assert answer.status_code == 200 and answer.json()["type"] == "notebook"


def run_in_terminal(base: str, token: str, command: str, cwd: str) -> str:
    """Open a JupyterLab terminal the way JupyterLab's launcher does, type command, return its output."""
    import websocket

    created = httpx.post(f"{base}/api/terminals", params={"token": token}, json={"cwd": cwd}, timeout=10)
    assert created.status_code == 200, created.text
    name = created.json()["name"]
    ws_url = base.replace("http://", "ws://") + f"/terminals/websocket/{name}?token={token}"
    connection = websocket.create_connection(ws_url, timeout=20)
    try:
        # the marker is printed by the shell, not echoed from what was typed: "END" "-OF-RUN"
        connection.send(json.dumps(["stdin", f"{command}; echo END\"-OF-\"RUN\r"]))
        output = ""
        deadline = time.monotonic() + 30
        while "END-OF-RUN" not in output:
            assert time.monotonic() < deadline, "the terminal did not finish:\n" + output
            kind, *payload = json.loads(connection.recv())
            if kind == "stdout":
                output += payload[0]
        return output
    finally:
        connection.close()
        httpx.delete(f"{base}/api/terminals/{name}", params={"token": token}, timeout=10)


def test_a_lab_terminal_opens_in_the_workspace_with_the_course_commands(tiny_course, tmp_path):
    """What the notebooks tell the learner to type works, as printed, in a JupyterLab terminal."""
    workspace = tiny_course / "workspace"
    scripts = sysconfig.get_path("scripts")
    with running_lab(tmp_path) as (base, token):
        # JupyterLab asks for the folder its file browser shows: the notebooks, usually
        output = run_in_terminal(base, token, "command -v shiplings uvicorn pytest; pwd", cwd="notebooks")
    # the shell's own control sequences (bracketed paste on, off) are not part of the lines
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", output).replace("\r", "")
    lines = [line.strip() for line in plain.splitlines()]
    for tool in ("shiplings", "uvicorn", "pytest"):
        assert os.path.join(scripts, tool) in lines, f"`{tool}` is not the course's in a lab terminal:\n{output}"
    assert str(workspace) in lines, f"the terminal did not open in the workspace:\n{output}"


def test_a_port_in_use_is_named_not_a_jupyter_traceback(tiny_course):
    import socket

    from typer.testing import CliRunner

    from shiplings.cli import app

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(app, ["lab", "--no-browser", "--port", str(port)])
    assert result.exit_code == 2
    assert f"Port {port} is already in use" in result.output


def test_a_broken_notebook_copy_is_kept_and_replaced(tiny_course):
    from shiplings.commands.lab import copy_notebooks

    workspace = tiny_course / "workspace"
    copy_notebooks(tiny_course, workspace, ["01_hello"])
    mine = workspace / "notebooks" / "01_hello.ipynb"
    mine.write_text('{"cells": [ half a notebook')
    [kept] = copy_notebooks(tiny_course, workspace, ["01_hello"])
    assert kept.read_text() == '{"cells": [ half a notebook'
    assert "hello from lesson 1" in mine.read_text()
    # kept apart from the app's backups: not among the 20 kept, not something restore lays down
    assert backups.listing() == []


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_the_learners_own_startup_file_cannot_shadow_the_course_tools(shell, tmp_path, monkeypatch):
    """A pyenv or conda line in ~/.bashrc or ~/.zshrc puts its own pytest first; the course's wins."""
    from shiplings.commands.lab import lab_environment, terminal_shell

    found = shutil.which(shell)
    if found is None:
        pytest.skip(f"{shell} is not installed")
    home = tmp_path / "home"
    shadow = home / "shadow-bin"
    shadow.mkdir(parents=True)
    (shadow / "pytest").write_text("#!/bin/sh\necho not the course's\n")
    (shadow / "pytest").chmod(0o755)
    for startup in (".bashrc", ".zshrc"):
        (home / startup).write_text(f'export PATH="{shadow}:$PATH"\nexport MINE=kept\n')
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("ZDOTDIR", raising=False)
    monkeypatch.setenv("SHELL", found)
    env = lab_environment(tmp_path, tmp_path)
    # an interactive shell, as in a terminal; -c runs one line after the start-up files
    said = subprocess.run([*terminal_shell(), "-i", "-c", 'command -v pytest; echo "$MINE"'],
                          env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    lines = said.stdout.split()
    assert lines == [os.path.join(sysconfig.get_path("scripts"), "pytest"), "kept"], said.stdout + said.stderr
