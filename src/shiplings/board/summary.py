"""What the board shows, kept up to date as reports arrive, and drawn from memory.

The board is one process, the only writer of its database. So the summary rows (one per
learner, one per learner and lesson) are loaded once at start into a Room, changed in
memory as each report arrives, and written through to the database in the same
transaction as the report itself: a report costs three statements and no ORM loading,
and drawing the board (every second, for the live page) reads no database at all.

- apply_report() stores a report once (its idempotency key) and moves the learner's row
  and their row for that lesson along.
- board() draws learners x lessons, who is stuck and why, each learner's doctor status,
  the checks failing most right now, and planned vs actual minutes per lesson.
"""

from __future__ import annotations

import csv
import io
import statistics
import time
from dataclasses import dataclass, field

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.inspection import inspect

from shiplings.board.db import Learner, LessonState, Removal, Report
from shiplings.board.schemas import ReportIn

# a check counts as "failing now" when its learner reported within this many seconds
FAILING_NOW_SECONDS = 30 * 60
NOT_FAILURES = ("passed", "skipped", "unavailable")
# the pseudo-check of a run that could not run the checks at all (a syntax error in the app)
PROBLEM = "(the app did not load)"


@dataclass(frozen=True)
class LessonInfo:
    id: str
    number: str
    title: str
    planned: int  # minutes, from course.toml
    check_names: dict[str, str] = field(default_factory=dict)


def course_lessons() -> list[LessonInfo]:
    """The lessons of the course this board serves, in order, from course.toml."""
    from shiplings.manifest import load_course
    from shiplings.paths import course_root

    course = load_course(course_root())
    return [LessonInfo(each.id, each.number, each.title, each.minutes.total,
                       {check.test: check.name for check in each.checks}) for each in course.lessons]


class Room:
    """Every learner and their lesson rows, in memory (detached ORM objects), indexed for the board."""

    def __init__(self) -> None:
        self.learners: dict[int, Learner] = {}
        self.by_token: dict[str, Learner] = {}
        self.states: dict[tuple[int, str], LessonState] = {}
        # the token digests of removed learners: refused with a reason, not as unknown
        self.removed_tokens: set[str] = set()

    async def load(self, session: AsyncSession) -> None:
        for learner in (await session.scalars(select(Learner))).all():
            self.add(learner)
        for state in (await session.scalars(select(LessonState))).all():
            self.states[(state.learner_id, state.lesson)] = state
        for removal in (await session.scalars(select(Removal))).all():
            self.remove(removal.learner_id)
        session.expunge_all()

    def add(self, learner: Learner) -> None:
        self.learners[learner.id] = learner
        self.by_token[learner.token_hash] = learner

    def remove(self, learner_id: int) -> Learner | None:
        """Take a learner off the board: their row, their lessons (and so the timing), their token."""
        learner = self.learners.pop(learner_id, None)
        if learner is None:
            return None
        self.by_token.pop(learner.token_hash, None)
        self.removed_tokens.add(learner.token_hash)
        for key in [key for key in self.states if key[0] == learner_id]:
            del self.states[key]
        return learner

    def states_of(self, learner_id: int) -> list[LessonState]:
        return [state for (owner, _), state in self.states.items() if owner == learner_id]


def insert_for(session: AsyncSession):
    return (postgresql if session.bind.dialect.name == "postgresql" else sqlite).insert


def columns(row) -> dict:
    return {column.key: getattr(row, column.key) for column in inspect(type(row)).columns}


