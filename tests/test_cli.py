"""The learner's commands, driven as a learner would (Typer's CliRunner)."""

import json
import os

from typer.testing import CliRunner

from shiplings import backups, state
from shiplings.cli import app

runner = CliRunner()


def shiplings(*args: str):
    return runner.invoke(app, list(args))


def test_start_writes_the_starter_and_names_the_todo_files(tiny_course):
    result = shiplings("start", "1")
    assert result.exit_code == 0, result.output
    assert "TODO(01) in: main.py" in result.output
    assert "TODO(01)" in (tiny_course / "workspace" / "main.py").read_text()
    assert state.load().current == "01_hello"


def test_check_reports_one_line_per_check_and_exits_1_on_failure(tiny_course):
    shiplings("start", "1")
    result = shiplings("check", "1")
    assert result.exit_code == 1
    assert "✗ GET /hello says hello" in result.output
    assert "should say hello" in result.output
    assert "shiplings hint 01" in result.output
    assert "Traceback" not in result.output
    assert state.load().of("01_hello").status == "failing"


def test_check_json_is_machine_readable(tiny_course):
    shiplings("solve", "1")
    result = shiplings("check", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["passed"] is True and data["lesson"] == "01_hello"
    assert data["checks"][0]["name"] == "GET /hello says hello"
    assert state.load().of("01_hello").status == "done"


def test_solve_backs_up_and_restore_brings_the_learner_work_back(tiny_course):
    shiplings("start", "1")
    mine = tiny_course / "workspace" / "main.py"
    mine.write_text(mine.read_text() + "\n# my precious edit\n")
    (tiny_course / "workspace" / "notes.md").write_text("my notes")
    result = shiplings("solve", "1")
    assert "shiplings restore" in result.output
    assert "my precious edit" not in mine.read_text()
    assert not (tiny_course / "workspace" / "notes.md").exists()
    [backup] = backups.listing()
    listing = shiplings("restore")
    assert backup.name in listing.output
    restored = shiplings("restore", backup.name)
    assert restored.exit_code == 0, restored.output
    assert "my precious edit" in mine.read_text()
    assert (tiny_course / "workspace" / "notes.md").read_text() == "my notes"
    # restoring made a backup of the solved files too: nothing is ever lost
    assert len(backups.listing()) == 2


def test_start_keeps_notebooks(tiny_course):
    shiplings("start", "1")
    notebook = tiny_course / "workspace" / "notebooks" / "01_hello.ipynb"
    notebook.parent.mkdir()
    notebook.write_text("{}")
    shiplings("start", "2")
    assert notebook.read_text() == "{}"


def test_next_needs_the_current_lesson_done_then_lays_the_next_starter(tiny_course):
    shiplings("start", "1")
    blocked = shiplings("next")
    assert blocked.exit_code == 1 and "not done yet" in blocked.output
    shiplings("solve", "1")
    (tiny_course / "workspace" / "mine.txt").write_text("kept")
    shiplings("check", "1")
    moved = shiplings("next")
    assert moved.exit_code == 0, moved.output
    assert "TODO(02)" in (tiny_course / "workspace" / "main.py").read_text()
    assert (tiny_course / "workspace" / "mine.txt").read_text() == "kept"
    assert state.load().current == "02_bye"


def test_hint_shows_the_first_failing_check_and_tiers(tiny_course):
    shiplings("start", "1")
    first = shiplings("hint", "1")
    assert "Hint 1/2: Return a dict." in first.output
    assert "--level 2" in first.output
    second = shiplings("hint", "1", "--level", "2")
    assert "Hint 2/2" in second.output


def test_diff_shows_the_learner_against_the_solution(tiny_course):
    shiplings("start", "1")
    result = shiplings("diff", "1")
    assert "main.py" in result.output and "TODO(01)" in result.output
    shiplings("solve", "1")
    assert "matches the solution" in shiplings("diff", "1").output


def test_list_shows_states_and_planned_minutes(tiny_course):
    shiplings("solve", "1")
    shiplings("check", "1")
    result = shiplings("list")
    assert "01_hello" in result.output and "done" in result.output
    assert "15 min" in result.output and "not started" in result.output


def test_unknown_lesson_lists_the_lessons(tiny_course):
    result = shiplings("check", "42")
    assert result.exit_code == 2
    assert "There is no lesson '42'" in result.output and "01_hello, 02_bye" in result.output


def test_check_without_workspace_says_what_to_run(tiny_course):
    result = shiplings("check", "1")
    assert result.exit_code == 2
    assert "shiplings start 01" in result.output


def test_dev_snapshot_writes_a_folder(tiny_course, tmp_path):
    result = shiplings("dev", "snapshot", "2", "--out", str(tmp_path / "snap"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "snap" / "main.py").is_file()
    assert not (tmp_path / "snap" / "old.txt").exists()


def test_dev_new_scaffolds_a_lesson_that_dev_check_understands(tiny_course):
    result = shiplings("dev", "new", "03_more", "--title", "More")
    assert result.exit_code == 0, result.output
    for folder in ("lessons/03_more/starter", "solutions/03_more", "checks/03_more"):
        assert (tiny_course / folder).is_dir()
    from shiplings.manifest import load_course

    assert load_course(tiny_course).lesson(3).title == "More"
    assert shiplings("dev", "new", "03_more").exit_code == 2


# --- state, backups and workspace stay in step ---------------------------------------------


def test_start_on_a_corrupt_state_file_warns_and_keeps_the_learner_files(tiny_course):
    shiplings("start", "1")
    mine = tiny_course / "workspace" / "main.py"
    mine.write_text("# my work\n")
    state.state_file().write_text('{"current": 5, "lessons": []}')
    result = shiplings("start", "2")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and "state.json.bad-" in result.output
    [backup] = backups.listing()
    assert (backup.path / "main.py").read_text() == "# my work\n"
    assert state.load().current == "02_bye"


def test_restore_puts_the_current_lesson_back_to_the_backups_lesson(tiny_course):
    shiplings("start", "1")
    (tiny_course / "workspace" / "main.py").write_text("# lesson 1 work\n")
    shiplings("start", "2")
    [backup] = backups.listing()
    listing = shiplings("restore")
    assert "01_hello" in listing.output and backup.name in listing.output
    result = shiplings("restore", backup.name)
    assert result.exit_code == 0, result.output
    assert "current lesson is now 01_hello" in result.output
    assert state.load().current == "01_hello"
    # the backup made by restore records that the replaced files were at lesson 02
    assert backups.listing()[0].lesson == "02_bye"


def test_restore_of_a_backup_without_a_lesson_keeps_the_current_lesson(tiny_course):
    shiplings("start", "2")
    old = backups.backups_dir() / "20250101-120000-before-start-02"
    old.mkdir(parents=True)
    (old / "main.py").write_text("# old\n")
    result = shiplings("restore", old.name)
    assert result.exit_code == 0, result.output
    assert "does not record which lesson" in result.output
    assert (tiny_course / "workspace" / "main.py").read_text() == "# old\n"
    assert state.load().current == "02_bye"


def test_restore_needs_an_unambiguous_name(tiny_course):
    shiplings("start", "1")
    shiplings("start", "2")
    shiplings("start", "1")
    result = shiplings("restore", "20")
    assert result.exit_code == 2 and "matches 2 backups" in result.output


def test_restoring_the_oldest_of_many_backups_does_not_prune_it_first(tiny_course):
    workspace = tiny_course / "workspace"
    shiplings("start", "1")
    (workspace / "main.py").write_text("# the oldest\n")
    oldest = backups.create(workspace, "oldest", "01_hello")
    fillers = [backups.create(workspace, "filler", "01_hello") for _ in range(backups.KEEP_LAST)]
    result = shiplings("restore", oldest.name)
    assert result.exit_code == 0, result.output
    # the safety backup made one too many: the oldest goes, but not the one being restored
    assert f"Removed 1 old backup(s), keeping the newest {backups.KEEP_LAST}: {fillers[0].name}" in result.output
    assert (workspace / "main.py").read_text() == "# the oldest\n"
    assert oldest.name in [backup.name for backup in backups.listing()]


def test_next_re_runs_the_checks_and_refuses_when_they_fail_now(tiny_course):
    shiplings("solve", "1")
    shiplings("check", "1")
    assert state.load().of("01_hello").status == "done"
    mine = tiny_course / "workspace" / "main.py"
    mine.write_text(mine.read_text().replace('"hello"}', '"oops"}'))
    result = shiplings("next")
    assert result.exit_code == 1
    assert "✗ GET /hello says hello" in result.output and "not done yet" in result.output
    assert "TODO(02)" not in mine.read_text() and backups.listing() == []
    assert state.load().current == "01_hello"


def test_next_warns_about_earlier_lessons_that_fail_now_but_goes_on(tiny_course):
    shiplings("start", "1")
    shiplings("solve", "1")
    result = shiplings("next")
    assert result.exit_code == 0, result.output
    assert "Lesson 01_hello: all checks pass" in result.output
    shiplings("solve", "2")
    mine = tiny_course / "workspace" / "main.py"
    mine.write_text(mine.read_text().replace('"hello"}', '"oops"}'))
    last = shiplings("next")
    assert last.exit_code == 0, last.output
    assert "01_hello: 1 check(s) fail now: GET /hello says hello" in last.output
    assert "Warning" in last.output and "shiplings check 01" in last.output
    assert "That was the last lesson" in last.output


def test_next_reports_earlier_lessons_still_passing(tiny_course):
    shiplings("solve", "2")
    result = shiplings("next")
    assert "✓ 01_hello: still passing" in result.output


def linked_workspace_refuses(tiny_course, *commands: tuple[str, ...]):
    workspace = tiny_course / "workspace"
    before = {path: path.read_bytes() for path in backups.app_files(workspace)}
    for command in commands:
        result = shiplings(*command)
        assert result.exit_code == 2, result.output
        assert "symbolic link" in result.output and "Nothing was changed" in result.output
        assert "Traceback" not in result.output and not isinstance(result.exception, OSError)
        assert {path: path.read_bytes() for path in backups.app_files(workspace)} == before
    return result


def test_a_linked_folder_in_the_workspace_stops_start_solve_and_restore(tiny_course, tmp_path):
    shiplings("start", "1")
    mine = tmp_path / "elsewhere"
    mine.mkdir()
    (mine / "work.py").write_text("# kept outside\n")
    (tiny_course / "workspace" / "app").symlink_to(mine)
    backup = backups.create(tiny_course / "workspace", "by-hand", "01_hello")
    result = linked_workspace_refuses(tiny_course, ("start", "2"), ("solve", "1"), ("restore", backup.name))
    assert f"app -> {mine}" in result.output
    assert (mine / "work.py").read_text() == "# kept outside\n"
    assert len(backups.listing()) == 1


def test_a_link_to_an_empty_folder_is_named_not_a_crash(tiny_course, tmp_path):
    shiplings("solve", "1")
    (tmp_path / "empty").mkdir()
    (tiny_course / "workspace" / "data").symlink_to(tmp_path / "empty")
    backup = backups.create(tiny_course / "workspace", "by-hand", "01_hello")
    result = linked_workspace_refuses(tiny_course, ("start", "1"), ("restore", backup.name), ("next",))
    assert "data ->" in result.output
    assert (tiny_course / "workspace" / "main.py").is_file()


def test_a_linked_file_is_not_written_through(tiny_course, tmp_path):
    shiplings("start", "1")
    outside = tmp_path / "main.py"
    outside.write_text("# somebody else's file\n")
    (tiny_course / "workspace" / "main.py").unlink()
    (tiny_course / "workspace" / "main.py").symlink_to(outside)
    linked_workspace_refuses(tiny_course, ("solve", "1"))
    assert outside.read_text() == "# somebody else's file\n"


def test_a_workspace_that_is_itself_a_link_is_followed(tiny_course, tmp_path, monkeypatch):
    real = tmp_path / "on-another-drive"
    real.mkdir()
    monkeypatch.delenv("SHIPLINGS_WORKSPACE")
    (tiny_course / "workspace").symlink_to(real)
    assert shiplings("start", "1").exit_code == 0
    (real / "main.py").write_text("# mine\n")
    result = shiplings("solve", "1")
    assert result.exit_code == 0, result.output
    assert "TODO" not in (real / "main.py").read_text()
    assert (backups.listing()[0].path / "main.py").read_text() == "# mine\n"


def test_a_workspace_that_is_a_file_is_named_not_a_crash(tiny_course):
    (tiny_course / "workspace").write_text("oops")
    for command in (("start", "1"), ("check", "1"), ("next",)):
        result = shiplings(*command)
        assert result.exit_code == 2, result.output
        assert "is a file, not a folder" in result.output
    assert (tiny_course / "workspace").read_text() == "oops"


def test_piped_diff_keeps_long_lines_whole(tiny_course):
    """`shiplings diff 01 > file` never cuts code at 80 columns (nor wraps it)."""
    import os
    import subprocess
    import sys

    shiplings("start", "1")
    long_line = "LONG = '" + "x" * 190 + "'"
    main = tiny_course / "workspace" / "main.py"
    main.write_text(main.read_text() + long_line + "\n")
    piped = subprocess.run([sys.executable, "-m", "shiplings", "diff", "1"], capture_output=True, text=True,
                           env={**os.environ, "COLUMNS": "80"}, timeout=120)
    assert "-" + long_line in piped.stdout.splitlines(), piped.stdout + piped.stderr


def test_start_next_and_restore_spell_commands_for_where_the_learner_is(tiny_course, monkeypatch):
    (tiny_course / "shiplings").write_text("#!/bin/sh\n")
    monkeypatch.setenv("PATH", os.defpath)
    monkeypatch.chdir(tiny_course)
    shiplings("start", "1")
    result = shiplings("start", "2")
    assert "`./shiplings check 02`" in result.output and "`./shiplings restore 2" in result.output
    refused = shiplings("next")
    assert "its checks must pass before `./shiplings next`" in refused.output
    assert "`./shiplings restore NAME`" in shiplings("restore").output


def test_a_check_that_cannot_run_leaves_the_lessons_progress_as_it_was(tiny_course, monkeypatch):
    from shiplings.commands import check, common
    from shiplings.runner import CheckOutcome, RunResult

    shiplings("start", "1")
    blocked = RunResult("01_hello", "Hello", [
        CheckOutcome("test_hello", "says hello", "passed"),
        CheckOutcome("test_counts_in_redis", "counts in Redis", "unavailable",
                     message="cannot run: redis is not installed"),
    ], 0.1)
    # the run itself is not what this test is about: the machine has Redis, so stand in for one without
    monkeypatch.setattr(check, "run_checks", lambda *args, **kwargs: blocked)
    check.run_and_record(common.target("1"))
    assert state.load().of("01_hello").status == "started"  # neither done nor failing
    failed = RunResult("01_hello", "Hello",
                       [blocked.checks[1], CheckOutcome("test_hello", "says hello", "failed")], 0.1)
    monkeypatch.setattr(check, "run_checks", lambda *args, **kwargs: failed)
    check.run_and_record(common.target("1"))
    assert state.load().of("01_hello").status == "failing"  # a real failure still counts
