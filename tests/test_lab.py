"""`shiplings lab`: the workspace appears, JupyterLab serves the next lesson's notebook."""

import os
import re
import signal
import subprocess
import sys
import time

import httpx

from shiplings.net import free_port


def test_plain_shiplings_creates_the_workspace_and_serves_the_lesson_notebook(tiny_course, tmp_path):
    """`shiplings --no-browser`, the README's first command on a remote machine, is `shiplings lab`."""
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
        workspace = tiny_course / "workspace"
        assert "TODO(01)" in (workspace / "main.py").read_text()
        assert (workspace / "notebooks" / "02_bye.ipynb").is_file()
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/api/contents/notebooks/01_hello.ipynb",
                                   params={"token": token, "content": 0}, timeout=2)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "JupyterLab did not answer within 60 s"
                assert process.poll() is None, "JupyterLab stopped"
                time.sleep(0.3)
        assert answer.status_code == 200 and answer.json()["type"] == "notebook"
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


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