async def apply_group(session: AsyncSession, room: Room, items: list[tuple[Learner, list[ReportIn], float]]
                      ) -> list[int]:
    """Store the reports of several requests in one go; returns how many each request added.

    Four statements whatever the number of reports (insert, learners, lesson rows, commit by
    the caller): the reports that arrived while the last group was written go together. A
    key stored before is skipped (the idempotency key), in this group or an earlier one.
    The caller commits; should that fail, it reloads the room (memory went ahead of it).
    """
    rows = []
    for learner, reports, received_at in items:
        if room.learners.get(learner.id) is not learner:  # removed while its request waited for the writer
            continue
        for report in sorted(reports, key=lambda each: each.at):
            # a learner's clock may be off, and a queued report arrives late: trust it within reason
            at = min(report.at, received_at + 60)
            rows.append(dict(learner_id=learner.id, key=report.key, kind=report.kind, lesson=report.lesson,
                             passed=report.passed, duration=report.duration,
                             checks=[check.model_dump() for check in report.checks], at=at,
                             received_at=received_at))
    if not rows:
        return [0] * len(items)
    connection = await session.connection()
    insert = insert_for(session)
    statement = (insert(Report.__table__).values(rows)
                 .on_conflict_do_nothing(index_elements=["learner_id", "key"])
                 .returning(Report.__table__.c.learner_id, Report.__table__.c.key))
    new = {(row.learner_id, row.key) for row in await connection.execute(statement)}
    learners: dict[int, Learner] = {}
    states: dict[tuple[int, str], LessonState] = {}
    counts = []
    for learner, reports, received_at in items:
        stored = 0
        for report in sorted(reports, key=lambda each: each.at):
            if (learner.id, report.key) not in new:
                continue
            new.discard((learner.id, report.key))  # the same key twice in one group counts once
            for state in apply_to_room(room, learner, report, min(report.at, received_at + 60)):
                states[(state.learner_id, state.lesson)] = state
            learners[learner.id] = learner
            stored += 1
        counts.append(stored)
    if learners:
        table = Learner.__table__
        changes = [column.key for column in table.columns if column.key != "id"]
        by_id = (table.update().where(table.c.id == bindparam("learner_id"))
                 .values({key: bindparam(key) for key in changes}))
        await connection.execute(by_id, [{key: getattr(each, key) for key in changes} | {"learner_id": each.id}
                                         for each in learners.values()])
    if states:
        table = LessonState.__table__
        upsert = insert(table)
        upsert = upsert.on_conflict_do_update(
            index_elements=["learner_id", "lesson"],
            set_={column.key: upsert.excluded[column.key] for column in table.columns if not column.primary_key})
        await connection.execute(upsert, [columns(state) for state in states.values()])
    return counts


def apply_to_room(room: Room, learner: Learner, report: ReportIn, at: float) -> list[LessonState]:
    """Move the learner's rows along in memory; returns the lesson rows it changed."""
    learner.reports += 1
    newest = learner.last_at is None or at >= learner.last_at
    learner.last_at = max(at, learner.last_at or at)
    failed = [check.test for check in report.checks if check.outcome not in NOT_FAILURES]
    if report.kind == "doctor":
        if learner.doctor_at is None or at >= learner.doctor_at:
            learner.doctor_at, learner.doctor_passed, learner.doctor_failing = at, report.passed, failed
        return []
    if newest:
        learner.current_lesson = report.now_on or report.lesson
        learner.last_kind, learner.last_passed = report.kind, report.passed
    state = lesson_state(room, learner.id, report.lesson, at)
    state.runs += 1
    state.first_at, state.last_at = min(state.first_at, at), max(state.last_at, at)
    if report.passed:
        state.passed_at = min(state.passed_at or at, at)
    state.last_passed, state.failing = report.passed, failed
    streaks = dict(state.streaks)
    for check in report.checks:
        if check.outcome in NOT_FAILURES:
            streaks.pop(check.test, None)
        else:
            streaks[check.test] = streaks.get(check.test, 0) + 1
    state.streaks = streaks
    if report.now_on and report.now_on != report.lesson:  # `next` moved on: the next lesson starts now
        upcoming = lesson_state(room, learner.id, report.now_on, at)
        upcoming.first_at = min(upcoming.first_at, at)
        return [state, upcoming]
    return [state]


def lesson_state(room: Room, learner_id: int, lesson: str, at: float) -> LessonState:
    state = room.states.get((learner_id, lesson))
    if state is None:
        state = LessonState(learner_id=learner_id, lesson=lesson, first_at=at, last_at=at, runs=0, passed_at=None,
                            failing=[], streaks={}, last_passed=False)
        room.states[(learner_id, lesson)] = state
    return state


