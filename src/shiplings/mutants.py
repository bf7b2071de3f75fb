"""A lesson's mutants: realistic mistakes its checks must catch (invariant 6).

A starter failing its checks is weak proof: a starter is one kind of wrong. Each lesson
keeps, in checks/<lesson>/mutants.toml, small edits of its solution that a learner could
plausibly make and that still run. Each names the check that must catch it and a word the
check's learner-facing message must contain:

    [[mutants]]
    name = "created-answers-200"
    mistake = "create_task keeps FastAPI's default 200 instead of 201 Created"
    edits = [{ file = "main.py", find = "status_code=201", replace = "" }]
    caught_by = "test_create_task"
    says = "201"

Each edit's `find` is exact text that occurs exactly once in its file of snapshot(N), after
the mutant's earlier edits. `shiplings dev check` applies every mutant to a copy of
snapshot(N) and runs the named check: it must fail by its own assertion, with `says` in its
message (case-insensitive). `shiplings dev mutants` prints the catch rate per lesson.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shiplings.manifest import Lesson
from shiplings.overlays import Tree

MUTANTS_FILE = "mutants.toml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Edit(_Strict):
    """One exact text replacement in one workspace file."""

    file: str = Field(min_length=1, description="Workspace-relative POSIX path of the file to change.")
    find: str = Field(min_length=1, description="Exact text that occurs exactly once in the file.")
    replace: str = Field(description="What takes its place (may be empty).")


class Mutant(_Strict):
    """One realistic mistake, and the check that must catch it."""

    name: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", description="Unique per lesson, kebab-case.")
    mistake: str = Field(min_length=10, description="The mistake in a reviewer's words.")
    edits: list[Edit] = Field(min_length=1, description="Applied in order to snapshot(N).")
    caught_by: str = Field(description="The test function (a check of this lesson) that must fail.")
    says: str = Field(min_length=1, description="A word the check's message must contain (case-insensitive).")


class MutantsFile(_Strict):
    mutants: list[Mutant] = Field(min_length=1)


class MutantError(ValueError):
    """A mutants.toml that cannot be used as it is; the text names the file and the mutant."""


def mutants_path(root: Path, lesson: Lesson) -> Path:
    return root / "checks" / lesson.id / MUTANTS_FILE


def where(lesson: Lesson) -> str:
    return f"checks/{lesson.id}/{MUTANTS_FILE}"


def load_mutants(root: Path, lesson: Lesson) -> list[Mutant]:
    """The lesson's mutants ([] without a mutants.toml); MutantError when the file is malformed."""
    path = mutants_path(root, lesson)
    if not path.is_file():
        return []
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
        return MutantsFile.model_validate(data).mutants
    except tomllib.TOMLDecodeError as error:
        raise MutantError(f"{where(lesson)} is not valid TOML: {error}") from error
    except ValidationError as error:
        problems = []
        for entry in error.errors():
            location = entry["loc"]
            label = ".".join(str(part) for part in location)
            if len(location) >= 2 and location[0] == "mutants" and isinstance(location[1], int):
                names = data.get("mutants", [])
                name = names[location[1]].get("name") if isinstance(names[location[1]], dict) else None
                label = f"mutant {name or '#' + str(location[1] + 1)!r}: " + ".".join(str(p) for p in location[2:])
            problems.append(f"{where(lesson)}: {label}: {entry['msg']}")
        raise MutantError("\n".join(problems)) from error


def mutated(mutant: Mutant, files: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """The changed files' new text, and what is wrong with the edits (empty when they apply)."""
    changed: dict[str, str] = {}
    problems = []
    for number, edit in enumerate(mutant.edits, start=1):
        text = changed.get(edit.file, files.get(edit.file))
        label = f"edit {number} of mutant {mutant.name!r}"
        if text is None:
            problems.append(f"{label}: {edit.file} is not in the lesson's snapshot")
            continue
        count = text.count(edit.find)
        if count != 1:
            found = "is not found" if count == 0 else f"is found {count} times (make it unique)"
            problems.append(f"{label}: {edit.find!r} {found} in {edit.file}")
            continue
        if edit.find == edit.replace:
            problems.append(f"{label}: find and replace are the same text: it changes nothing")
            continue
        changed[edit.file] = text.replace(edit.find, edit.replace)
    return changed, problems


def _texts(tree: Tree, mutants: list[Mutant]) -> dict[str, str]:
    names = {edit.file for mutant in mutants for edit in mutant.edits}
    return {name: tree[name].read_text(encoding="utf-8") for name in names if name in tree}


def mutant_problems(lesson: Lesson, mutants: list[Mutant], tree: Tree) -> list[str]:
    """What makes these mutants unusable on this snapshot tree: names, checks, edits."""
    problems = []
    names = [mutant.name for mutant in mutants]
    for name in sorted({name for name in names if names.count(name) > 1}):
        problems.append(f"{where(lesson)}: the name {name!r} is used by more than one mutant")
    texts = _texts(tree, mutants)
    for mutant in mutants:
        if lesson.check(mutant.caught_by) is None:
            problems.append(f"{where(lesson)}: mutant {mutant.name!r} is caught_by {mutant.caught_by!r}, "
                            f"which is not a check of {lesson.id} in course.toml")
        problems += [f"{where(lesson)}: {problem}" for problem in mutated(mutant, texts)[1]]
    return problems


def apply_mutant(mutant: Mutant, folder: Path) -> None:
    """Apply the mutant's edits to a materialized tree; MutantError when one does not apply."""
    files = {}
    for edit in mutant.edits:
        path = folder / edit.file
        if edit.file not in files and path.is_file():
            files[edit.file] = path.read_text(encoding="utf-8")
    changed, problems = mutated(mutant, files)
    if problems:
        raise MutantError("\n".join(problems))
    for name, text in changed.items():
        (folder / name).write_text(text, encoding="utf-8")
