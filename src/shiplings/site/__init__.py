"""The course website, generated from the same sources as the workspace.

The site is MkDocs Material (site/mkdocs.yml). Its hook, site/hooks/shiplings_pages.py,
calls this module on every build, so `shiplings site build` and a plain `mkdocs build`
produce the same site, and nothing on it can drift from what the checks test:

- generate() writes one page per lesson into site/build/staging/ (git-ignored): the
  objectives, minutes, checks and hints from course.toml, the notebook rendered by
  mkdocs-jupyter (never executed), "what changed" as diffs snapshot(N-1) -> snapshot(N)
  computed from the overlays, and the solution files.
- MARKERS fill `<!-- shiplings:NAME -->` comments in the hand-written guides with text
  generated from the manifest, the CLI, the tool list and the dev-check invariants.

The built site lands in site/build/html/.
"""

from __future__ import annotations

import difflib
import hashlib
import html
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from shiplings.manifest import Course, Lesson, load_course
from shiplings.overlays import overlay_files, previous, read_text, snapshot_tree

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "VI", 7: "VII", 8: "VIII", 9: "IX", 10: "X"}

# Bump when the rendered notebook HTML changes shape, so cached renders are redone.
NOTEBOOK_RENDER_VERSION = "2"

LANGUAGES = {
    ".py": "python", ".pyi": "python", ".toml": "toml", ".ini": "ini", ".cfg": "ini",
    ".yml": "yaml", ".yaml": "yaml", ".json": "json", ".md": "markdown", ".txt": "text",
    ".js": "javascript", ".mjs": "javascript", ".ts": "typescript", ".vue": "vue",
    ".html": "html", ".css": "css", ".sh": "bash", ".sql": "sql", ".conf": "nginx",
    ".env": "ini", ".lock": "text",
}
LANGUAGES_BY_NAME = {"Dockerfile": "docker", "Makefile": "make", ".dockerignore": "text", ".gitignore": "text"}


# --------------------------------------------------------------------------- where


@dataclass(frozen=True)
class SitePaths:
    root: Path

    @property
    def config(self) -> Path:
        return self.root / "site" / "mkdocs.yml"

    @property
    def build(self) -> Path:
        return self.root / "site" / "build"

    @property
    def html(self) -> Path:
        return self.build / "html"

    @property
    def staging(self) -> Path:
        """Generated Markdown pages, laid over site/docs/ by the hook."""
        return self.build / "staging" / "docs"

    @property
    def notebooks(self) -> Path:
        """Notebook copies as rendered (title cell trimmed), beside the staged pages."""
        return self.build / "staging" / "notebooks"

    @property
    def vendor(self) -> Path:
        """Third-party scripts fetched once from the npm registry, kept between builds."""
        return self.build / "vendor"

    @property
    def cache(self) -> Path:
        """Rendered notebook HTML, keyed by content: unchanged notebooks are not re-rendered."""
        return self.build / "cache" / "notebooks"


# --------------------------------------------------------------------------- small helpers


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


def language_of(path: str) -> str:
    name = posixpath.basename(path)
    if name in LANGUAGES_BY_NAME:
        return LANGUAGES_BY_NAME[name]
    return LANGUAGES.get(posixpath.splitext(name)[1], "text")


def minutes_text(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest:02d} min" if rest else f"{hours} h"


def table_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# --------------------------------------------------------------------------- what changed


@dataclass
class FileChange:
    path: str
    kind: str  # added | modified | removed
    diff: str | None  # None: binary, not shown
    added: int = 0
    removed: int = 0


def lesson_changes(course: Course, lesson: Lesson, root: Path) -> list[FileChange]:
    """snapshot(N-1) -> snapshot(N), file by file, as unified diffs."""
    before = snapshot_tree(course, previous(course, lesson), root)
    after = snapshot_tree(course, lesson, root)
    changes = []
    for path in sorted(set(before) | set(after)):
        old_file, new_file = before.get(path), after.get(path)
        if old_file and new_file and old_file.read_bytes() == new_file.read_bytes():
            continue
        kind = "added" if old_file is None else "removed" if new_file is None else "modified"
        old_text = read_text(old_file) if old_file else ""
        new_text = read_text(new_file) if new_file else ""
        if old_text is None or new_text is None:
            changes.append(FileChange(path, kind, None))
            continue
        lines = list(difflib.unified_diff(
            old_text.splitlines(keepends=True), new_text.splitlines(keepends=True),
            fromfile=f"a/{path}" if old_file else "/dev/null",
            tofile=f"b/{path}" if new_file else "/dev/null",
        ))
        # a last line without a newline would run into the next diff line
        lines = [line if line.endswith("\n") else line + "\n" for line in lines]
        body = [line for line in lines[2:] if not line.startswith("@@")]
        changes.append(FileChange(
            path, kind, "".join(lines),
            added=sum(line.startswith("+") for line in body),
            removed=sum(line.startswith("-") for line in body),
        ))
    return changes


