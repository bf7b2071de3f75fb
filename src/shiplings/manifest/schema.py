"""course.toml validated: the Course model, its parts, lessons and checks.

The rules it applies (lesson lookup, retired checks) live in shiplings.manifest as plain
functions, shared with the start-up fast path.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shiplings.manifest import match_lesson, read, retired_tests
from shiplings.paths import course_root

LESSON_ID = re.compile(r"^\d{2}_[a-z0-9_]+$")

Service = Literal["node", "chromium", "postgresql", "redis", "nginx", "wrk", "docker", "compose", "hadolint",
                  "promtool"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Check(Strict):
    """One check: a test function in checks/<lesson>/, as the learner sees it."""

    test: str = Field(description="Name of the test function in checks/<lesson>/ (unique per lesson).")
    name: str = Field(description="What the check proves, in plain words, shown on its result line.")
    hints: list[str] = Field(
        min_length=1,
        description="Tiered hints, gentlest first; the last one may nearly give the answer.",
    )


class Retired(Strict):
    """A check of an earlier lesson that stops holding here, on purpose."""

    check: str = Field(description="'<lesson id>::<test name>' of the earlier check.")
    reason: str = Field(min_length=10, description="Why the behaviour it checks changes here.")


class SectionNote(Strict):
    """An instructor note for one point of the lesson: a section of its notebook."""

    section: str = Field(description="A `##` heading of the lesson's notebook, as written there.")
    note: str = Field(min_length=1, description="What to do or to watch for when the room reaches it.")


class Minutes(Strict):
    """Planned workshop time for a lesson."""

    teaching: int = Field(ge=0, description="Minutes of instructor-led explanation and demo.")
    exercises: int = Field(ge=0, description="Minutes the learners work on the TODOs.")

    @property
    def total(self) -> int:
        return self.teaching + self.exercises


CLOCK = r"^([01]\d|2[0-3]):[0-5]\d$"


class Workshop(Strict):
    """How a live workshop spreads the lessons over its days: the site's schedule reads it."""

    days: int = Field(default=2, ge=1, description="Days the lessons are spread over, evenly (the schedule adds "
                      "a day, and says so, when they do not fit).")
    start: str = Field(default="09:00", pattern=CLOCK, description="When each day starts (HH:MM).")
    end: str = Field(default="17:30", pattern=CLOCK, description="When each day must be over, feedback included.")
    lunch: str = Field(default="12:30", pattern=CLOCK,
                       description="Lunch starts at the lesson boundary nearest this time.")
    lunch_minutes: int = Field(default=60, ge=0, description="Length of lunch.")
    break_minutes: int = Field(default=10, ge=0, description="Length of a short break.")
    block_minutes: int = Field(default=90, ge=15, description="Most minutes of lessons between two breaks.")
    setup_minutes: int = Field(default=15, ge=0, description="Day 1 opens with everyone running `shiplings doctor`.")
    recap_minutes: int = Field(default=15, ge=0, description="Every later day opens with a recap of the day before.")
    feedback_minutes: int = Field(default=10, ge=0, description="Every day closes with a feedback round.")

    @model_validator(mode="after")
    def _day_in_order(self) -> Workshop:
        if not self.start < self.lunch < self.end:
            raise ValueError(f"[workshop]: start ({self.start}), lunch ({self.lunch}) and end ({self.end}) "
                             "must come in that order")
        return self


class NeverRead(Strict):
    """Workspace files that the checks of a run of lessons never read."""

    first: str = Field(description="Id of the first lesson of the run.")
    last: str = Field(description="Id of the last lesson of the run (the same as `first` for one lesson).")
    paths: list[str] = Field(
        min_length=1,
        description="fnmatch patterns of workspace paths, relative to the workspace root; `*` crosses folders.",
    )


class Proof(Strict):
    """What `shiplings dev check` may take for granted, to keep proving the course from growing quadratically."""

    never_read: list[NeverRead] = Field(
        default_factory=list,
        description="Files that some lessons' checks never read. When a later lesson's workspace differs from one "
        "where these checks already passed only in such files, they are not run again on it (invariant 3): "
        "their result cannot differ. A wrong entry hides a regression, so list only what the checks cannot reach.",
    )


class Part(Strict):
    """A part of the course (backend, frontend, delivery)."""

    number: int = Field(ge=1, description="Part number, shown as a Roman numeral.")
    title: str = Field(description="Title of the part.")