def learner_row(learner: Learner, states: list[LessonState], lessons: dict[str, LessonInfo],
                stuck_failures: int, now: float) -> dict:
    """One learner's row: the same for the board and for the learner's own view."""
    cells = {}
    for state in states:
        status = "done" if state.passed_at else ("failing" if state.runs else "started")
        spent = ((state.passed_at or now) - state.first_at) / 60
        cells[state.lesson] = {"status": status, "runs": state.runs, "minutes": round(spent, 1),
                               "failing": state.failing}
    current = next((state for state in states if state.lesson == learner.current_lesson), None)
    return {
        "id": learner.id,
        "name": learner.name,
        "current_lesson": learner.current_lesson,
        "last_at": learner.last_at,
        "last_kind": learner.last_kind,
        "last_passed": learner.last_passed,
        "doctor": (None if learner.doctor_at is None else
                   {"passed": learner.doctor_passed, "failing": learner.doctor_failing, "at": learner.doctor_at}),
        "lessons": cells,
        "stuck": stuck_reason(current, lessons.get(learner.current_lesson or ""), stuck_failures, now),
    }


def stuck_reason(state: LessonState | None, lesson: LessonInfo | None, stuck_failures: int, now: float) -> str | None:
    """Why this learner needs the instructor now, in a few words; None when they do not."""
    if state is None or state.passed_at:
        return None
    test, times = max(state.streaks.items(), key=lambda item: item[1], default=(None, 0))
    if test is not None and times >= stuck_failures:
        name = lesson.check_names.get(test, test) if lesson else test
        return f"'{name}' failed {times} times in a row"
    if lesson is None or not lesson.planned:
        return None
    if now - state.last_at > lesson.planned * 60:
        return f"no check for {round((now - state.last_at) / 60)} min on lesson {lesson.number}"
    if now - state.first_at > lesson.planned * 60:
        return f"{round((now - state.first_at) / 60)} min on lesson {lesson.number} (planned {lesson.planned})"
    return None


def board(room: Room, lessons: list[LessonInfo], stuck_failures: int, now: float | None = None) -> dict:
    now = now or time.time()
    by_id = {lesson.id: lesson for lesson in lessons}
    learners = sorted(room.learners.values(), key=lambda each: (each.name, each.id))
    states = list(room.states.values())
    per_learner: dict[int, list[LessonState]] = {}
    for state in states:
        per_learner.setdefault(state.learner_id, []).append(state)
    rows = [learner_row(each, per_learner.get(each.id, []), by_id, stuck_failures, now) for each in learners]
    return {
        "now": now,
        "lessons": [{"id": each.id, "number": each.number, "title": each.title, "planned": each.planned}
                    for each in lessons],
        "learners": rows,
        "failing_now": failing_now(learners, per_learner, by_id, now),
        "timing": timing(lessons, states),
        "counts": {
            "learners": len(rows),
            "stuck": sum(1 for row in rows if row["stuck"]),
            "doctor_ok": sum(1 for row in rows if row["doctor"] and row["doctor"]["passed"]),
            "doctor_failing": sum(1 for row in rows if row["doctor"] and not row["doctor"]["passed"]),
        },
    }


def failing_now(learners, per_learner: dict[int, list[LessonState]], lessons: dict[str, LessonInfo],
                now: float) -> list[dict]:
    """The checks failing for the most learners on their current lesson, among those active lately."""
    counts: dict[tuple[str, str], int] = {}
    for learner in learners:
        for state in per_learner.get(learner.id, []):
            if state.lesson == learner.current_lesson and not state.last_passed \
                    and now - state.last_at < FAILING_NOW_SECONDS:
                for test in state.failing:
                    counts[(state.lesson, test)] = counts.get((state.lesson, test), 0) + 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:10]
    return [{"lesson": lesson, "test": test, "learners": count,
             "name": lessons[lesson].check_names.get(test, test) if lesson in lessons else test}
            for (lesson, test), count in ranked]


def timing(lessons: list[LessonInfo], states) -> list[dict]:
    """Planned vs actual minutes per lesson: the median learner's time from first report to a pass."""
    rows = []
    for lesson in lessons:
        mine = [state for state in states if state.lesson == lesson.id]
        done = [(state.passed_at - state.first_at) / 60 for state in mine if state.passed_at]
        rows.append({"lesson": lesson.id, "title": lesson.title, "planned_minutes": lesson.planned,
                     "median_actual_minutes": round(statistics.median(done), 1) if done else None,
                     "slowest_minutes": round(max(done), 1) if done else None,
                     "learners_started": len(mine), "learners_done": len(done)})
    return rows


def timing_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["lesson"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
