"""The workshop schedule: the lessons spread evenly over the workshop's days, with a setup
check, recaps, breaks, lunch and feedback, from the lessons' minutes and course.toml's
[workshop] table (days, hours, lunch time, break lengths: see manifest.schema.Workshop)."""

from __future__ import annotations

from dataclasses import dataclass

from shiplings.manifest import Course, Lesson
from shiplings.manifest.schema import Workshop
from shiplings.site.markdown import lesson_label, lesson_uri, link, minutes_text, plain_markdown

SETUP = "Welcome, and everyone runs `shiplings doctor`"
RECAP = "Recap of the day before, and questions"
FEEDBACK = "Feedback: what worked, what did not"
BREAK = "Break"
LUNCH = "Lunch"


@dataclass
class Slot:
    day: int
    start: int  # minutes after midnight
    minutes: int
    what: str
    lesson: Lesson | None = None

    @property
    def end(self) -> int:
        return self.start + self.minutes


@dataclass
class Plan:
    slots: list[Slot]
    workshop: Workshop
    days: int  # may be more than workshop.days when the lessons do not fit

    def day(self, number: int) -> list[Slot]:
        return [slot for slot in self.slots if slot.day == number]

    def slot_of(self, lesson: Lesson) -> Slot | None:
        return next((slot for slot in self.slots if slot.lesson == lesson), None)


def clock(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def clock_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def even_split(lengths: list[int], days: int) -> list[int]:
    """Where each day starts (indexes into lengths), so that the longest day is as short as it can be.

    Lessons stay in order; a plain greedy fill packs day 1 to the brim and leaves the last
    day half empty (the plan once put the long auth lesson last on a full day 1 and ended
    day 2 before lunch).
    """
    days = min(days, len(lengths))
    prefix = [0]
    for length in lengths:
        prefix.append(prefix[-1] + length)
    infinity = float("inf")
    # best[d][i]: the shortest longest day that fits the first i lessons into d days; cut: where day d starts
    best = [[infinity] * (len(lengths) + 1) for _ in range(days + 1)]
    cut = [[0] * (len(lengths) + 1) for _ in range(days + 1)]
    best[0][0] = 0
    for day in range(1, days + 1):
        for end in range(day, len(lengths) + 1):
            for begin in range(day - 1, end):
                longest = max(best[day - 1][begin], prefix[end] - prefix[begin])
                if longest < best[day][end]:
                    best[day][end], cut[day][end] = longest, begin
    starts, end = [], len(lengths)
    for day in range(days, 0, -1):
        end = cut[day][end]
        starts.append(end)
    return starts[::-1]


def lay_out_day(number: int, lessons: list[Lesson], workshop: Workshop) -> list[Slot]:
    """One day: opening, lessons with a break before a block would pass block_minutes,
    lunch at the lesson boundary nearest the lunch time, feedback at the end."""
    now = clock(workshop.start)
    lunch_at = clock(workshop.lunch)
    opening = (SETUP, workshop.setup_minutes) if number == 1 else (RECAP, workshop.recap_minutes)
    slots = []

    def add(what: str, minutes: int, lesson: Lesson | None = None) -> None:
        nonlocal now
        if minutes:
            slots.append(Slot(number, now, minutes, what, lesson))
            now += minutes

    add(*opening)
    since_break, had_lunch = 0, False
    for lesson in lessons:
        length = lesson.minutes.total
        if not had_lunch and workshop.lunch_minutes and abs(now - lunch_at) <= abs(now + length - lunch_at):
            add(LUNCH, workshop.lunch_minutes)
            since_break, had_lunch = 0, True
        elif since_break and since_break + length > workshop.block_minutes:
            add(BREAK, workshop.break_minutes)
            since_break = 0
        add(lesson_label(lesson), length, lesson)
        since_break += length
    add(FEEDBACK, workshop.feedback_minutes)
    return slots


def plan(course: Course, workshop: Workshop | None = None) -> Plan:
    """The lessons over the workshop's days; a day is added while a day would run past its end."""
    workshop = workshop or course.workshop
    lessons = course.lessons
    lengths = [lesson.minutes.total for lesson in lessons]
    days = workshop.days
    while True:
        starts = even_split(lengths, days) + [len(lessons)]
        slots = []
        for number, (begin, end) in enumerate(zip(starts, starts[1:], strict=False), start=1):
            slots += lay_out_day(number, lessons[begin:end], workshop)
        overrun = any(slot.end > clock(workshop.end) for slot in slots)
        if not overrun or days >= len(lessons):
            return Plan(slots, workshop, max(slot.day for slot in slots))
        days += 1


def schedule(course: Course, workshop: Workshop | None = None) -> list[Slot]:
    return plan(course, workshop).slots


def schedule_markdown(course: Course, page: str) -> str:
    laid_out = plan(course)
    workshop = laid_out.workshop
    out = []
    if laid_out.days > workshop.days:
        out.append(f'!!! warning "The lessons need {laid_out.days} days"\n\n'
                   f"    course.toml's `[workshop]` plans {workshop.days} days from {workshop.start} to "
                   f"{workshop.end}: the lessons do not fit, so the plan below takes {laid_out.days}. "
                   "Lengthen the days, shorten the breaks, or raise `days`.\n")
    for day in range(1, laid_out.days + 1):
        today = laid_out.day(day)
        content = sum(slot.minutes for slot in today if slot.lesson)
        out.append(f"**Day {day}**: {clock_text(today[0].start)} to {clock_text(today[-1].end)}, "
                   f"{minutes_text(content)} of lessons.\n")
        out.append("| Time | | Teaching | Exercises |\n|---|---|---|---|")
        for slot in today:
            time_range = f"{clock_text(slot.start)}–{clock_text(slot.end)}"
            if slot.lesson:
                what = f"[{plain_markdown(slot.what)}]({link(lesson_uri(slot.lesson), page)})"
                out.append(f"| {time_range} | {what} | {slot.lesson.minutes.teaching} min "
                           f"| {slot.lesson.minutes.exercises} min |")
            else:
                out.append(f"| {time_range} | *{slot.what}* | | |")
        out.append("")
    return "\n".join(out)
