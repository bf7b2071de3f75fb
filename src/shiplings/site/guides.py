"""The generated parts of the hand-written guides: each `<!-- shiplings:NAME -->` marker
in site/docs/ is replaced with Markdown drawn from the manifest, pyproject.toml, the CLI,
the tool list or the dev-check invariants."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

from shiplings.manifest import Course
from shiplings.manifest.schema import SectionNote, Workshop
from shiplings.site.cache import ContentCache, content_key
from shiplings.site.markdown import (
    fence,
    indent,
    lesson_label,
    lesson_uri,
    link,
    minutes_text,
    part_label,
    plain_markdown,
    table_cell,
)
from shiplings.site.paths import SitePaths
from shiplings.site.reference import cli_reference_markdown
from shiplings.site.schedule import schedule_markdown

if TYPE_CHECKING:
    import typer

PACKAGE = Path(__file__).resolve().parents[1]  # src/shiplings: found, not imported (its __init__ loads the CLI)


def lesson_path_markdown(course: Course, page: str) -> str:
    out = []
    for part, lessons in course.lessons_by_part():
        out.append(f"**{plain_markdown(part_label(course, part.number))}**\n")
        if not lessons:
            out.append("- *being written*\n")
            continue
        for lesson in lessons:
            out.append(
                f"- [{plain_markdown(lesson_label(lesson))}]({link(lesson_uri(lesson), page)}) · "
                f"{lesson.minutes.total} min · {plain_markdown(lesson.objectives[0])}"
            )
        out.append("")
    return "\n".join(out)


def course_stats_markdown(course: Course) -> str:
    total = sum(lesson.minutes.total for lesson in course.lessons)
    checks = sum(len(lesson.checks) for lesson in course.lessons)
    return (
        f"{len(course.lessons)} lessons · {checks} checks · "
        f"{minutes_text(total)} of planned workshop time"
    )


def check_example_markdown(course: Course) -> str:
    """What `shiplings check` prints, built from the first lesson's real check names."""
    lesson = course.lessons[0]
    lines = [f"$ shiplings check {lesson.number}", f"Lesson {lesson.id}: {lesson.title}"]
    failing = lesson.checks[-1]
    for check in lesson.checks:
        mark = "✗" if check is failing else "✓"
        lines.append(f"  {mark} {check.name}")
        if check is failing:
            lines.append("      (what was expected, what your app did, which file to look at)")
    lines.append("")
    lines.append(f"{len(lesson.checks) - 1}/{len(lesson.checks)} checks pass (1.2 s). "
                 f"Stuck? `shiplings hint {lesson.number}` shows a hint for the first failing check.")
    lines.append(f"$ shiplings hint {lesson.number}")
    lines.append(failing.name)
    lines.append(f"  Hint 1/{len(failing.hints)}: {failing.hints[0]}")
    if len(failing.hints) > 1:
        lines.append(f"  More: shiplings hint {lesson.number} --level 2")
    return fence("\n".join(lines), "console")


def python_packages_markdown(root: Path) -> str:
    """The packages `./shiplings` installs, read from pyproject.toml."""
    import tomllib

    with open(root / "pyproject.toml", "rb") as handle:
        project = tomllib.load(handle)

    def names(requirements: list) -> str:
        found = [re.split(r"[<>=!~;\[ ]", item, maxsplit=1)[0] for item in requirements if isinstance(item, str)]
        return ", ".join(f"`{name}`" for name in found)

    dev = project.get("dependency-groups", {}).get("dev", [])
    return (
        f"- the course and the app it grows: {names(project['project']['dependencies'])};\n"
        f"- the authoring and test tools: {names(dev)}."
    )


PLATFORMS = [("Debian, Ubuntu, WSL", "debian"), ("macOS", "macos"), ("Other Linux", "linux"),
             ("JupyterHub, Binder", "hub")]


def tools_markdown(course: Course, page: str) -> str:
    """Each tool `shiplings doctor` looks for: why, which lessons, the fix per platform."""
    from shiplings import tools

    out = []
    for name, tool in tools.TOOLS.items():
        needed = tools.lessons_needing(course, name)
        if needed:
            who = "Needed by lesson " + ", ".join(
                f"[{plain_markdown(lesson_label(lesson))}]({link(lesson_uri(lesson), page)})"
                for lesson in needed) + "."
        else:
            who = "No published lesson needs it yet: doctor lists it as optional (-)."
        out.append(f"### {name}\n")
        out.append(f"For {tool.why}. {who} Doctor looks for the `{tool.command}` command.\n")
        for label, where in PLATFORMS:
            fix = tools.fix_for(name, where, sudo=True)
            out.append(f'=== "{label}"\n')
            if fix.startswith(("sudo ", "brew ", "pip ")):
                out.append(indent(fence(fix, "bash")))
            else:
                out.append(indent(fix or "Use your package manager."))
    return "\n".join(out)


