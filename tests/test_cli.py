"""The learner's commands, driven as a learner would (Typer's CliRunner)."""

import json

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
