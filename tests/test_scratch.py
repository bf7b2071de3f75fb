"""Scratch folders of a process that ended (a check killed with SIGKILL) are swept by the next."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

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


def test_a_memory_folder_is_used_only_with_room_to_spare(monkeypatch):
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(scratch.shutil, "disk_usage", lambda path: usage(1 << 40, 0, 1 << 34))
    assert scratch.fast_dir() in ("/dev/shm", None)  # None where /dev/shm cannot be written
    monkeypatch.setattr(scratch.shutil, "disk_usage", lambda path: usage(64 << 20, 0, 60 << 20))  # a container's
    assert scratch.fast_dir() is None

    def no_such_folder(path):
        raise FileNotFoundError(path)

    monkeypatch.setattr(scratch.shutil, "disk_usage", no_such_folder)  # macOS
    assert scratch.fast_dir() is None


def test_leftovers_in_the_memory_folder_are_swept_too(tmp_path, monkeypatch):
    usual, fast = tmp_path / "tmp", tmp_path / "shm"
    usual.mkdir()
    fast.mkdir()
    monkeypatch.setattr(scratch.tempfile, "gettempdir", lambda: str(usual))
    monkeypatch.setattr(scratch, "fast_dir", lambda: str(fast))
    orphans = [folder / f"shiplings-pg-{ended_pid()}-abc" for folder in (usual, fast)]
    for orphan in orphans:
        orphan.mkdir()
    assert scratch.sweep() == orphans


@pytest.mark.skipif(tools.find("postgresql") is None and not os.environ.get("CI"), reason="PostgreSQL is not installed")
def test_a_postgres_cluster_lives_in_the_memory_folder_when_there_is_one():
    from shiplings import services

    folder = Path(scratch.fast_dir() or tempfile.gettempdir())
    with services.postgres() as server:
        # the cluster's folder holds the server's socket file
        assert list(folder.glob(f"shiplings-pg-{os.getpid()}-*/.s.PGSQL.{server.port}"))
