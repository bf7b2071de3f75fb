"""The instructor view: one page per lesson for whoever teaches it, kept off the learner's
pages and out of search. Per lesson: when it runs in the workshop plan and how its minutes
split, the catch-up commands, the instructor notes from course.toml, the notebook's path
through the lesson with the section notes placed at their section, what learners get wrong
(the lesson's mutants, each with the check that catches it) and everything the lesson
changes (the full snapshot diff)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from shiplings.manifest import Course, Lesson
from shiplings.mutants import MutantError, load_mutants
from shiplings.site.diffs import full_diff_markdown
from shiplings.site.markdown import indent, lesson_label, lesson_uri, link, minutes_text, plain_markdown
from shiplings.site.schedule import Plan, clock_text, plan

# Material's search plugin skips a page whose front matter says so: a learner's search for
# "JWT" must not land on the mistakes list or the full diff.
OUT_OF_SEARCH = "---\nsearch:\n  exclude: true\n---\n\n"
INDEX = "instructors/index.md"


def instructor_uri(lesson: Lesson) -> str:
    return f"instructors/{lesson.id}.md"


def notebook_sections(notebook: Path) -> list[str]:
    """The notebook's `##` headings in order: the lesson's path, as the room walks it."""
    if not notebook.is_file():
        return []
    cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    found = []
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            source = "".join(cell.get("source", ""))
            found += [heading.strip() for heading in re.findall(r"^##\s+(.+)$", source, re.M)]
    return found


def notebook_path_markdown(lesson: Lesson, sections: list[str]) -> str:
    """The notebook's sections as a numbered list, each section note placed under its section."""
    unknown = [note.section for note in lesson.section_notes if note.section not in sections]
    if unknown:
        raise ValueError(f"course.toml: the section_notes of lesson {lesson.id} name {', '.join(map(repr, unknown))}, "
                         f"not a `##` heading of lessons/{lesson.id}/lesson.ipynb (its headings: "
                         f"{', '.join(map(repr, sections))})")
    out = []
    for position, section in enumerate(sections, start=1):
        out.append(f"{position}. {plain_markdown(section)}")
        for note in lesson.section_notes:
            if note.section == section:
                out.append("")
                out.append(indent(f'!!! tip "Instructor"\n\n{indent(plain_markdown(note.note.strip()))}'))
    return "\n".join(out) + "\n"


def timing_markdown(lesson: Lesson, laid_out: Plan) -> str:
    minutes = lesson.minutes
    text = f"**{minutes.total} minutes**: {minutes.teaching} teaching, then {minutes.exercises} exercises."
    slot = laid_out.slot_of(lesson)
    if slot:
        text += (f" In the workshop plan: **day {slot.day}, {clock_text(slot.start)}–{clock_text(slot.end)}** "
                 f"(teach until {clock_text(slot.start + minutes.teaching)}, then the room works on the TODOs).")
    return text


def catch_up_markdown(lesson: Lesson) -> str:
    number = lesson.number
    return (
        f"- `shiplings start {number}`: a late joiner, or a workspace gone wrong. It writes everything the "
        f"earlier lessons built plus lesson {number}'s TODOs, after backing up what was in the workspace: "
        "nobody loses their own work.\n"
        f"- `shiplings solve {number}`: the finished lesson, to see it run before trying, or to keep pace.\n"
        "- `shiplings restore`: lists the backups `start` and `solve` made, and brings one back.\n"
    )


def mistakes_markdown(course: Course, lesson: Lesson, root: Path) -> str:
    """The lesson's mutants as the mistakes to walk the room for, with the check that catches each."""
    try:
        mutants = load_mutants(root, lesson)
    except MutantError as error:
        raise ValueError(str(error)) from error
    if not mutants:
        return f"*This lesson has no mutants yet (`checks/{lesson.id}/mutants.toml`).*\n"
    out = [f"Realistic mistakes the checks are proven to catch (`checks/{lesson.id}/mutants.toml`). "
           "When an attendee's check fails, the mistake behind it is often one of these.\n"]
    for mutant in mutants:
        check = lesson.check(mutant.caught_by)
        caught = plain_markdown(check.name) if check else f"`{mutant.caught_by}`"
        out.append(f"- {plain_markdown(mutant.mistake)}  \n  *Caught by:* {caught}")
    return "\n".join(out) + "\n"


def instructor_markdown(course: Course, lesson: Lesson, root: Path, laid_out: Plan | None = None) -> str:
    laid_out = laid_out or plan(course)
    page = instructor_uri(lesson)
    notes = lesson.instructor_notes.strip()
    sections = notebook_sections(root / "lessons" / lesson.id / "lesson.ipynb")
    out = [
        OUT_OF_SEARCH,
        f"# Teaching lesson {lesson.number}: {plain_markdown(lesson.title)}\n",
        f"[:material-school: The learner's page]({link(lesson_uri(lesson), page)}) · "
        f"[All lessons, for instructors]({link(INDEX, page)}) · "
        f"[Instructor guide]({link('guides/instructors.md', page)})\n",
        '!!! abstract "Timing"\n',
        indent(timing_markdown(lesson, laid_out)),
        "## Catch-up {#catch-up}\n",
        catch_up_markdown(lesson),
        "## Notes {#notes}\n",
        (plain_markdown(notes) if notes else "*No notes for this lesson yet: course.toml's `instructor_notes`.*")
        + "\n",
    ]
    if sections:
        out.append("## The notebook's path {#path}\n")
        out.append("The sections of the notebook, in the order the room meets them, with the notes for each:\n")
        out.append(notebook_path_markdown(lesson, sections))
    out.append("## What learners get wrong {#mistakes}\n")
    out.append(mistakes_markdown(course, lesson, root))
    out.append(f"## The checks {{#checks}}\n\nIn the order `shiplings check {lesson.number}` lists them:\n")
    out.extend(f"{position}. {plain_markdown(check.name)}" for position, check in enumerate(lesson.checks, start=1))
    out.append("")
    out.append(full_diff_markdown(course, lesson, root))
    return "\n".join(out)


def instructors_index_markdown(course: Course) -> str:
    laid_out = plan(course)
    out = [
        OUT_OF_SEARCH,
        "# Instructor view\n",
        "One page per lesson for whoever teaches it: timing, catch-up commands, notes, the mistakes "
        "the checks catch, and everything the lesson changes. Learners' pages link here but do not "
        f"show any of it. The [instructor guide]({link('guides/instructors.md', INDEX)}) has the "
        "schedule and how to run a lesson.\n",
        "| Lesson | Minutes | In the plan |\n|---|---|---|",
    ]
    for lesson in course.lessons:
        slot = laid_out.slot_of(lesson)
        when = f"day {slot.day}, {clock_text(slot.start)}" if slot else ""
        out.append(f"| [{plain_markdown(lesson_label(lesson))}]({link(instructor_uri(lesson), INDEX)}) "
                   f"| {minutes_text(lesson.minutes.total)} | {when} |")
    return "\n".join(out) + "\n"
