"""shiplings list: every lesson with its state, planned minutes and time spent."""

from __future__ import annotations

from rich.table import Table

from shiplings import state
from shiplings.commands import common

STYLES = {"done": "green", "failing": "red", "started": "yellow", "not started": "dim"}


def list_lessons() -> None:
    """List the lessons: state (done, failing, started, not started), minutes planned, time spent."""
    the_course = common.course()
    progress = state.load()
    current = common.current_lesson(the_course)
    table = Table(title=the_course.title, title_justify="left")
    table.add_column("", width=1)
    table.add_column("Lesson")
    table.add_column("State")
    table.add_column("Planned", justify="right")
    table.add_column("Spent", justify="right")
    for lesson in the_course.lessons:
        entry = progress.of(lesson.id)
        spent = f"{round(entry.seconds / 60)} min" if entry.seconds else "-"
        table.add_row(
            "▶" if lesson.id == current.id else "",
            f"{lesson.id}  {lesson.title}",
            f"[{STYLES.get(entry.status, '')}]{entry.status}[/]",
            f"{lesson.minutes.total} min",
            spent,
        )
    common.console.print(table)
    done = sum(progress.of(lesson.id).status == "done" for lesson in the_course.lessons)
    common.console.print(f"{done}/{len(the_course.lessons)} lessons done.")
