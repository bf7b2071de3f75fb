"""The real course: every lesson proves the invariants of `shiplings dev check`."""

from pathlib import Path

import pytest

from shiplings import devcheck
from shiplings.manifest import load_course

REPO = Path(__file__).resolve().parents[1]
COURSE = load_course(REPO)


def test_manifest_and_files_agree():
    assert devcheck.manifest_problems(COURSE, REPO) == []


@pytest.mark.timeout(900)
@pytest.mark.parametrize("lesson_id", [lesson.id for lesson in COURSE.lessons])
def test_lesson_is_consistent(lesson_id):
    report = devcheck.check_lesson(COURSE, REPO, COURSE.lesson(lesson_id))
    problems = [f"{f.invariant}:\n{f.detail}" for f in report.findings if not f.ok]
    assert not problems, "\n\n".join(problems)
