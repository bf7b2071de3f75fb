"""The real course: every lesson proves the invariants of `shiplings dev check`."""

from pathlib import Path

import pytest

from conftest import LESSON_PROOFS
from shiplings import devcheck
from shiplings.manifest import load_course

REPO = Path(__file__).resolve().parents[1]
COURSE = load_course(REPO)


def test_manifest_and_files_agree():
    assert devcheck.manifest_problems(COURSE, REPO) == []


@pytest.fixture(scope="session")
def proving(request) -> frozenset[str]:
    """The lessons this session proves: an earlier lesson's checks run once per distinct set of files."""
    return frozenset(item.callspec.params["lesson_id"] for item in request.session.items
                     if item.originalname == "test_lesson_is_consistent")


@pytest.mark.timeout(900)
@pytest.mark.parametrize("lesson_id", [lesson.id for lesson in COURSE.lessons])
def test_lesson_is_consistent(lesson_id, proving, pytestconfig):
    report = devcheck.check_lesson(COURSE, REPO, COURSE.lesson(lesson_id), proving=proving)
    pytestconfig.stash.setdefault(LESSON_PROOFS, []).append(report)
    problems = [f"{f.invariant}:\n{f.detail}" for f in report.findings if not f.ok]
    assert not problems, "\n\n".join(problems)
