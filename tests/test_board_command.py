"""`shiplings board serve` and `shiplings board code` (shiplings.commands.board), as an instructor runs them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from shiplings.cli import app as cli
from shiplings.net import free_port


def test_serve_prints_the_secret_once_and_a_join_command_that_works(tiny_course: Path, tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    env = dict(os.environ, COLUMNS="250")
    command = [sys.executable, "-m", "shiplings", "board", "serve", "--port", str(port), "--hours", "2"]

    def serve_once() -> str:
        with open(log, "w") as out:
            server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200:
                        return log.read_text()
                except httpx.HTTPError:
                    time.sleep(0.2)
            raise AssertionError(f"the board did not become ready:\n{log.read_text()}")
        finally:
            server.terminate()
            server.wait(timeout=30)

    first = serve_once()
    secret = re.search(r"Instructor secret \(shown once, keep it\): (\S+)", first).group(1)
    joining = re.search(rf"shiplings join http://127\.0\.0\.1:{port} (\S{{4}}-\S{{4}}) --name", first)
    assert joining, first
    assert "works for 2 h" in first
    assert (tiny_course / ".shiplings" / "board" / "board.db").is_file()
    assert secret not in (tiny_course / ".shiplings" / "board" / "instructor.json").read_text()
    second = serve_once()
    assert secret not in second and "the one printed when this board first started" in second
    made = CliRunner().invoke(cli, ["board", "code", "--hours", "3"])
    assert made.exit_code == 0, made.output
    assert re.search(r"Join code \S{4}-\S{4} works for 3 h", made.output)
