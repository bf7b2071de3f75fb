"""`shiplings check` starts pytest before the CLI finished importing; only a matching run is used."""

import subprocess
import sys

from shiplings import runner
from shiplings.manifest import load_course, match_lesson
from shiplings.overlays import snapshot_tree, write_tree
from shiplings.prelaunch import prelaunch


def test_lessons_match_by_number_id_and_slug():
    ids = ["01_hello", "02_bye"]
    assert match_lesson(ids, "2") == match_lesson(ids, "02") == match_lesson(ids, "bye") == "02_bye"
    assert match_lesson(ids, "7") is None


def check_with_head_start(tiny_course, launched_for: str, checked: str) -> tuple[runner.RunResult, runner.Launch]:
    """Prelaunch `check <launched_for>`, then run lesson `checked` on its solution."""
    course = load_course(tiny_course)
    write_tree(snapshot_tree(course, course.lesson(checked), tiny_course), tiny_course / "workspace")
    launched = prelaunch(["check", launched_for])
    result = runner.run_checks(course, tiny_course, course.lesson(checked), tiny_course / "workspace",
                               head_start=launched)
    return result, launched


def test_a_prelaunched_run_is_used_when_it_matches(tiny_course, monkeypatch):
    monkeypatch.delenv("SHIPLINGS_NO_PRELAUNCH")
    result, launched = check_with_head_start(tiny_course, "1", "1")
    assert result.passed
    assert launched.process.returncode == 0


def test_a_mismatched_prelaunch_is_discarded(tiny_course, monkeypatch):
    monkeypatch.delenv("SHIPLINGS_NO_PRELAUNCH")
    result, launched = check_with_head_start(tiny_course, "1", "2")
    assert result.lesson == "02_bye" and result.passed
    assert launched.process.returncode is not None  # stopped, not used


def test_nothing_is_prelaunched_for_other_commands(tiny_course, monkeypatch):
    monkeypatch.delenv("SHIPLINGS_NO_PRELAUNCH")
    assert prelaunch(["list"]) is None
    assert prelaunch(["check", "1", "--help"]) is None
    assert prelaunch(["check", "1"]) is None  # no workspace yet


def test_the_start_up_path_does_not_import_pydantic():
    # the point of the head start: the manifest's rules and the state file are read without
    # the validated model, which costs more to import than the head start saves
    code = ("import sys; from shiplings import prelaunch; "
            "assert 'pydantic' not in sys.modules, sorted(m for m in sys.modules if 'pydantic' in m)")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_check_command_uses_its_head_start_instead_of_a_second_run(tiny_course, monkeypatch):
    monkeypatch.delenv("SHIPLINGS_NO_PRELAUNCH")
    course = load_course(tiny_course)
    write_tree(snapshot_tree(course, course.lesson(1), tiny_course), tiny_course / "workspace")
    runs = tiny_course / "pytest-runs.txt"
    # every pytest process of a check run signs in here once it is configured
    (tiny_course / "checks" / "conftest.py").write_text(
        f"import os\n\ndef pytest_configure(config):\n"
        f"    with open({str(runs)!r}, 'a') as handle:\n        handle.write(f'{{os.getpid()}}\\n')\n"
    )
    done = subprocess.run([sys.executable, "-m", "shiplings", "check", "1"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(runs.read_text().split()) == 1