def what_changed_markdown(course: Course, lesson: Lesson, root: Path) -> str:
    before = previous(course, lesson)
    start = f"the end of lesson {before.number}" if before else "an empty folder"
    changes = lesson_changes(course, lesson, root)
    out = [
        "## What changed in this lesson {#what-changed}\n",
        f"From {start} to the end of lesson {lesson.number}, computed from the course's own "
        f"files when this site was built (`shiplings diff {lesson.number}` shows the same "
        "comparison against your workspace).\n",
    ]
    if not changes:
        out.append("No file changes: this lesson is about running and observing the app.\n")
        return "\n".join(out)
    out.append("| File | Change | Lines |\n|---|---|---|")
    for change in changes:
        lines = f"+{change.added} −{change.removed}" if change.diff is not None else "binary"
        out.append(f"| `{table_cell(change.path)}` | {change.kind} | {lines} |")
    out.append("")
    for change in changes:
        if change.diff is None:
            out.append(f"`{change.path}` is a binary file ({change.kind}); it is not shown here.\n")
            continue
        block = fence(change.diff, "diff", title=f"{change.path} ({change.kind})")
        if change.kind == "removed":
            # every line of a deleted file is a "-": worth a click, not a screenful
            out.append(f'??? note "{change.path} (removed, {change.removed} lines)"\n')
            block = indent(block)
        out.append(block)
    return "\n".join(out)


def solution_files_markdown(lesson: Lesson, root: Path) -> str:
    files = overlay_files(root / "solutions" / lesson.id)
    out = [
        "## Solution files {#solution-files}\n",
        f"The files of `solutions/{lesson.id}/` in full: exactly what "
        f"`shiplings solve {lesson.number}` writes into your workspace. "
        "Try the lesson first; open one when you are stuck.\n",
    ]
    for path, source in files.items():
        text = read_text(source)
        if text is None:
            out.append(f"`{path}` is a binary file; it is not shown here.\n")
            continue
        out.append(f'??? note "{path}"\n')
        out.append(indent(fence(text, language_of(path), title=path)))
    return "\n".join(out)


# --------------------------------------------------------------------------- lesson pages


def notebook_placeholder(lesson: Lesson) -> str:
    """Raw HTML the hook swaps for the rendered notebook (Markdown passes it through)."""
    return f'<div class="shiplings-notebook" data-lesson="{lesson.id}"></div>'


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
        hints = [f"**Hint 1 of {len(check.hints)}:** {check.hints[0]}\n"]
        for tier, hint in enumerate(check.hints[1:], start=2):
            hints.append(f'??? tip "Hint {tier} of {len(check.hints)}"\n')
            hints.append(indent(hint))
        out.append(f'??? check "{position}. {check.name}"\n')
        out.append(indent("\n".join(hints)))
    for retired in lesson.retires:
        owner, _, test = retired.check.partition("::")
        earlier = course.lesson(owner).check(test)
        name = earlier.name if earlier else retired.check
        out.append(f'!!! info "Retired from here on: {name} (lesson {owner[:2]})"\n')
        out.append(indent(retired.reason))
    return "\n".join(out)


