"""`shiplings check` starts pytest before the CLI finished importing; only a matching run is used."""

from shiplings import runner
from shiplings.manifest import load_course
from shiplings.overlays import snapshot_tree, write_tree
from shiplings.prelaunch import match_lesson, prelaunch


def test_lessons_match_by_number_id_and_slug():
    ids = ["01_hello", "02_bye"]
    assert match_lesson(ids, "2") == match_lesson(ids, "02") == match_lesson(ids, "bye") == "02_bye"
    assert match_lesson(ids, "7") is None


def test_a_prelaunched_run_is_used_when_it_matches(tiny_course, monkeypatch):
    monkeypatch.delenv("SHIPLINGS_NO_PRELAUNCH")
    course = load_course(tiny_course)
    write_tree(snapshot_tree(course, course.lesson(1), tiny_course), tiny_course / "workspace")
    prelaunch(["check", "1"])
    [launched] = runner.PRELAUNCHED
    result = runner.run_checks(course, tiny_course, course.lesson(1), tiny_course / "workspace")
    assert result.passed and not runner.PRELAUNCHED
    assert launched.process.returncode == 0


def test_a_mismatched_prelaunch_is_discarded(tiny_course, monkeypatch):
    monkeypatch.delenv("SHIPLINGS_NO_PRELAUNCH")
    course = load_course(tiny_course)
    write_tree(snapshot_tree(course, course.lesson(2), tiny_course), tiny_course / "workspace")
    prelaunch(["check", "1"])
    [launched] = runner.PRELAUNCHED
    result = runner.run_checks(course, tiny_course, course.lesson(2), tiny_course / "workspace")
    assert result.lesson == "02_bye" and result.passed
    assert launched.process.returncode is not None and not runner.PRELAUNCHED


def test_nothing_is_prelaunched_for_other_commands(tiny_course, monkeypatch):
    monkeypatch.delenv("SHIPLINGS_NO_PRELAUNCH")
    prelaunch(["list"])
    prelaunch(["check", "1", "--help"])
    prelaunch(["check", "1"])  # no workspace yet
    assert runner.PRELAUNCHED == []
