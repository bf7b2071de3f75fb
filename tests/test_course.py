"""The real course: every lesson proves the invariants of `shiplings dev check`."""

import re
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import LESSON_PROOFS
from shiplings import devcheck
from shiplings.manifest import load_course
from shiplings.overlays import snapshot_tree

REPO = Path(__file__).resolve().parents[1]
COURSE = load_course(REPO)


def test_manifest_and_files_agree():
    assert devcheck.manifest_problems(COURSE, REPO) == []


@pytest.fixture(scope="session")
def proving(request) -> frozenset[str]:
    """The lessons this session proves: an earlier lesson's checks run once per distinct set of files."""
    return frozenset(item.callspec.params["lesson_id"] for item in request.session.items
                     if item.originalname == "test_lesson_is_consistent")


# Lessons proved at once. Much of a proof is waiting (servers starting, outages timing out), and
# RUN_SLOTS in devcheck bounds the runs of all proofs together: a second proof fills the slots the
# first leaves idle, above all at its end, when only its last mutants still run.
PROOF_JOBS = 2


def uses_engine(lesson_id: str) -> bool:
    return "docker" in COURSE.lesson(lesson_id).services


def next_proof(pending: list[str], engine_busy: bool) -> str | None:
    """The longest pending proof that can go now: never two on the Docker Engine at once.

    The runs of an engine lesson's proof already go side by side on the one engine they
    share (devcheck.SharedEngine): a second engine lesson beside them would add its stacks
    to the same two cores, under checks that measure latency (lesson 18's objective, the
    rolling update under traffic), where a lesson without containers fills the slot.
    """
    for lesson_id in pending:
        if not (engine_busy and uses_engine(lesson_id)):
            return lesson_id
    return pending[0] if pending else None


@pytest.fixture(scope="session")
def proofs(proving) -> Iterator[dict[str, Future]]:
    """Every proof of the session, longest (the last lesson) first, PROOF_JOBS at a time."""
    pending = sorted(proving, key=lambda lesson_id: COURSE.index(COURSE.lesson(lesson_id)), reverse=True)
    started = {lesson_id: Future() for lesson_id in pending}
    choosing = threading.Lock()
    on_the_engine = []  # the engine lessons being proved now

    def prove() -> None:
        while True:
            with choosing:
                lesson_id = next_proof(pending, engine_busy=bool(on_the_engine))
                if lesson_id is None:
                    return
                pending.remove(lesson_id)
                if uses_engine(lesson_id):
                    on_the_engine.append(lesson_id)
            future = started[lesson_id]
            try:
                if future.set_running_or_notify_cancel():
                    future.set_result(devcheck.check_lesson(COURSE, REPO, COURSE.lesson(lesson_id), proving=proving))
            except BaseException as error:  # the test of that lesson reports it
                future.set_exception(error)
            finally:
                if uses_engine(lesson_id):
                    with choosing:
                        on_the_engine.remove(lesson_id)

    with ThreadPoolExecutor(max_workers=PROOF_JOBS, thread_name_prefix="proof") as pool:
        for _ in range(PROOF_JOBS):
            pool.submit(prove)
        try:
            yield started
        finally:
            for future in started.values():
                future.cancel()  # an interrupted session proves nothing more


def test_proofs_never_put_two_engine_lessons_side_by_side():
    engine_lessons = [lesson.id for lesson in reversed(COURSE.lessons) if uses_engine(lesson.id)]
    others = [lesson.id for lesson in reversed(COURSE.lessons) if not uses_engine(lesson.id)]
    if not engine_lessons or not others:
        pytest.skip("the course needs lessons of both kinds for this")
    pending = engine_lessons + others
    assert next_proof(pending, engine_busy=False) == engine_lessons[0]
    assert next_proof(pending, engine_busy=True) == others[0]
    # with nothing else left, an engine lesson still goes (and waits for the engine)
    assert next_proof(engine_lessons[-1:], engine_busy=True) == engine_lessons[-1]
    assert next_proof([], engine_busy=False) is None


# in the order the proofs start, so each test waits for its own proof only
@pytest.mark.timeout(1200)
@pytest.mark.parametrize("lesson_id", [lesson.id for lesson in reversed(COURSE.lessons)])
def test_lesson_is_consistent(lesson_id, proofs, pytestconfig):
    report = proofs[lesson_id].result()
    pytestconfig.stash.setdefault(LESSON_PROOFS, []).append(report)
    problems = [f"{f.invariant}:\n{f.detail}" for f in report.findings if not f.ok]
    assert not problems, "\n\n".join(problems)


# The app the learner ships is production code: the notebook explains, the code stays terse.
# A comment that points at a lesson ("until lesson 13...") is course scaffolding left in it.
APP_CODE = re.compile(r"^(app/.*\.py|gunicorn\.conf\.py|migrations/env\.py|frontend/src/.*\.(ts|vue)"
                      r"|frontend/nginx\.conf|(.*/)?Dockerfile|compose\.yaml|proxy/nginx\.conf"
                      r"|scripts/.*|\.github/workflows/.*|monitoring/.*)$")
COURSE_WORDS = re.compile(r"\b(lessons?|notebooks?|shiplings)\b", re.IGNORECASE)


@pytest.mark.parametrize("lesson_id", [lesson.id for lesson in COURSE.lessons])
def test_app_code_never_mentions_the_course(lesson_id):
    lesson = COURSE.lesson(lesson_id)
    found = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for name, path in sorted(snapshot_tree(COURSE, lesson, REPO).items())
        if APP_CODE.match(name) and "__tests__" not in name
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if COURSE_WORDS.search(line)
    ]
    assert not found, "app code in snapshot({}) talks about the course:\n{}".format(lesson.number, "\n".join(found))
