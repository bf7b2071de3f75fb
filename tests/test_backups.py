"""Backups: what they keep, which lesson they record, links, and pruning."""

import os
import shutil

import pytest

from shiplings import backups


def make_workspace(root, files: dict[str, str]):
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_a_backup_records_its_lesson_without_adding_a_file(tiny_course, tmp_path):
    workspace = make_workspace(tmp_path / "ws", {"main.py": "mine", "app/core.py": "core"})
    backup = backups.create(workspace, "before-start-02", "01_hello")
    assert backup.lesson == "01_hello"
    assert backup.files == ["app/core.py", "main.py"]
    assert backup.info.reason == "before-start-02"
    (workspace / "main.py").write_text("changed")
    backups.restore(backup, workspace)
    assert (workspace / "main.py").read_text() == "mine"
    assert not (workspace / backups.METADATA).exists()


def test_an_old_backup_without_metadata_still_lists_and_restores(tiny_course, tmp_path):
    old = backups.backups_dir() / "20250101-120000-before-start-02"
    make_workspace(old, {"main.py": "from last year"})
    [listed] = backups.listing()
    assert listed.lesson is None and listed.files == ["main.py"]
    workspace = make_workspace(tmp_path / "ws", {"a.py": "a"})
    newer = backups.create(workspace, "now")
    assert backups.listing() == [newer, listed]  # its time comes from its name
    backups.restore(listed, workspace)
    assert (workspace / "main.py").read_text() == "from last year"
    assert not (workspace / "a.py").exists()


def test_listing_is_newest_first_even_within_one_second(tiny_course, tmp_path):
    workspace = make_workspace(tmp_path / "ws", {"main.py": "x"})
    made = [backups.create(workspace, reason) for reason in ("zzz", "aaa", "mmm")]
    assert [backup.name for backup in backups.listing()] == [backup.name for backup in reversed(made)]


def test_a_backup_that_fails_halfway_leaves_no_backup(tiny_course, tmp_path, monkeypatch):
    workspace = make_workspace(tmp_path / "ws", {"main.py": "x", "other.py": "y"})
    original = shutil.copy2

    def disk_full_after_one_file(source, destination):
        original(source, destination)
        raise OSError("No space left on device")

    monkeypatch.setattr(shutil, "copy2", disk_full_after_one_file)
    with pytest.raises(OSError, match="No space"):
        backups.create(workspace, "broken")
    assert backups.listing() == []
    assert list(backups.backups_dir().iterdir()) == []


def test_pruning_keeps_the_newest_and_never_the_ones_named(tiny_course, tmp_path):
    workspace = make_workspace(tmp_path / "ws", {"main.py": "x"})
    made = [backups.create(workspace, f"n{number:02d}") for number in range(backups.KEEP_LAST + 3)]
    removed = backups.prune(made[-1], made[0])
    assert [backup.name for backup in removed] == [made[2].name, made[1].name]
    remaining = {backup.name for backup in backups.listing()}
    assert made[0].name in remaining and made[-1].name in remaining
    assert len(remaining) == backups.KEEP_LAST + 1


def test_links_finds_linked_folders_files_and_dangling_links_but_not_installed_packages(tmp_path):
    outside = make_workspace(tmp_path / "outside", {"lib/code.py": "x", "file.txt": "y"})
    workspace = make_workspace(tmp_path / "ws", {"main.py": "x", "node_modules/.bin/keep": "z"})
    (workspace / "app").mkdir()
    (workspace / "app" / "lib").symlink_to(outside / "lib")
    (workspace / "settings.txt").symlink_to(outside / "file.txt")
    (workspace / "gone").symlink_to(tmp_path / "nowhere")
    (workspace / "node_modules" / "linked").symlink_to(outside / "lib")
    (workspace / ".venv").symlink_to(outside)
    assert [path.relative_to(workspace).as_posix() for path in backups.links(workspace)] == [
        "app/lib", "gone", "settings.txt",
    ]


def test_links_follows_a_workspace_that_is_itself_a_link(tmp_path):
    real = make_workspace(tmp_path / "real", {"main.py": "x"})
    (tmp_path / "ws").symlink_to(real)
    assert backups.links(tmp_path / "ws") == []
    assert [path.name for path in backups.app_files(tmp_path / "ws")] == ["main.py"]


def test_clearing_app_files_leaves_a_link_to_an_empty_folder_alone(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    workspace = make_workspace(tmp_path / "ws", {"main.py": "x", "app/a.py": "a"})
    (workspace / "app" / "data").symlink_to(empty)
    backups.clear_app_files(workspace)
    assert not (workspace / "main.py").exists()
    assert (workspace / "app" / "data").is_symlink() and empty.is_dir()
    assert os.listdir(workspace / "app") == ["data"]


def test_a_git_repository_in_the_workspace_is_neither_backed_up_nor_cleared(tiny_course, tmp_path):
    workspace = make_workspace(tmp_path / "ws", {"main.py": "x", ".git/HEAD": "ref: refs/heads/main\n"})
    backup = backups.create(workspace, "before-start-02")
    assert backup.files == ["main.py"]
    backups.clear_app_files(workspace)
    assert (workspace / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"
