"""What every command needs: the course, the console, lessons by number, clear errors."""

from __future__ import annotations

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


def lesson(ref: str | None) -> Lesson:
    """The lesson named on the command line, else the learner's current lesson."""
    the_course = course()
    if ref is None:
        return current_lesson(the_course)
    try:
        return the_course.lesson(ref)
    except KeyError as error:
        fail(error.args[0])


def current_lesson(the_course: Course) -> Lesson:
    """The lesson the learner last started, else the first one not done."""
    progress = state.load()
    if progress.current:
        try:
            return the_course.lesson(progress.current)
        except KeyError:
            pass
    for each in the_course.lessons:
        if progress.of(each.id).status != "done":
            return each
    return the_course.lessons[-1]


def workspace_lesson(the_course: Course) -> Lesson | None:
    """The lesson the workspace was last set to (retired checks depend on it)."""
    progress = state.load()
    if progress.current:
        try:
            return the_course.lesson(progress.current)
        except KeyError:
            return None
    return None


def require_workspace(number: str = "01") -> Path:
    folder = workspace()
    if folder.exists() and not folder.is_dir():
        fail(f"The workspace {folder} is a file, not a folder. Move it away, then run `shiplings start {number}`.")
    if not folder.is_dir():
        fail(f"There is no workspace yet ({folder}). Run `shiplings start {number}` to create it.")
    return folder
