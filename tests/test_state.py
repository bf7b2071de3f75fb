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


def test_a_corrupt_state_file_starts_fresh(tiny_course):
    state.state_file().parent.mkdir(parents=True, exist_ok=True)
    state.state_file().write_text("{not json")
    assert state.load().current is None