def lesson_markdown(course: Course, lesson: Lesson, root: Path, has_notebook: bool) -> str:
    page = lesson_uri(lesson)
    minutes = lesson.minutes
    objectives = "\n".join(f"- {objective}" for objective in lesson.objectives)
    services = ""
    if lesson.services:
        services = (
            f"\n\nNeeds on your machine: {', '.join(lesson.services)}. "
            f"`shiplings doctor` says whether you have them ([troubleshooting]"
            f"({link('guides/troubleshooting.md', page)}))."
        )
    glance = (
        f"{part_label(course, lesson.part)}  \n"
        f"**{minutes.total} minutes**: {minutes.teaching} teaching, {minutes.exercises} exercises · "
        f"**{len(lesson.checks)} checks**\n\n"
        f"After this lesson you can:\n\n{objectives}\n\n"
        f"Catch up to this lesson's starting point with `shiplings start {lesson.number}`, "
        f"then check your work with `shiplings check {lesson.number}`.{services}"
    )
    out = [
        f"# Lesson {lesson.number}: {lesson.title}\n",
        '!!! abstract "At a glance"\n',
        indent(glance),
    ]
    if has_notebook:
        out.append(
            f"The lesson itself is the notebook below, as it opens in JupyterLab "
            f"(`notebooks/{lesson.id}.ipynb` in your workspace). Run its cells there: "
            "the site shows it without outputs.\n"
        )
        out.append(notebook_placeholder(lesson) + "\n")
    else:
        out.append('!!! warning "The notebook of this lesson is being written"\n')
        out.append(indent("Until it is published here, the checks, the diff and the solution files "
                          "below show what the lesson builds."))
    out.append(checks_markdown(course, lesson))
    if lesson.instructor_notes.strip():
        out.append('??? info "Instructor notes"\n')
        out.append(indent(lesson.instructor_notes.strip()))
    out.append(what_changed_markdown(course, lesson, root))
    out.append(solution_files_markdown(lesson, root))
    return "\n".join(out)


def lessons_index_markdown(course: Course) -> str:
    page = "lessons/index.md"
    total = sum(lesson.minutes.total for lesson in course.lessons)
    out = [
        "# Lessons\n",
        f"{len(course.lessons)} lessons, {minutes_text(total)} of planned workshop time. "
        "Each lesson adds one step to the same app, and each step is checked. "
        "You can start at any lesson: `shiplings start NN` gives you its starting files.\n",
    ]
    for part in course.parts:
        lessons = [lesson for lesson in course.lessons if lesson.part == part.number]
        out.append(f"## {part_label(course, part.number)}\n")
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
            objectives = "\n".join(f"    - {objective}" for objective in lesson.objectives)
            out.append(
                f"-   **[{lesson_label(lesson)}]({link(lesson_uri(lesson), page)})**\n\n"
                f"    {lesson.minutes.total} min · {len(lesson.checks)} checks\n\n{objectives}\n"
            )
        out.append("</div>\n")
    return "\n".join(out)


# --------------------------------------------------------------------------- notebooks


@dataclass
class RenderedNotebook:
    html: str
    toc: list[dict]  # MkDocs toc tokens: level, id, name, children
    styles: list[str]


def trim_title(notebook_path: Path, destination: Path) -> Path:
    """Copy the notebook without its leading `# title` line: the page has the manifest's title."""
    import nbformat

    notebook = nbformat.read(notebook_path, as_version=4)
    first = next((cell for cell in notebook.cells if cell.cell_type == "markdown"), None)
    if first is not None:
        lines = first.source.splitlines()
        if lines and lines[0].startswith("# "):
            first.source = "\n".join(lines[1:]).strip("\n")
    destination.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, destination)
    return destination


class _Headings(HTMLParser):
    """Collect <h1>..<h6 id=...> from rendered HTML, for the page's table of contents."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        if re.fullmatch(r"h[1-6]", tag) and dict(attrs).get("id"):
            self._open = {"level": int(tag[1]), "id": dict(attrs)["id"], "name": "", "children": []}
        elif tag == "a" and self._open is not None:
            self._open["in_anchor"] = True

    def handle_endtag(self, tag):
        if self._open is None:
            return
        if tag == "a":
            self._open.pop("in_anchor", None)
        elif tag == f"h{self._open['level']}":
            self._open["name"] = self._open["name"].strip()
            self.found.append(self._open)
            self._open = None

    def handle_data(self, data):
        if self._open is not None and not self._open.get("in_anchor"):
            self._open["name"] += data


def nest(headings: list[dict]) -> list[dict]:
    """Flat headings -> MkDocs' nested toc tokens."""
    roots: list[dict] = []
    stack: list[dict] = []
    for heading in headings:
        token = {**heading, "children": [], "name": html.escape(heading["name"])}
        while stack and stack[-1]["level"] >= token["level"]:
            stack.pop()
        (stack[-1]["children"] if stack else roots).append(token)
        stack.append(token)
    return roots


STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S)
# nbconvert's template loads MathJax from a CDN with a blocking <script src>; the lessons
# have no maths, and the site must work offline in a workshop room.
MATHJAX = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.S)


def render_notebook(notebook: Path, cache_dir: Path) -> RenderedNotebook:
    """mkdocs-jupyter's HTML for a notebook (never executed), with its CSS pulled out."""
    import mkdocs_jupyter

    key = hashlib.sha256(
        notebook.read_bytes() + f"{mkdocs_jupyter.__version__}/{NOTEBOOK_RENDER_VERSION}".encode()
    ).hexdigest()
    cached = cache_dir / f"{key}.json"
    if cached.is_file():
        data = json.loads(cached.read_text(encoding="utf-8"))
        return RenderedNotebook(data["html"], data["toc"], data["styles"])

    from mkdocs_jupyter.convert import nb2html

    # no_prompt: the notebooks are stored without outputs, so "In [ ]:" would only be noise.
    # The "highlight" class lets Material colour the code, in light and dark palettes alike.
    body = nb2html(str(notebook), execute=False, no_prompt=True, highlight_extra_classes="highlight")
    body = MATHJAX.sub("", body)
    styles = [style.strip() for style in STYLE.findall(body)]
    body = STYLE.sub("", body).strip()
    parser = _Headings()
    parser.feed(body)
    rendered = RenderedNotebook(body, nest(parser.found), styles)
    cache_dir.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(vars(rendered)), encoding="utf-8")
    return rendered


def notebook_css(rendered: list[RenderedNotebook]) -> str:
    """One stylesheet for every notebook, instead of ~600 kB of CSS inlined on each page.

    mkdocs-jupyter renders with JupyterLab's light theme; its dark theme is added for
    Material's dark palette, so the notebooks follow the palette toggle.
    """
    import mkdocs_jupyter

    seen: list[str] = []
    for notebook in rendered:
        for style in notebook.styles:
            # nbconvert's pygments colours (light only): Material's palette-aware colours win
            if style not in seen and "td.linenos" not in style:
                seen.append(style)
    dark = Path(mkdocs_jupyter.__file__).parent / "templates" / "mkdocs_html" / "assets" / "theme-dark.css"
    if dark.is_file():
        seen.append(dark.read_text(encoding="utf-8").replace(
            ".jupyter-wrapper", '[data-md-color-scheme="slate"] .jupyter-wrapper'))
    return "\n".join(seen) + "\n"


# --------------------------------------------------------------------------- the whole generation


@dataclass
class LessonPage:
    lesson: Lesson
    uri: str
    notebook: RenderedNotebook | None


@dataclass
class Generated:
    course: Course
    root: Path
    staging: Path
    lessons: list[LessonPage] = field(default_factory=list)
    notebook_css: str | None = None  # docs-relative path of the shared notebook stylesheet
    scripts: list[str] = field(default_factory=list)  # docs-relative scripts every page loads

    def page(self, uri: str) -> LessonPage | None:
        return next((page for page in self.lessons if page.uri == uri), None)

    def nav(self) -> list:
        """The "Lessons" section: the overview, then one section per part, in manifest order."""
        entries: list = ["lessons/index.md"]
        for part in self.course.parts:
            pages = [{lesson_label(page.lesson): page.uri} for page in self.lessons
                     if page.lesson.part == part.number]
            if pages:
                entries.append({part_label(self.course, part.number): pages})
        return entries


def generate(root: Path, paths: SitePaths | None = None) -> Generated:
    """Write every generated page into the staging folder; render the notebooks."""
    paths = paths or SitePaths(root)
    course = load_course(root)
    shutil.rmtree(paths.staging, ignore_errors=True)
    shutil.rmtree(paths.notebooks, ignore_errors=True)
    paths.staging.mkdir(parents=True)
    result = Generated(course, root, paths.staging)
    for lesson in course.lessons:
        source = root / "lessons" / lesson.id / "lesson.ipynb"
        rendered = None
        if source.is_file():
            trimmed = trim_title(source, paths.notebooks / f"{lesson.id}.ipynb")
            rendered = render_notebook(trimmed, paths.cache)
        page = LessonPage(lesson, lesson_uri(lesson), rendered)
        write(paths.staging / page.uri, lesson_markdown(course, lesson, root, rendered is not None))
        result.lessons.append(page)
    write(paths.staging / "lessons" / "index.md", lessons_index_markdown(course))
    rendered_notebooks = [page.notebook for page in result.lessons if page.notebook]
    if rendered_notebooks:
        result.notebook_css = "assets/notebook.css"
        write(paths.staging / result.notebook_css, notebook_css(rendered_notebooks))
    mermaid = vendored_mermaid(paths)
    if mermaid is not None:
        result.scripts.append("javascripts/mermaid.min.js")
        (paths.staging / "javascripts").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(mermaid, paths.staging / "javascripts" / "mermaid.min.js")
    return result


