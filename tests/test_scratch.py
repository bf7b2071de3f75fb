"""Scratch folders of a process that ended (a check killed with SIGKILL) are swept by the next."""

import os
import shutil
import subprocess
import sys

import pytest

from shiplings import scratch, tools


def ended_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_folders_of_ended_processes_are_removed_and_the_rest_kept(tmp_path):
    orphan = tmp_path / f"shiplings-check-{ended_pid()}-abc"
    (orphan / "data").mkdir(parents=True)
    mine = tmp_path / f"shiplings-pg-{os.getpid()}-def"
    mine.mkdir()
    unowned = tmp_path / "shiplings-check-notapid"
    unowned.mkdir()
    assert scratch.sweep(tmp_path) == [orphan]
    assert not orphan.exists() and mine.is_dir() and unowned.is_dir()


def test_a_link_named_like_a_scratch_folder_is_not_followed(tmp_path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "work.py").write_text("keep me")
    (tmp_path / f"shiplings-app-{ended_pid()}-x").symlink_to(precious)
    assert scratch.sweep(tmp_path) == []
    assert (precious / "work.py").read_text() == "keep me"


def test_the_prefix_names_this_process():
    assert scratch.prefix("check") == f"shiplings-check-{os.getpid()}-"


@pytest.mark.skipif(not tools.is_root() or tools.find("postgresql") is None, reason="as root, with PostgreSQL's user")
def test_as_root_a_cluster_folder_handed_to_postgres_is_swept_too(tmp_path):
    orphan = tmp_path / f"shiplings-pg-{ended_pid()}-abc"
    orphan.mkdir()
    shutil.chown(orphan, "postgres")
    assert scratch.sweep(tmp_path) == [orphan]
