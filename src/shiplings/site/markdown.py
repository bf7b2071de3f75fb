"""Markdown building blocks every generated page shares: fences, indents, table cells,
relative links, durations, and how parts and lessons are named and addressed."""

from __future__ import annotations

import posixpath
import re

from shiplings.manifest import Course, Lesson

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "VI", 7: "VII", 8: "VIII", 9: "IX", 10: "X"}


def part_label(course: Course, number: int) -> str:
    return f"Part {ROMAN.get(number, number)} · {course.part(number).title}"


def lesson_label(lesson: Lesson) -> str:
    return f"{lesson.number} · {lesson.title}"


def lesson_uri(lesson: Lesson) -> str:
    """Where a lesson's page lives among the docs (its URL is lessons/<id>/)."""
    return f"lessons/{lesson.id}.md"


def link(target: str, from_page: str) -> str:
    """A relative link from one docs page to another, as MkDocs resolves them."""
    return posixpath.relpath(target, posixpath.dirname(from_page) or ".")


def fence(text: str, language: str, title: str = "") -> str:
    """A fenced code block that survives backticks inside the text."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    attributes = f' title="{title}"' if title else ""
    body = text if text.endswith("\n") else text + "\n"
    return f"{ticks} {language}{attributes}\n{body}{ticks}\n"


def indent(text: str, spaces: int = 4) -> str:
    pad = " " * spaces
    return "\n".join(pad + line if line.strip() else "" for line in text.splitlines()) + "\n"


def minutes_text(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest:02d} min" if rest else f"{hours} h"


def table_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# A code span as CommonMark and Python-Markdown read it: a run of backticks, then the same run.
CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
# The characters Python-Markdown lets a backslash escape (tables adds |; pymdownx.keys reads ++).
MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|>])")
# pymdownx.emoji turns :name: into a picture
EMOJI_COLON = re.compile(r":(?=[\w+-]+:)")


def plain_markdown(text: str) -> str:
    """Prose as Markdown that shows exactly this text.

    Manifest strings are plain text with `code spans`: `__call__` must not turn bold,
    `<proxy>` must not vanish as an HTML tag. Code spans are kept as they are (Markdown
    shows their content literally); everything else is escaped.
    """
    out, position = [], 0
    for span in CODE_SPAN.finditer(text):
        out.append(_escape(text[position:span.start()]))
        out.append(span.group(0))
        position = span.end()
    out.append(_escape(text[position:]))
    return "".join(out)


def _escape(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = MARKDOWN_PUNCTUATION.sub(r"\\\1", text)
    return EMOJI_COLON.sub("&#58;", text)