class Lesson(Strict):
    """One lesson: one step of the growing app."""

    id: str = Field(description="NN_slug; names lessons/, solutions/ and checks/ folders.")
    title: str = Field(description="Short title for lists and navigation.")
    part: int = Field(ge=1, description="Number of the part the lesson belongs to.")
    minutes: Minutes = Field(description="Planned time, used for the workshop schedule.")
    objectives: list[str] = Field(min_length=1, description="What the learner can do afterwards.")
    services: list[Service] = Field(
        default_factory=list,
        description="Tools and servers the lesson's checks need; `shiplings doctor` reads this.",
    )
    removes: list[str] = Field(
        default_factory=list,
        description="Workspace paths the solved overlay deletes (files or folders).",
    )
    retires: list[Retired] = Field(
        default_factory=list,
        description="Earlier checks that stop holding from this lesson on, with the reason.",
    )
    instructor_notes: str = Field(
        default="",
        description="Notes for workshop instructors: pacing, stumbling points, demos.",
    )
    section_notes: list[SectionNote] = Field(
        default_factory=list,
        description="Instructor notes placed at a section of the notebook (the instructor view shows each there).",
    )
    checks: list[Check] = Field(min_length=1, description="The lesson's checks, in display order.")

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not LESSON_ID.match(value):
            raise ValueError(f"lesson id {value!r} must look like 01_slug (two digits, _, a-z0-9_)")
        return value

    @model_validator(mode="after")
    def _unique_checks(self) -> Lesson:
        names = [check.test for check in self.checks]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"{self.id}: check listed twice: {', '.join(duplicates)}")
        return self

    @property
    def number(self) -> str:
        return self.id[:2]

    def check(self, test: str) -> Check | None:
        return next((check for check in self.checks if check.test == test), None)


class Course(Strict):
    """The whole course: parts, then lessons in teaching order."""

    title: str = Field(description="Course title, for the CLI banner and the site.")
    parts: list[Part] = Field(min_length=1, description="The parts, in order.")
    lessons: list[Lesson] = Field(min_length=1, description="The lessons, in teaching order.")
    workshop: Workshop = Field(default_factory=Workshop,
                               description="Days, hours and breaks of a live workshop ([workshop] table).")
    proof: Proof = Field(default_factory=Proof, description="Shortcuts of `shiplings dev check` ([proof] table).")

    model_config = ConfigDict(extra="forbid", frozen=True, ignored_types=(cached_property,))

    @model_validator(mode="after")
    def _consistent(self) -> Course:
        ids = [lesson.id for lesson in self.lessons]
        numbers = [lesson.number for lesson in self.lessons]
        if len(set(numbers)) != len(numbers):
            raise ValueError("two lessons share a number")
        if numbers != sorted(numbers):
            raise ValueError("lessons must be listed in number order")
        known_parts = {part.number for part in self.parts}
        for lesson in self.lessons:
            if lesson.part not in known_parts:
                raise ValueError(f"{lesson.id}: part {lesson.part} is not in [[parts]]")
            for retired in lesson.retires:
                owner, _, test = retired.check.partition("::")
                earlier = ids[: ids.index(lesson.id)]
                if owner not in earlier:
                    raise ValueError(f"{lesson.id} retires {retired.check}: not an earlier lesson")
                if self.lesson(owner).check(test) is None:
                    raise ValueError(f"{lesson.id} retires {retired.check}: no such check")
        for group in self.proof.never_read:
            unknown = [ref for ref in (group.first, group.last) if ref not in ids]
            if unknown:
                raise ValueError(f"[proof] never_read names {', '.join(unknown)}: not a lesson id")
            if ids.index(group.first) > ids.index(group.last):
                raise ValueError(f"[proof] never_read: {group.first} comes after {group.last}")
        return self

    def lesson(self, ref: str | int) -> Lesson:
        """Find a lesson by id, by number ('7', '07') or by slug; KeyError says what exists."""
        found = match_lesson([lesson.id for lesson in self.lessons], str(ref))
        if found is not None:
            return next(lesson for lesson in self.lessons if lesson.id == found)
        text = str(ref).strip()
        known = ", ".join(lesson.id for lesson in self.lessons)
        raise KeyError(f"There is no lesson {text!r}. The lessons are: {known}.")

    def index(self, lesson: Lesson) -> int:
        return self.lessons.index(lesson)

    def before(self, lesson: Lesson) -> list[Lesson]:
        return self.lessons[: self.index(lesson)]

    def never_read(self, lesson: Lesson) -> list[str]:
        """Patterns of the workspace files this lesson's checks never read ([proof] never_read)."""
        ids = [step.id for step in self.lessons]
        at = ids.index(lesson.id)
        return [pattern for group in self.proof.never_read
                if ids.index(group.first) <= at <= ids.index(group.last) for pattern in group.paths]

    def part(self, number: int) -> Part:
        return next(part for part in self.parts if part.number == number)

    def lessons_by_part(self) -> list[tuple[Part, list[Lesson]]]:
        """Every part with its lessons, in teaching order (a part still being written has none)."""
        return [(part, [lesson for lesson in self.lessons if lesson.part == part.number]) for part in self.parts]

    def retired_tests(self, lesson: Lesson, at: Lesson | None) -> set[str]:
        """Test names of `lesson` retired by the time the workspace reaches lesson `at`."""
        retires = [(step.id, [retired.check for retired in step.retires]) for step in self.lessons]
        return retired_tests(retires, lesson.id, at.id if at else None)


# (parsed TOML, its model) per course root: validated once per version of course.toml
_validated: dict[Path, tuple[dict, Course]] = {}


def load_course(root: Path | None = None) -> Course:
    """The validated course (frozen, so one model serves every caller in the process)."""
    root = root or course_root()
    data = read(root)
    cached = _validated.get(root)
    if cached is None or cached[0] is not data:
        cached = _validated[root] = (data, Course.model_validate(data))
    return cached[1]
