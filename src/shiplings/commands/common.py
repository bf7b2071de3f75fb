"""What every command needs: the course, the console, lessons by number, clear errors."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from shiplings import state
from shiplings.manifest import Course, Lesson, load_course
from shiplings.paths import course_root, workspace_dir
from shiplings.spelling import respell


def learner_console(stderr: bool = False) -> Console:
    """Wrapped to the terminal's width on a terminal; piped or redirected (`> file`, `| less`)
    every line stays whole, where Rich would otherwise cut it at 80 columns."""
    made = Console(stderr=stderr, highlight=False)
    made.soft_wrap = not made.is_terminal
    return made


console = learner_console()
errors = learner_console(stderr=True)


def fail(message: str, code: int = 2) -> NoReturn:
    # commands in the message are spelled the way they run where the learner is
    errors.print(f"[bold red]Error:[/] {escape(respell(message))}")
    raise typer.Exit(code)


def course() -> Course:
    root = course_root()
    if not (root / "course.toml").is_file():
        fail(f"No course.toml in {root}. Run shiplings from the course checkout.")
    try:
        return load_course(root)
    except ValidationError as error:
        fail(f"course.toml is not valid:\n{error}")


def root() -> Path:
    return course_root()


def workspace() -> Path:
    return workspace_dir()


@dataclass(frozen=True)
class Target:
    """What a command works on, resolved once from the command line and the state file."""

    course: Course
    lesson: Lesson  # the lesson named on the command line, else the current one
    at: Lesson | None  # the lesson the workspace was last set to: retired checks depend on it


def target(ref: str | None) -> Target:
    the_course = course()
    progress = state.load()
    at = workspace_lesson(the_course, progress)
    if ref is None:
        return Target(the_course, current_lesson(the_course, progress), at)
    try:
        return Target(the_course, the_course.lesson(ref), at)
    except KeyError as error:
        fail(error.args[0])


def lesson(ref: str | None) -> Lesson:
    """The lesson named on the command line, else the learner's current lesson."""
    return target(ref).lesson


def current_lesson(the_course: Course, progress: state.Progress | None = None) -> Lesson:
    """The lesson the learner last started, else the first one not done."""
    progress = progress or state.load()
    return workspace_lesson(the_course, progress) or next(
        (each for each in the_course.lessons if progress.of(each.id).status != "done"), the_course.lessons[-1]
    )


def workspace_lesson(the_course: Course, progress: state.Progress | None = None) -> Lesson | None:
    """The lesson the workspace was last set to (by start, next, solve or restore)."""
    current = (progress or state.load()).current
    if current:
        try:
            return the_course.lesson(current)
        except KeyError:  # a lesson this version of the course no longer has
            return None
    return None


def require_workspace(number: str = "01") -> Path:
    folder = workspace()
    if folder.exists() and not folder.is_dir():
        fail(f"The workspace {folder} is a file, not a folder. Move it away, then run `shiplings start {number}`.")
    if not folder.is_dir():
        fail(f"There is no workspace yet ({folder}). Run `shiplings start {number}` to create it.")
    return folder
