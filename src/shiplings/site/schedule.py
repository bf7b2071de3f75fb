"""The workshop schedule: lessons in order with breaks, lunch and days, from the minutes."""

from __future__ import annotations

from dataclasses import dataclass

from shiplings.manifest import Course, Lesson
from shiplings.site.markdown import lesson_label, lesson_uri, link, minutes_text, plain_markdown


@dataclass
class Slot:
    day: int
    start: int  # minutes after midnight
    minutes: int
    what: str
    lesson: Lesson | None = None


# Workshop rhythm: one short break per ~90 minutes of content, lunch ~3.5 h into the day.
DAY_START = 9 * 60
DAY_END = 17 * 60 + 30
SETUP_MINUTES = 15
BLOCK_MINUTES = 90
SHORT_BREAK = 10
LUNCH_AFTER = 210
LUNCH = 60


def schedule(course: Course) -> list[Slot]:
    """Lessons in order with breaks, from the manifest's minutes (teaching + exercises)."""
    day, clock, since_break, had_lunch = 1, DAY_START, SETUP_MINUTES, False
    slots = [Slot(day, clock, SETUP_MINUTES, "Welcome, and everyone runs `shiplings doctor`")]
    clock += SETUP_MINUTES
    for lesson in course.lessons:
        length = lesson.minutes.total
        elapsed = clock - DAY_START
        pause = None
        if not had_lunch and elapsed >= 120 and elapsed + length > LUNCH_AFTER + 15:
            pause = Slot(day, clock, LUNCH, "Lunch")
        elif since_break and since_break + length > BLOCK_MINUTES:
            pause = Slot(day, clock, SHORT_BREAK, "Break")
        pause_minutes = pause.minutes if pause else 0
        if elapsed and clock + pause_minutes + length > DAY_END:
            # the lesson would run past the end of the day: it opens the next one
            day, clock, since_break, had_lunch = day + 1, DAY_START, 0, False
        elif pause:
            slots.append(pause)
            clock += pause.minutes
            since_break = 0
            had_lunch = had_lunch or pause.what == "Lunch"
        slots.append(Slot(day, clock, length, lesson_label(lesson), lesson))
        clock += length
        since_break += length
    return slots


def clock_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def schedule_markdown(course: Course, page: str) -> str:
    slots = schedule(course)
    out = []
    for day in sorted({slot.day for slot in slots}):
        today = [slot for slot in slots if slot.day == day]
        content = sum(slot.minutes for slot in today if slot.lesson)
        end = today[-1].start + today[-1].minutes
        out.append(f"**Day {day}**: {clock_text(today[0].start)} to {clock_text(end)}, "
                   f"{minutes_text(content)} of lessons.\n")
        out.append("| Time | | Teaching | Exercises |\n|---|---|---|---|")
        for slot in today:
            time_range = f"{clock_text(slot.start)}–{clock_text(slot.start + slot.minutes)}"
            if slot.lesson:
                what = f"[{plain_markdown(slot.what)}]({link(lesson_uri(slot.lesson), page)})"
                out.append(f"| {time_range} | {what} | {slot.lesson.minutes.teaching} min "
                           f"| {slot.lesson.minutes.exercises} min |")
            else:
                out.append(f"| {time_range} | *{slot.what}* | | |")
        out.append("")
    return "\n".join(out)