def instructor_notes_markdown(course: Course, page: str) -> str:
    out = []
    for lesson in course.lessons:
        out.append(f"### {plain_markdown(lesson_label(lesson))}\n")
        out.append(f"{lesson.minutes.teaching} min teaching, {lesson.minutes.exercises} min exercises. "
                   f"Late joiners: `shiplings start {lesson.number}`. "
                   f"[Lesson page]({link(lesson_uri(lesson), page)}) · "
                   f"[instructor view]({link(f'instructors/{lesson.id}.md', page)}).\n")
        out.append(plain_markdown(lesson.instructor_notes.strip()) or "*No notes for this lesson yet.*")
        out.append("")
        out.append(f"Its checks, in the order `shiplings check {lesson.number}` lists them:\n")
        out.extend(f"{i}. {plain_markdown(check.name)}" for i, check in enumerate(lesson.checks, start=1))
        out.append("")
    return "\n".join(out)


def invariants_markdown() -> str:
    """The numbered invariants, read from the docstring of the module that proves them
    (parsed, not imported: importing devcheck loads the test runner and nbformat)."""
    import ast

    source = (PACKAGE / "devcheck.py").read_text(encoding="utf-8")
    items: list[str] = []
    for line in (ast.get_docstring(ast.parse(source)) or "").splitlines():
        start = re.match(r"^(\d+)\.\s+(.*)", line.strip())
        if start:
            items.append(start.group(2))
        elif items and line.startswith("   ") and line.strip():
            items[-1] += " " + line.strip()
        elif items and not line.strip():
            break
    if not items:
        raise ValueError("shiplings.devcheck's docstring no longer lists its invariants")
    # the docstring says lessons/<N>/...: escaped, or Markdown would take <N> for an HTML tag
    return "\n".join(f"{number}. {html.escape(item, quote=False)}"
                     for number, item in enumerate(items, start=1)) + "\n"


def manifest_schema_markdown() -> str:
    """The fields of course.toml, from the pydantic models that validate it."""
    from shiplings import manifest

    out = []
    for title, model in (("`[[lessons]]`", manifest.Lesson), ("`[[lessons.checks]]`", manifest.Check),
                         ("`[[lessons.retires]]`", manifest.Retired),
                         ("`[[lessons.section_notes]]`", SectionNote), ("`[[parts]]`", manifest.Part),
                         ("`[workshop]`", Workshop)):
        out.append(f"**{title}**\n\n| Field | Required | Meaning |\n|---|---|---|")
        for name, info in model.model_fields.items():
            required = "yes" if info.is_required() else "no"
            out.append(f"| `{name}` | {required} | {table_cell(info.description or '')} |")
        out.append("")
    return "\n".join(out)


@dataclass(frozen=True)
class Sources:
    """What the generated parts of the guides are drawn from.

    The CLI comes in from the caller (the MkDocs hook passes shiplings.cli.app): the CLI
    imports the site's build, so nothing in shiplings.site imports the CLI.
    """

    course: Course
    root: Path
    cli: typer.Typer | None = None
    # or a function that imports it, called only when the cached reference is out of date
    cli_loader: Callable[[], typer.Typer] | None = None


def cli_reference(sources: Sources) -> str:
    """The command reference, made again only when the package's code or Typer/Click changed:
    importing every command module for it was a second of each build."""
    package = PACKAGE
    code = [part for path in sorted(package.rglob("*.py")) for part in (path.relative_to(package).as_posix(),
                                                                         path.read_bytes())]
    key = content_key("cli-reference", version("typer"), version("click"), *code)
    cache = ContentCache(SitePaths(sources.root).content_caches / "reference.json")
    found = cache.get(key)
    if found is None:
        app = sources.cli or (sources.cli_loader() if sources.cli_loader else None)
        if app is None:
            raise ValueError("the command reference needs the Typer app: Sources(..., cli=shiplings.cli.app)")
        found = cache.put(key, cli_reference_markdown(app))
        cache.save()
    return found


# each marker, and what its text is drawn from (page: the guide's docs path, for relative links)
MARKERS: dict[str, Callable[[Sources, str], str]] = {
    "python-packages": lambda sources, page: python_packages_markdown(sources.root),
    "lesson-path": lambda sources, page: lesson_path_markdown(sources.course, page),
    "course-stats": lambda sources, page: course_stats_markdown(sources.course),
    "check-example": lambda sources, page: check_example_markdown(sources.course),
    "cli-reference": lambda sources, page: cli_reference(sources),
    "tools": lambda sources, page: tools_markdown(sources.course, page),
    "schedule": lambda sources, page: schedule_markdown(sources.course, page),
    "instructor-notes": lambda sources, page: instructor_notes_markdown(sources.course, page),
    "invariants": lambda sources, page: invariants_markdown(),
    "manifest-schema": lambda sources, page: manifest_schema_markdown(),
}
MARKER = re.compile(r"(?P<lead>^[ \t]*)?<!--\s*shiplings:(?P<name>[a-z-]+)\s*-->", re.M)


def fill_markers(markdown: str, sources: Sources, page: str) -> str:
    """Replace each `<!-- shiplings:NAME -->` with its generated Markdown.

    A marker alone on an indented line (inside a list item or an admonition) gets its
    text indented the same way, so it stays inside that block.
    """

    def replace(match: re.Match) -> str:
        name = match.group("name")
        if name not in MARKERS:
            raise KeyError(f"unknown marker shiplings:{name}; known: {', '.join(MARKERS)}")
        text = MARKERS[name](sources, page).rstrip("\n")
        lead = match.group("lead")
        if lead:
            text = "\n".join(lead + line if line.strip() else "" for line in text.splitlines())
        return text

    return MARKER.sub(replace, markdown)
