"""The generation step the MkDocs hook runs first: every generated page written into
site/build/staging/ (lesson pages, instructor pages), the notebooks rendered, mermaid.js
bundled, and the "Lessons" and "Instructor view" navs."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from shiplings.manifest import Course, Lesson, load_course
from shiplings.site.executed import fresh_executed
from shiplings.site.instructors import INDEX, instructor_markdown, instructor_uri, instructors_index_markdown
from shiplings.site.markdown import lesson_label, lesson_uri, part_label
from shiplings.site.mermaid import vendored_iframe_worker, vendored_mermaid
from shiplings.site.notebooks import RenderedNotebook, notebook_css, render_lesson_notebook
from shiplings.site.pages import lesson_markdown, lessons_index_markdown, notebook_download_uri
from shiplings.site.paths import SitePaths
from shiplings.site.schedule import plan


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

    def instructor_nav(self) -> list:
        """The "Instructor view" section: its overview, then one page per lesson."""
        return [INDEX, *({lesson_label(page.lesson): instructor_uri(page.lesson)} for page in self.lessons)]

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
    course = manifest(root)
    shutil.rmtree(paths.staging, ignore_errors=True)
    shutil.rmtree(paths.notebooks, ignore_errors=True)
    paths.staging.mkdir(parents=True)
    result = Generated(course, root, paths.staging)
    without_outputs = []
    for lesson in course.lessons:
        source = root / "lessons" / lesson.id / "lesson.ipynb"
        rendered, executed = None, None
        if source.is_file():
            executed = fresh_executed(course, lesson, root)
            if executed is None:
                without_outputs.append(lesson.number)
            try:
                rendered = render_lesson_notebook(executed or source, paths.notebooks / f"{lesson.id}.ipynb",
                                                  paths.cache)
            except Exception as error:  # say which notebook: the error alone rarely does
                raise ValueError(f"lessons/{lesson.id}/lesson.ipynb: {error}") from error
        if source.is_file():
            (paths.staging / "notebooks").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, paths.staging / notebook_download_uri(lesson))
        page = LessonPage(lesson, lesson_uri(lesson), rendered)
        write(paths.staging / page.uri,
              lesson_markdown(course, lesson, root, rendered is not None, with_outputs=executed is not None))
        result.lessons.append(page)
    if without_outputs:
        print(f"shiplings: the notebooks of lessons {', '.join(without_outputs)} are shown without outputs: "
              f"`shiplings dev check {' '.join(without_outputs)}` runs them and keeps their outputs for the site",
              file=sys.stderr)
    write(paths.staging / "lessons" / "index.md", lessons_index_markdown(course))
    laid_out = plan(course)
    for lesson in course.lessons:
        write(paths.staging / instructor_uri(lesson), instructor_markdown(course, lesson, root, laid_out))
    write(paths.staging / INDEX, instructors_index_markdown(course))
    rendered_notebooks = [page.notebook for page in result.lessons if page.notebook]
    if rendered_notebooks:
        result.notebook_css = "assets/notebook.css"
        write(paths.staging / result.notebook_css, notebook_css(rendered_notebooks))
    (paths.staging / "javascripts").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(vendored_mermaid(paths), paths.staging / "javascripts" / "mermaid.min.js")
    result.scripts.append("javascripts/mermaid.min.js")
    # site/mkdocs.yml lists it under extra.polyfills, so the offline plugin loads this copy, not a CDN's
    shutil.copyfile(vendored_iframe_worker(paths), paths.staging / "javascripts" / "iframe-worker-shim.js")
    return result


def manifest(root: Path) -> Course:
    """The course, or an error that names course.toml (TOML and pydantic errors do not)."""
    import tomllib

    from pydantic import ValidationError

    try:
        return load_course(root)
    except (tomllib.TOMLDecodeError, ValidationError, OSError) as error:
        raise ValueError(f"course.toml: {error}") from error


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