# Material for MkDocs fetches mermaid.js from a CDN unless the page already defines
# `mermaid`. A workshop room may have no internet, so the build bundles a pinned copy.
MERMAID_VERSION = "11.12.3"
MERMAID_SHA256 = "71dc54e481779b526de5e615c2eb00c99fa5acb75da9c5524d02e333d2fda89a"


def vendored_mermaid(paths: SitePaths, npm: str | None = None) -> Path | None:
    """mermaid.min.js from the npm registry (`npm pack`), cached in site/build/vendor/.

    Without npm or the registry the site still builds: its diagrams then load mermaid
    from the CDN, as Material does by default, and a note says so.
    """
    cached = paths.vendor / f"mermaid-{MERMAID_VERSION}.min.js"
    if cached.is_file():
        return cached
    npm = npm or shutil.which("npm")
    if npm is None:
        print("shiplings: npm not found; the site's diagrams will load mermaid.js from the internet", file=sys.stderr)
        return None
    with tempfile.TemporaryDirectory() as scratch:
        try:
            packed = subprocess.run(
                [npm, "pack", f"mermaid@{MERMAID_VERSION}", "--pack-destination", scratch, "--silent"],
                capture_output=True, text=True, timeout=180,
            )
        except subprocess.TimeoutExpired:
            packed = None
        tarballs = list(Path(scratch).glob("*.tgz"))
        if packed is None or packed.returncode != 0 or not tarballs:
            why = packed.stderr.strip().splitlines()[-1:] if packed else ["timed out"]
            print(f"shiplings: could not fetch mermaid {MERMAID_VERSION} with npm ({' '.join(why)}); "
                  "the site's diagrams will load it from the internet", file=sys.stderr)
            return None
        with tarfile.open(tarballs[0]) as archive:
            member = archive.extractfile("package/dist/mermaid.min.js")
            script = member.read() if member else b""
    if hashlib.sha256(script).hexdigest() != MERMAID_SHA256:
        raise ValueError(f"mermaid {MERMAID_VERSION} from npm does not match its pinned checksum: not using it")
    paths.vendor.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(".part")
    partial.write_bytes(script)
    partial.replace(cached)
    return cached


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def page_with_notebook(page_html: str, page: LessonPage, stylesheet_href: str | None) -> str:
    """Swap the placeholder for the rendered notebook; link the shared notebook CSS."""
    if page.notebook is None:
        return page_html
    placeholder = notebook_placeholder(page.lesson)
    if placeholder not in page_html:
        raise ValueError(f"{page.uri}: the notebook placeholder went missing")
    stylesheet = f'<link rel="stylesheet" href="{stylesheet_href}">\n' if stylesheet_href else ""
    notebook = f'<div class="shiplings-notebook">\n{page.notebook.html}\n</div>'
    return stylesheet + page_html.replace(placeholder, notebook)


def toc_with_notebook(page_toc: list[dict], notebook_toc: list[dict]) -> list[dict]:
    """The notebook's headings go under the page title, before "The checks"."""
    if not page_toc:
        return notebook_toc
    title = page_toc[0]
    children = title["children"]
    at = next((i for i, child in enumerate(children) if child["id"] == "checks"), len(children))
    # the notebook's own h1s (after the trimmed title) become sections of the page
    flattened = []
    for token in notebook_toc:
        flattened.extend(token["children"] if token["level"] == 1 else [token])
    return [{**title, "children": children[:at] + flattened + children[at:]}, *page_toc[1:]]


# --------------------------------------------------------------------------- generated parts of the guides


