"""The Markdown of the lesson pages and of the lessons overview, from the manifest."""

from __future__ import annotations

from pathlib import Path

from shiplings.manifest import Course, Lesson
from shiplings.site.diffs import solution_files_markdown, what_changed_markdown
from shiplings.site.instructors import instructor_uri
from shiplings.site.markdown import indent, lesson_label, lesson_uri, link, minutes_text, part_label, plain_markdown
from shiplings.site.notebooks import notebook_placeholder


def checks_markdown(course: Course, lesson: Lesson) -> str:
    number = lesson.number
    out = [
        "## The checks {#checks}\n",
        f"`shiplings check {number}` in a terminal, or `%check {number}` in the notebook, runs "
        f"these {len(lesson.checks)} checks against your workspace and prints one line per check. "
        f"Open a check for the hints `shiplings hint {number}` gives, gentlest first: open the "
        "next hint only when the last one did not help.\n",
    ]
    for position, check in enumerate(lesson.checks, start=1):
        # one collapsed block per check; inside, hint 1 is plain and each further tier is
        # collapsed again, so reading a hint never spoils the next one
        hints = [f"**Hint 1 of {len(check.hints)}:** {plain_markdown(check.hints[0])}\n"]
        for tier, hint in enumerate(check.hints[1:], start=2):
            hints.append(f'??? tip "Hint {tier} of {len(check.hints)}"\n')
            hints.append(indent(plain_markdown(hint)))
        out.append(f'??? check "{position}. {plain_markdown(check.name)}"\n')
        out.append(indent("\n".join(hints)))
    for retired in lesson.retires:
        owner, _, test = retired.check.partition("::")
        earlier = course.lesson(owner).check(test)
        name = earlier.name if earlier else retired.check
        out.append(f'!!! info "Retired from here on: {plain_markdown(name)} (lesson {owner[:2]})"\n')
        out.append(indent(plain_markdown(retired.reason)))
    return "\n".join(out)


def lesson_markdown(course: Course, lesson: Lesson, root: Path, has_notebook: bool, with_outputs: bool = False) -> str:
    page = lesson_uri(lesson)
    minutes = lesson.minutes
    objectives = "\n".join(f"- {plain_markdown(objective)}" for objective in lesson.objectives)
    services = ""
    if lesson.services:
        services = (
            f"\n\nNeeds on your machine: {', '.join(lesson.services)}. "
            f"`shiplings doctor` says whether you have them ([troubleshooting]"
            f"({link('guides/troubleshooting.md', page)}))."
        )
    glance = (
        f"{plain_markdown(part_label(course, lesson.part))}  \n"
        f"**{minutes.total} minutes**: {minutes.teaching} teaching, {minutes.exercises} exercises · "
        f"**{len(lesson.checks)} checks**\n\n"
        f"After this lesson you can:\n\n{objectives}\n\n"
        f"Catch up to this lesson's starting point with `shiplings start {lesson.number}`, "
        f"then check your work with `shiplings check {lesson.number}`.{services}\n\n"
        f"Teaching this lesson? The [instructor view]({link(instructor_uri(lesson), page)}) has its timing, "
        "notes, common mistakes and full diff."
    )
    out = [
        f"# Lesson {lesson.number}: {plain_markdown(lesson.title)}\n",
        '!!! abstract "At a glance"\n',
        indent(glance),
    ]
    if has_notebook:
        if with_outputs:
            shown = ("the outputs below are from a run against this lesson's solution, so yours "
                     "will differ until your app is finished (and timings differ from machine to machine).")
        else:
            shown = "the site shows it without outputs."
        out.append(
            f"The lesson itself is the notebook below, as it opens in JupyterLab "
            f"(`notebooks/{lesson.id}.ipynb` in your workspace). Run its cells there: {shown} "
            f"[:material-download: Download the notebook]({link(notebook_download_uri(lesson), page)})"
            f"{{: download=\"{lesson.id}.ipynb\" }}\n"
        )
        out.append(notebook_placeholder(lesson) + "\n")
    else:
        out.append('!!! warning "The notebook of this lesson is being written"\n')
        out.append(indent("Until it is published here, the checks, the diff and the solution files "
                          "below show what the lesson builds."))
    out.append('!!! success "Key points"\n')
    out.append(indent("After this lesson you can:\n\n" + objectives))
    out.append(checks_markdown(course, lesson))
    out.append(what_changed_markdown(course, lesson, root))
    out.append(solution_files_markdown(lesson, root))
    return "\n".join(out)


def notebook_download_uri(lesson: Lesson) -> str:
    """The stripped notebook as a file of the site, for a learner without the course repository."""
    return f"notebooks/{lesson.id}.ipynb"


def lessons_index_markdown(course: Course) -> str:
    page = "lessons/index.md"
    total = sum(lesson.minutes.total for lesson in course.lessons)
    out = [
        "# Lessons\n",
        f"{len(course.lessons)} lessons, {minutes_text(total)} of planned workshop time. "
        "Each lesson adds one step to the same app, and each step is checked. "
        "You can start at any lesson: `shiplings start NN` gives you its starting files.\n",
    ]
    for part, lessons in course.lessons_by_part():
        out.append(f"## {plain_markdown(part_label(course, part.number))}\n")
        if not lessons:
            out.append("The lessons of this part are being written.\n")
            continue
        minutes = sum(lesson.minutes.total for lesson in lessons)
        out.append(
            f"{len(lessons)} lessons, {minutes_text(minutes)}. "
            f"[The app at the end of this part]({link('architecture.md', page)}#part-{part.number}).\n"
        )
        out.append('<div class="grid cards" markdown>\n')
        for lesson in lessons:
            objectives = "\n".join(f"    - {plain_markdown(objective)}" for objective in lesson.objectives)
            out.append(
                f"-   **[{plain_markdown(lesson_label(lesson))}]({link(lesson_uri(lesson), page)})**\n\n"
                f"    {lesson.minutes.total} min · {len(lesson.checks)} checks\n\n{objectives}\n"
            )
        out.append("</div>\n")
    return "\n".join(out)
