"""shiplings dev: tools for course authors (check, snapshot, new, strip, test)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from shiplings.commands import common
from shiplings.overlays import snapshot_tree, starter_tree, write_tree

dev_app = typer.Typer(help="Tools for course authors.", no_args_is_help=True)


@dev_app.command("check")
def dev_check(
    lessons: Annotated[list[str] | None, typer.Argument(help="Lessons to prove; default: all.")] = None,
    notebooks: Annotated[bool, typer.Option(help="Execute the notebooks too.")] = True,
    mutants: Annotated[bool, typer.Option(help="Prove that every mutant is caught (invariant 6).")] = True,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Lessons proved at once.")] = 2,
    as_json: Annotated[bool, typer.Option("--json", help="Print a machine-readable report.")] = False,
) -> None:
    """Prove the course invariants for every lesson (solutions pass, starters fail for the right reason, ...)."""
    from shiplings import devcheck, lifeline

    # lessons are proved in worker threads, which cannot set signal handlers: set them here,
    # so that Ctrl-C, SIGTERM and SIGHUP stop every run, server and kernel before we exit
    lifeline.install_handlers()

    the_course = common.course()
    root = common.root()
    chosen = [common.lesson(ref) for ref in lessons] if lessons else list(the_course.lessons)
    course_problems = devcheck.manifest_problems(the_course, root) if not lessons else []
    reports: list[devcheck.LessonReport] = []
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=common.errors, transient=as_json) as progress:
        overall = progress.add_task("proving lessons", total=len(chosen))
        proving = frozenset(lesson.id for lesson in chosen)

        def prove(lesson):
            task = progress.add_task(f"  {lesson.id}", total=None)
            report = devcheck.check_lesson(
                the_course, root, lesson, notebooks, mutants=mutants, proving=proving,
                step=lambda what: progress.update(task, description=f"  {lesson.id}: {what}"),
            )
            progress.remove_task(task)
            progress.advance(overall)
            return report

        # a lesson re-runs every earlier lesson's checks twice, so the last lessons take longest:
        # they start first, and the short early ones fill the gaps at the end; reports stay in order
        longest_first = sorted(chosen, key=the_course.lessons.index, reverse=True)
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            proved = dict(zip((lesson.id for lesson in longest_first), pool.map(prove, longest_first), strict=True))
        reports = [proved[lesson.id] for lesson in chosen]
    ok = all(report.ok for report in reports) and not course_problems
    if as_json:
        typer.echo(json.dumps({
            "ok": ok, "course": course_problems,
            "lessons": [{"lesson": r.lesson, "ok": r.ok, "seconds": round(r.seconds, 1), "phases": r.phases,
                         "reused": r.reused,
                         "findings": [vars(f) for f in r.findings]} for r in reports],
        }, indent=1))
    else:
        for problem in course_problems:
            common.console.print(f"[red]✗[/] course: {escape(problem)}")
        for report in reports:
            mark = "[green]✓[/]" if report.ok else "[red]✗[/]"
            reused = f", {len(report.reused)} earlier runs proven elsewhere" if report.reused else ""
            common.console.print(f"{mark} [bold]{report.lesson}[/] ({report.seconds:.1f} s{reused})")
            for finding in report.findings:
                if not finding.ok:
                    common.console.print(f"    [red]✗ {escape(finding.invariant)}[/]")
                    for line in finding.detail.splitlines():
                        common.console.print(f"        {escape(line)}")
        verdict = "[bold green]The course is consistent.[/]" if ok else "[bold red]The course has problems (above).[/]"
        common.console.print(verdict)
    raise typer.Exit(0 if ok else 1)


@dev_app.command("mutants")
def dev_mutants(
    lessons: Annotated[list[str] | None, typer.Argument(help="Lessons whose mutants to run; default: all.")] = None,
    only: Annotated[list[str] | None, typer.Option("--only", help="Run only the mutants of this name.")] = None,
) -> None:
    """Apply each lesson's mutants (checks/<N>/mutants.toml) and say which ones its checks catch."""
    import time

    from shiplings import devcheck, lifeline
    from shiplings.mutants import mutants_path

    lifeline.install_handlers()  # as in dev check: a signal stops every run first

    the_course = common.course()
    root = common.root()
    chosen = [common.lesson(ref) for ref in lessons] if lessons else list(the_course.lessons)
    ok = True
    for lesson in chosen:
        if not mutants_path(root, lesson).is_file():
            common.console.print(f"[yellow]-[/] [bold]{lesson.id}[/]: no mutants.toml yet")
            continue
        started = time.perf_counter()
        # a container lesson's mutants side by side on one engine, as dev check runs them
        engine = devcheck.SHARED_ENGINE.held() if "docker" in lesson.services else contextlib.nullcontext()
        with engine, common.errors.status(f"running the mutants of {lesson.id}"):
            results, problems = devcheck.run_mutants(the_course, root, lesson, names=only)
        seconds = time.perf_counter() - started
        caught = sum(result.caught for result in results)
        good = caught == len(results) and not problems
        ok = ok and good
        mark = "[green]✓[/]" if good else "[red]✗[/]"
        common.console.print(f"{mark} [bold]{lesson.id}[/]: caught {caught}/{len(results)} ({seconds:.1f} s)")
        for problem in problems:
            common.console.print(f"    [red]✗ {escape(problem)}[/]")
        for result in results:
            if not result.caught:
                common.console.print(f"    [red]✗[/] {escape(result.describe())}".replace("\n", "\n      "))
    raise typer.Exit(0 if ok else 1)