def lesson_path_markdown(course: Course, root: Path, page: str) -> str:
    out = []
    for part in course.parts:
        lessons = [lesson for lesson in course.lessons if lesson.part == part.number]
        out.append(f"**{part_label(course, part.number)}**\n")
        if not lessons:
            out.append("- *being written*\n")
            continue
        for lesson in lessons:
            out.append(
                f"- [{lesson_label(lesson)}]({link(lesson_uri(lesson), page)}) · "
                f"{lesson.minutes.total} min · {lesson.objectives[0]}"
            )
        out.append("")
    return "\n".join(out)


def course_stats_markdown(course: Course, root: Path, page: str) -> str:
    total = sum(lesson.minutes.total for lesson in course.lessons)
    checks = sum(len(lesson.checks) for lesson in course.lessons)
    return (
        f"{len(course.lessons)} lessons · {checks} checks · "
        f"{minutes_text(total)} of planned workshop time"
    )


def check_example_markdown(course: Course, root: Path, page: str) -> str:
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


def python_packages_markdown(course: Course, root: Path, page: str) -> str:
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


def cli_reference_markdown(course: Course, root: Path, page: str) -> str:
    """Every command, argument and option, read from the Typer app itself."""
    import typer.main

    from shiplings.cli import app

    group = typer.main.get_command(app)
    out = [command_markdown(group, ["shiplings"], None, heading="##")]  # no command: JupyterLab
    learner, authors = [], []
    for name, command in group.commands.items():
        if command.hidden:
            continue
        if getattr(command, "commands", None):
            authors.append((name, command))
        else:
            learner.append((name, command))
    for name, command in learner:
        out.append(command_markdown(command, ["shiplings", name], group, heading="##"))
    for name, subgroup in authors:
        out.append(f"## `shiplings {name}`: {plain(subgroup.help or '').rstrip('.').lower()}\n")
        for sub_name, sub_command in subgroup.commands.items():
            if not sub_command.hidden:
                out.append(command_markdown(sub_command, ["shiplings", name, sub_name], subgroup, heading="###"))
    return "\n".join(out)


def plain(text: str) -> str:
    """Help text without Rich markup."""
    from rich.text import Text

    try:
        return Text.from_markup(text).plain
    except Exception:
        return text


def command_markdown(command, words: list[str], parent, heading: str) -> str:
    from typer import _click as click

    context = click.Context(command, info_name=" ".join(words))
    arguments = [p for p in command.params if p.param_type_name == "argument" and not p.hidden]
    options = [p for p in command.params if p.param_type_name == "option" and not p.hidden]
    usage = " ".join(words)
    if options:
        usage += " [OPTIONS]"
    for argument in arguments:
        name = argument.name.upper() + ("..." if argument.nargs == -1 else "")
        usage += f" {name}" if argument.required else f" [{name}]"
    help_text = plain(command.help or "").strip()
    out = [f"{heading} `{' '.join(words)}`\n", help_text + "\n", fence(f"$ {usage}", "console")]
    rows = []
    for param in arguments + options:
        record = param.get_help_record(context)
        if record is None:
            continue
        names, description = record
        if param.param_type_name == "argument":
            names = param.name.upper()
        rows.append(f"| `{table_cell(names)}` | {table_cell(plain(description))} |")
    if rows:
        out.append("| Argument or option | What it does |\n|---|---|\n" + "\n".join(rows) + "\n")
    return "\n".join(out)


PLATFORMS = [("Debian, Ubuntu, WSL", "debian"), ("macOS", "macos"), ("Other Linux", "linux")]


def tools_markdown(course: Course, root: Path, page: str) -> str:
    """Each tool `shiplings doctor` looks for: why, which lessons, the fix per platform."""
    from shiplings import tools

    out = []
    for name, tool in tools.TOOLS.items():
        needed = tools.lessons_needing(course, name)
        if needed:
            who = "Needed by lesson " + ", ".join(
                f"[{lesson_label(lesson)}]({link(lesson_uri(lesson), page)})" for lesson in needed) + "."
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


def schedule_markdown(course: Course, root: Path, page: str) -> str:
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
                what = f"[{slot.what}]({link(lesson_uri(slot.lesson), page)})"
                out.append(f"| {time_range} | {what} | {slot.lesson.minutes.teaching} min "
                           f"| {slot.lesson.minutes.exercises} min |")
            else:
                out.append(f"| {time_range} | *{slot.what}* | | |")
        out.append("")
    return "\n".join(out)


