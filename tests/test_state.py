import os
import subprocess
import sys

from shiplings import state
from shiplings.state import IDLE_GAP, Progress


def test_time_spent_counts_activity_and_caps_idle_gaps():
    progress = Progress()
    progress.record("01_a", "start", now=1000)
    progress.record("01_a", "failed", now=1060)
    progress.record("01_a", "passed", now=1060 + 3 * IDLE_GAP)
    entry = progress.of("01_a")
    assert entry.seconds == 60 + IDLE_GAP
    assert entry.status == "done" and entry.checks_run == 2


def test_a_done_lesson_stays_done_after_a_later_failure():
    progress = Progress()
    progress.record("01_a", "passed", now=10)
    progress.record("01_a", "failed", now=20)
    assert progress.of("01_a").status == "done"


def test_state_round_trips(tiny_course):
    progress = Progress()
    progress.record("02_bye", "start", now=5)
    state.save(progress)
    again = state.load()
    assert again.current == "02_bye" and again.of("02_bye").status == "started"


def write_state(text: str) -> None:
    state.state_file().parent.mkdir(parents=True, exist_ok=True)
    state.state_file().write_text(text)


def kept_copies() -> list:
    return sorted(state.state_file().parent.glob("state.json.bad-*"))


def test_a_corrupt_state_file_is_kept_aside_with_a_warning(tiny_course, capsys):
    write_state("{not json")
    assert state.load().current is None
    [kept] = kept_copies()
    assert kept.read_text() == "{not json"
    warning = capsys.readouterr().err
    assert "not valid JSON" in warning and str(kept) in warning
    # the bad file is gone, so the next command neither warns again nor keeps another copy
    assert state.load().current is None
    assert capsys.readouterr().err == "" and len(kept_copies()) == 1


def test_valid_json_of_the_wrong_shape_is_kept_aside_not_a_crash(tiny_course, capsys):
    write_state('{"current": 5, "lessons": []}')
    progress = state.load()
    assert progress.current is None and progress.lessons == {}
    assert kept_copies()[0].read_text() == '{"current": 5, "lessons": []}'
    assert "current: Input should be a valid string" in capsys.readouterr().err


def test_an_unknown_status_is_not_accepted_and_the_rest_is_kept(tiny_course, capsys):
    # one bad entry must not cost the learner their place in the course (a lesson-07 workspace
    # would otherwise be checked as lesson 01)
    write_state('{"current": "07_auth", "lessons": {"01_hello": {"status": "finished"},'
                ' "02_bye": {"status": "done", "seconds": 60}}}')
    progress = state.load()
    assert progress.current == "07_auth"
    assert "01_hello" not in progress.lessons and progress.of("02_bye").status == "done"
    warning = capsys.readouterr().err
    assert "lessons.01_hello.status" in warning and "current lesson: 07_auth" in warning
    assert len(kept_copies()) == 1
    assert state.load().current == "07_auth" and capsys.readouterr().err == ""  # saved, once


def test_update_saves_what_the_block_changed_and_nothing_when_it_fails(tiny_course):
    with state.update() as progress:
        progress.record("01_hello", "start", now=5)
    assert state.load().current == "01_hello"
    try:
        with state.update() as progress:
            progress.current = "02_bye"
            raise RuntimeError("the command failed halfway")
    except RuntimeError:
        pass
    assert state.load().current == "01_hello"
    # no temporary file is left behind
    assert sorted(p.name for p in state.state_file().parent.iterdir()) == ["state.json", "state.json.lock"]


INCREMENT = """
import sys
from shiplings import state

for _ in range(50):
    with state.update() as progress:
        progress.of(sys.argv[1]).checks_run += 1
"""


def test_two_processes_updating_at_once_lose_nothing(tiny_course):
    writers = [
        subprocess.Popen([sys.executable, "-c", INCREMENT, lesson], env=os.environ.copy())
        for lesson in ("01_hello", "02_bye")
    ]
    assert [writer.wait(timeout=120) for writer in writers] == [0, 0]
    progress = state.load()
    assert progress.of("01_hello").checks_run == 50
    assert progress.of("02_bye").checks_run == 50
    assert kept_copies() == []


def test_without_fcntl_updates_still_save_without_a_lock(tiny_course, monkeypatch):
    monkeypatch.setattr(state, "fcntl", None)  # as on Windows
    with state.update() as progress:
        progress.record("02_bye", "start", now=5)
    assert state.load().current == "02_bye"
    assert not (state.state_file().parent / "state.json.lock").exists()