@dev_app.command("snapshot")
def dev_snapshot(
    lesson: Annotated[str, typer.Argument(help="Lesson number or id.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write (must be empty or new).")],
    starter: Annotated[bool, typer.Option("--starter", help="Write the starter instead of the solution.")] = False,
) -> None:
    """Write snapshot(N) (or starter(N)) into a folder."""
    chosen = common.lesson(lesson)
    if out.exists() and any(out.iterdir()):
        common.fail(f"{out} is not empty; choose a new folder.")
    tree = (starter_tree if starter else snapshot_tree)(common.course(), chosen, common.root())
    write_tree(tree, out)
    common.console.print(f"Wrote {'starter' if starter else 'snapshot'}({chosen.id}): {len(tree)} files in {out}")


def strip_notebook(path: Path) -> bool:
    """Remove outputs and execution counts; True when the file changed."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    changed = False
    for cell in notebook.cells:
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count):
            cell.outputs, cell.execution_count, changed = [], None, True
        for key in ("execution", "collapsed", "scrolled"):
            if key in cell.metadata:
                del cell.metadata[key]
                changed = True
    if changed:
        nbformat.write(notebook, path)
    return changed


@dev_app.command("strip")
def dev_strip() -> None:
    """Strip outputs from every lesson notebook (the repository keeps them clean)."""
    for path in sorted((common.root() / "lessons").glob("*/lesson.ipynb")):
        if strip_notebook(path):
            common.console.print(f"stripped {path.relative_to(common.root())}")


NEW_NOTEBOOK_CELLS = [
    ("markdown", "# Lesson {number}: {title}\n\nWhy this lesson exists: the failure it prevents."),
    ("code", "%load_ext shiplings"),
    ("markdown", "## The failure\n\nShow it live against the learner's app."),
    ("markdown", "## The fix\n\nPoint at the TODO({number}) markers in the workspace."),
    ("code", "%check {number}"),
]


@dev_app.command("new")
def dev_new(
    lesson_id: Annotated[str, typer.Argument(help="New lesson id, e.g. 19_canary_deploys.")],
    title: Annotated[str, typer.Option(help="Lesson title.")] = "New lesson",
    part: Annotated[int, typer.Option(help="Part number.")] = 1,
) -> None:
    """Scaffold a lesson: notebook, starter, solution, checks and a manifest entry."""
    import nbformat

    from shiplings.manifest.schema import LESSON_ID

    if not LESSON_ID.match(lesson_id):
        common.fail(f"{lesson_id!r} is not a lesson id: use two digits, _, and a-z0-9_ (e.g. 19_canary).")
    root = common.root()
    if any((root / folder / lesson_id).exists() for folder in ("lessons", "solutions", "checks")):
        common.fail(f"{lesson_id} already has files.")
    number = lesson_id[:2]
    notebook = nbformat.v4.new_notebook()
    for kind, text in NEW_NOTEBOOK_CELLS:
        source = text.format(number=number, title=title)
        notebook.cells.append(nbformat.v4.new_markdown_cell(source) if kind == "markdown"
                              else nbformat.v4.new_code_cell(source))
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (root / "lessons" / lesson_id / "starter").mkdir(parents=True)
    nbformat.write(notebook, root / "lessons" / lesson_id / "lesson.ipynb")
    (root / "lessons" / lesson_id / "starter" / "README.md").write_text(
        f"TODO({number}): replace with the files the learner completes.\n")
    (root / "solutions" / lesson_id).mkdir(parents=True)
    (root / "solutions" / lesson_id / "README.md").write_text("Replace with the solved files.\n")
    (root / "checks" / lesson_id).mkdir(parents=True)
    (root / "checks" / lesson_id / "test_lesson.py").write_text(
        f'"""Lesson {number}: {title}."""\n\nfrom shiplings.testing import show\n\n\n'
        "async def test_first_behaviour(client):\n"
        '    response = await client.get("/")\n'
        "    assert response.status_code == 200, (\n"
        '        f"GET / should answer 200; your app answered {show(response)}. Look at app/main.py."\n'
        "    )\n"
    )
    entry = (
        f'\n[[lessons]]\nid = "{lesson_id}"\ntitle = "{title}"\npart = {part}\n'
        "minutes = { teaching = 15, exercises = 20 }\n"
        'objectives = ["What the learner can do afterwards"]\n\n'
        '[[lessons.checks]]\ntest = "test_first_behaviour"\nname = "What the check proves, in plain words"\n'
        'hints = ["A gentle nudge", "A stronger one"]\n'
    )
    with open(root / "course.toml", "a", encoding="utf-8") as manifest:
        manifest.write(entry)
    common.console.print(f"Scaffolded {lesson_id}. Next: write the solution, the starter and the checks, "
                         f"then `shiplings dev check {number}`.")


def prepare_base_images(root: Path) -> None:
    """Make every base image the course's Dockerfiles start FROM available before the suite runs.

    Where no registry answers (CI), each is a stand-in built from Debian packages, minutes
    each the first time: built inside a check, that time would count against the check's
    own budget while every other run waits for the one engine.
    """
    from shiplings import containers, standins

    images = standins.course_base_images(root)
    try:
        with containers.engine() as engine:
            for image in images:
                common.errors.print(f"shiplings: base image {image}: {standins.ensure(engine, image)}")
    except containers.EngineUnavailable as why:
        common.errors.print(f"shiplings: no Docker Engine ({why}); the container checks will say they cannot run.")
    except Exception as why:  # a head start only: the checks build what is missing and say what failed
        common.errors.print(f"shiplings: the base images could not be made ready now ({why}); the checks will try.")


@dev_app.command("test", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def dev_test(
    context: typer.Context,
    install: Annotated[bool, typer.Option(help="Install missing system tools first (Debian, as root).")] = True,
) -> None:
    """Run the whole test suite: the engine's tests and the proof of every lesson.

    Extra arguments go to pytest, e.g. `shiplings dev test -x -k cli`.
    """
    pytest_args = context.args
    from shiplings.commands.doctor import install_missing

    root = common.root()
    if install:
        # every server a lesson's checks use, and Chromium for the site's browser test
        needed = {service for lesson in common.course().lessons for service in lesson.services}
        install_missing(needed | {"chromium"})
        if "docker" in needed:
            prepare_base_images(root)
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    command = [sys.executable, "-m", "pytest", "-p", "pytest_timeout", "-p", "anyio.pytest_plugin",
               "-q", "--durations=10", *(pytest_args or [])]
    completed = subprocess.run(command, cwd=root, env=env, check=False)
    code = completed.returncode
    if code == 5:
        common.errors.print("pytest collected no tests: that is a failure, not a pass.")
        code = 1
    raise typer.Exit(code)