def instructor_notes_markdown(course: Course, root: Path, page: str) -> str:
    out = []
    for lesson in course.lessons:
        out.append(f"### {lesson_label(lesson)}\n")
        out.append(f"{lesson.minutes.teaching} min teaching, {lesson.minutes.exercises} min exercises. "
                   f"Late joiners: `shiplings start {lesson.number}`. "
                   f"[Lesson page]({link(lesson_uri(lesson), page)}).\n")
        out.append(lesson.instructor_notes.strip() or "*No notes for this lesson yet.*")
        out.append("")
        out.append(f"Its checks, in the order `shiplings check {lesson.number}` lists them:\n")
        out.extend(f"{i}. {check.name}" for i, check in enumerate(lesson.checks, start=1))
        out.append("")
    return "\n".join(out)


def invariants_markdown(course: Course, root: Path, page: str) -> str:
    """The numbered invariants, read from the docstring of the module that proves them."""
    from shiplings import devcheck

    items: list[str] = []
    for line in (devcheck.__doc__ or "").splitlines():
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


def manifest_schema_markdown(course: Course, root: Path, page: str) -> str:
    """The fields of course.toml, from the pydantic models that validate it."""
    from shiplings import manifest

    out = []
    for title, model in (("`[[lessons]]`", manifest.Lesson), ("`[[lessons.checks]]`", manifest.Check),
                         ("`[[lessons.retires]]`", manifest.Retired), ("`[[parts]]`", manifest.Part)):
        out.append(f"**{title}**\n\n| Field | Required | Meaning |\n|---|---|---|")
        for name, info in model.model_fields.items():
            required = "yes" if info.is_required() else "no"
            out.append(f"| `{name}` | {required} | {table_cell(info.description or '')} |")
        out.append("")
    return "\n".join(out)


MARKERS: dict[str, Callable[[Course, Path, str], str]] = {
    "python-packages": python_packages_markdown,
    "lesson-path": lesson_path_markdown,
    "course-stats": course_stats_markdown,
    "check-example": check_example_markdown,
    "cli-reference": cli_reference_markdown,
    "tools": tools_markdown,
    "schedule": schedule_markdown,
    "instructor-notes": instructor_notes_markdown,
    "invariants": invariants_markdown,
    "manifest-schema": manifest_schema_markdown,
}
MARKER = re.compile(r"(?P<lead>^[ \t]*)?<!--\s*shiplings:(?P<name>[a-z-]+)\s*-->", re.M)


def fill_markers(markdown: str, course: Course, root: Path, page: str) -> str:
    """Replace each `<!-- shiplings:NAME -->` with its generated Markdown.

    A marker alone on an indented line (inside a list item or an admonition) gets its
    text indented the same way, so it stays inside that block.
    """

    def replace(match: re.Match) -> str:
        name = match.group("name")
        if name not in MARKERS:
            raise KeyError(f"unknown marker shiplings:{name}; known: {', '.join(MARKERS)}")
        text = MARKERS[name](course, root, page).rstrip("\n")
        lead = match.group("lead")
        if lead:
            text = "\n".join(lead + line if line.strip() else "" for line in text.splitlines())
        return text

    return MARKER.sub(replace, markdown)


# --------------------------------------------------------------------------- build and serve


def mkdocs_env() -> dict[str, str]:
    # Material prints an end-of-life banner on every build; it is not a warning about this site.
    return {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


def build(root: Path, strict: bool = True) -> tuple[int, float]:
    """Run `mkdocs build` on site/mkdocs.yml; return (exit status, seconds)."""
    paths = SitePaths(root)
    command = [sys.executable, "-m", "mkdocs", "build", "--clean", "-f", str(paths.config)]
    if strict:
        command.append("--strict")
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=root, env=mkdocs_env(), check=False)
    return completed.returncode, time.perf_counter() - started


def serve(root: Path, port: int) -> int:
    """`mkdocs serve` with live reload, also when the manifest, notebooks or overlays change."""
    paths = SitePaths(root)
    command = [sys.executable, "-m", "mkdocs", "serve", "-f", str(paths.config), "-a", f"127.0.0.1:{port}"]
    for watched in ("course.toml", "lessons", "solutions"):
        if (root / watched).exists():
            command += ["--watch", str(root / watched)]
    try:
        return subprocess.run(command, cwd=root, env=mkdocs_env(), check=False).returncode
    except KeyboardInterrupt:
        return 0
