"""`shiplings dev check`: prove the course is consistent, lesson by lesson.

The invariants (see the author guide):
1. checks(N) pass on snapshot(N).
2. checks(N) fail on starter(N), each with an assertion about its own behaviour
   (a learner-facing message), never an import error, a crash or a timeout.
3. checks(1..N-1) still pass on snapshot(N) and on starter(N), unless retired.
4. lessons/<N>/lesson.ipynb executes top to bottom against snapshot(N), and is stored
   with its outputs stripped.
5. The manifest is complete: every check is a test and every test a check; every lesson
   has its notebook, starter, solution and checks; the starter has TODO(N) markers and
   snapshot(N) none; no solution file repeats its starter(N) version; no folder exists
   without a manifest entry.
6. Every mutant in checks/<N>/mutants.toml (a realistic mistake applied to snapshot(N)) is
   caught by the check it names, failing by its assertion with the word it names.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import os
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import nbformat

from shiplings import lifeline
from shiplings import mutants as mutant_files
from shiplings.manifest import Course, Lesson
from shiplings.overlays import Tree, lesson_trees, overlay_files, remove_paths, snapshot_tree, starter_tree, write_tree
from shiplings.runner import RunResult, run_lessons
from shiplings.scratch import prefix as scratch_prefix
from shiplings.warm import WarmRunner

NOTEBOOK_TIMEOUT = 180
# A cell of a Docker lesson may build an image from nothing (a full pip install) on a loaded machine.
ENGINE_CELL_TIMEOUT = 900


@dataclass
class Finding:
    invariant: str
    ok: bool
    detail: str = ""


@dataclass
class LessonReport:
    lesson: str
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0
    # earlier lessons' check runs not repeated: proven on the same files elsewhere in the run
    reused: list[str] = field(default_factory=list)
    # seconds from the start of the proof's part to its end (solution, starter, notebook, mutants)
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(finding.ok for finding in self.findings)

    def add(self, invariant: str, problems: list[str]) -> None:
        self.findings.append(Finding(invariant, not problems, "\n".join(problems)))


def _problems_passing(result: RunResult, where: str) -> list[str]:
    if result.problem:
        return [f"{result.lesson} on {where}: {result.problem}"]
    return [
        f"{result.lesson}::{check.test} on {where}: {check.outcome}: {check.message or check.detail[-600:]}"
        for check in result.checks
        if not check.passed and not check.retired
    ]


def _problems_failing_well(result: RunResult) -> list[str]:
    if result.problem:
        return [f"starter: {result.problem}"]
    problems = []
    for check in result.checks:
        if check.outcome == "passed":
            problems.append(f"{check.test} passes on the starter: it cannot fail for the learner")
        elif check.outcome != "failed":
            problems.append(
                f"{check.test} fails on the starter by {check.outcome}, not by an assertion: "
                f"{check.message or check.detail[-600:]}"
            )
        elif not check.message.strip():
            problems.append(f"{check.test} fails without a learner-facing message (assert cond, 'message')")
    return problems


# checks/support/: the package of helpers that several lessons' checks share (no lesson's)
SHARED_CHECK_HELPERS = "support"


def manifest_problems(course: Course, root: Path) -> list[str]:
    """Invariant 5 for the whole course: files and manifest agree."""
    problems = []
    ids = {lesson.id for lesson in course.lessons}
    for folder in ("lessons", "solutions", "checks"):
        base = root / folder
        shared = {SHARED_CHECK_HELPERS} if folder == "checks" else set()
        for entry in sorted(base.iterdir()) if base.is_dir() else []:
            if entry.is_dir() and entry.name not in ids | shared and not entry.name.startswith((".", "_")):
                problems.append(f"{folder}/{entry.name} has no lesson in course.toml")
    for lesson in course.lessons:
        problems += lesson_file_problems(course, lesson, root)
    return problems


def lesson_file_problems(course: Course, lesson: Lesson, root: Path) -> list[str]:
    problems = []
    notebook = root / "lessons" / lesson.id / "lesson.ipynb"
    if not notebook.is_file():
        problems.append(f"lessons/{lesson.id}/lesson.ipynb is missing")
    else:
        problems += notebook_stripped_problems(notebook)
    starter = overlay_files(root / "lessons" / lesson.id / "starter")
    marker = f"TODO({lesson.number})"
    if not starter:
        problems.append(f"lessons/{lesson.id}/starter/ is empty")
    elif not any(marker in (path.read_text(errors="replace")) for path in starter.values()):
        problems.append(f"no {marker} marker in lessons/{lesson.id}/starter/: where does the learner work?")
    solution = overlay_files(root / "solutions" / lesson.id)
    if not solution:
        problems.append(f"solutions/{lesson.id}/ is empty")
    # snapshot(N) = starter(N) - removes + solutions/N: a solution file the starter already
    # holds byte for byte is a second copy that can only drift from the first
    handed_over = remove_paths(starter_tree(course, lesson, root), lesson.removes)
    for name, path in solution.items():
        if name in handed_over and handed_over[name].read_bytes() == path.read_bytes():
            problems.append(
                f"solutions/{lesson.id}/{name} is identical to its version in starter({lesson.number}): "
                "delete it (solutions/ holds only the files the learner changes)"
            )
    # on the whole snapshot: a starter file with a marker that the solution forgets to
    # overlay reaches the solved workspace as it is
    for name, path in snapshot_tree(course, lesson, root).items():
        if marker.encode() in path.read_bytes():
            source = path.relative_to(root).as_posix()
            where = "" if source.startswith("solutions/") else f": solutions/{lesson.id}/{name} must overlay it"
            problems.append(f"{source} still has a {marker} marker in snapshot({lesson.number}){where}")
    if not list((root / "checks" / lesson.id).glob("test_*.py")):
        problems.append(f"checks/{lesson.id}/ has no test_*.py")
    return problems


def notebook_stripped_problems(path: Path) -> list[str]:
    notebook = nbformat.read(path, as_version=4)
    dirty = [
        index for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]
    if dirty:
        return [f"{path.name} has outputs in cells {dirty[:5]}: strip them (shiplings dev strip)"]
    return []


def execute_notebook(path: Path, workspace: Path, keep: Callable | None = None,
                     cell_timeout: float = NOTEBOOK_TIMEOUT) -> list[str]:
    """Invariant 4: the notebook runs top to bottom against this workspace.

    keep, if given, receives the executed notebook (the site publishes it with its outputs).
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    from shiplings.containers import IMAGE_STORE_VARIABLE, image_store

    notebook = nbformat.read(path, as_version=4)
    run_dir = workspace / "notebooks"
    run_dir.mkdir(parents=True, exist_ok=True)
    # %check in the notebook records progress: keep it out of the author's own state file
    # (but not its images: a Docker lesson's cells build on the base images and layers the
    # author's runs built, under the same engine lock, instead of building them all again)
    env = {**os.environ, "SHIPLINGS_WORKSPACE": str(workspace), "SHIPLINGS_NOTEBOOK_CHECK": "1",
           "SHIPLINGS_STATE": str(workspace.parent / "state"), IMAGE_STORE_VARIABLE: str(image_store())}
    client = NotebookClient(
        notebook, timeout=cell_timeout, kernel_name="python3",
        resources={"metadata": {"path": str(run_dir)}},
    )
    # the kernel is started by jupyter_client: marked, it and every server a cell starts die
    # when the notebook is done, or when dev check is stopped or killed
    with lifeline.guarded() as marker:
        try:
            # the kernel's own start-up chatter (transport warnings) is not the author's business
            client.execute(env={**env, **marker}, stderr=subprocess.DEVNULL)
        except CellExecutionError:
            return [f"{path.parent.name}/lesson.ipynb: {failed_cell(notebook)}"]
        except (CellTimeoutError, DeadKernelError) as error:
            return [f"{path.parent.name}/lesson.ipynb: {type(error).__name__}: {str(error)[-800:]}"]
    if keep is not None:
        keep(notebook)
    return []


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def failed_cell(notebook) -> str:
    """Which code cell failed, how it begins, what it printed before and the error's last lines.

    What it printed matters most: a cell that ignores a command's exit status (`docker compose
    up`) fails later with an error of its own, and only the command's output says why.
    """
    cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for number, cell in enumerate(cells, 1):
        errors = [output for output in cell.get("outputs", []) if output.get("output_type") == "error"]
        if not errors:
            continue
        source = cell.source.splitlines()
        begins = "\n".join(f"    {line}" for line in source[:8]) + ("\n    ..." if len(source) > 8 else "")
        printed = "".join(output.get("text", "") for output in cell.get("outputs", [])
                          if output.get("output_type") == "stream")
        error = errors[0]
        traceback = ANSI.sub("", "\n".join(error.get("traceback", [])))
        return (f"code cell {number} of {len(cells)} failed with {error.get('ename')}: {error.get('evalue')}\n"
                f"  it begins:\n{begins}\n"
                + (f"  it printed (the end):\n{ANSI.sub('', printed)[-1500:]}\n" if printed.strip() else "")
                + f"  the traceback (the end):\n{traceback[-1500:]}")
    return "a cell failed, and no cell holds the error (nbclient stopped before recording it)"


@dataclass
class MutantResult:
    """What the named check did on one mutant of the solution."""

    name: str
    mistake: str
    caught_by: str
    says: str
    verdict: str  # caught | passed | failed without the word | error | timeout | missing | run problem
    message: str = ""
    seconds: float = 0.0

    @property
    def caught(self) -> bool:
        return self.verdict == "caught"

    def describe(self) -> str:
        if self.caught:
            return f"{self.name}: caught by {self.caught_by}"
        what = {
            "passed": "passed: the mistake goes unnoticed",
            "failed without the word": f"failed, but its message does not say {self.says!r}",
        }.get(self.verdict, f"did not fail by its assertion ({self.verdict})")
        message = self.message.strip()[:800].replace("\n", "\n    ")
        said = f"\n    it said: {message}" if message else ""
        return f"{self.name} ({self.mistake}): {self.caught_by} {what}{said}"


# Runs (pytest processes, notebook kernels) that dev check keeps going at once, across all
# the lessons it proves: much of a run is waiting (servers starting, outages timing out,
# upstreams answering late), so a few more than the cores keep both busy
RUN_SLOTS = threading.BoundedSemaphore(4)


def _in_slot(work: Callable, *args, **kwargs):
    with RUN_SLOTS:
        return work(*args, **kwargs)


class SharedEngine:
    """One Docker Engine for every run of the container lessons proved at once.

    A run that finds no engine starts a private one, which holds its image store from start
    to end (shiplings.containers): a proof's runs (solution, starter, each mutant, the
    notebook) then went one after another, each starting a dockerd of its own, and most of a
    container lesson's proof was waiting for the engine. Started here once and named by
    DOCKER_HOST, it is the engine every run finds answering, as a learner's own would be,
    and the runs go side by side: the checks give each run its own compose project, subnet,
    ports and image tags. Counted: the first proof that needs it starts it, the last one
    done stops it. Where an engine already answers, or none can be started, it does nothing.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._stack: contextlib.ExitStack | None = None
        self._previous: str | None = None

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        with self._lock:
            if self._users == 0:
                self._start()
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    self._stop()

    def _start(self) -> None:
        from shiplings import containers

        if containers.ask_version(containers.learner_host())[0] or not containers.can_start_private():
            return
        self._stack = contextlib.ExitStack()
        try:
            engine = self._stack.enter_context(containers.private_engine())
        except Exception:  # each run then tries on its own, and says why in the check's words
            self._stack.close()
            self._stack = None
            return
        self._previous = os.environ.get("DOCKER_HOST")
        os.environ["DOCKER_HOST"] = engine.host

    def _stop(self) -> None:
        if self._stack is None:
            return
        if self._previous is None:
            os.environ.pop("DOCKER_HOST", None)
        else:
            os.environ["DOCKER_HOST"] = self._previous
        self._stack.close()
        self._stack = None


SHARED_ENGINE = SharedEngine()

MUTANT_JOBS = 2
# verdicts a loaded machine can cause on its own (a check or the run out of time): tried twice
RETRIED = {"timeout", "run problem"}


def mutant_verdict(mutant: mutant_files.Mutant, result: RunResult) -> tuple[str, str]:
    """(verdict, what the check said) for one run of the named check on a mutant."""
    if result.problem:
        return "run problem", result.problem
    check = next((check for check in result.checks if check.test == mutant.caught_by), None)
    if check is None or check.outcome == "missing":
        return "missing", f"no test function {mutant.caught_by} ran"
    said = check.message or check.detail[-600:]
    if check.outcome == "failed":
        if mutant.says.casefold() in check.message.casefold():
            return "caught", said
        return "failed without the word", said
    return check.outcome, said


def run_mutants(
    course: Course,
    root: Path,
    lesson: Lesson,
    names: list[str] | None = None,
    jobs: int = MUTANT_JOBS,
) -> tuple[list[MutantResult], list[str]]:
    """Apply each mutant of the lesson to snapshot(N) and run the check it names.

    Returns the results, and the problems that kept mutants from running (a malformed
    mutants.toml, an unknown check, an edit that does not apply): course defects.
    """
    try:
        chosen = mutant_files.load_mutants(root, lesson)
    except mutant_files.MutantError as error:
        return [], str(error).splitlines()
    if names:
        chosen = [mutant for mutant in chosen if mutant.name in names]
    tree = snapshot_tree(course, lesson, root)
    problems = mutant_files.mutant_problems(lesson, chosen, tree)
    broken = {mutant.name for mutant in chosen for problem in problems if repr(mutant.name) in problem}
    runnable = [mutant for mutant in chosen if mutant.name not in broken]

    # each worker thread forks its runs from a warm helper of its own (see warm.py), as
    # watch mode and %check do: a fresh pytest process would import pytest and FastAPI
    # again for every mutant, most of a mutant's time in the early lessons
    helpers = threading.local()
    started_helpers: list[WarmRunner] = []

    def warm_helper() -> WarmRunner | None:
        if not WarmRunner.available():
            return None
        if not hasattr(helpers, "runner"):
            helpers.runner = WarmRunner()
            started_helpers.append(helpers.runner)
        return helpers.runner

    with tempfile.TemporaryDirectory(prefix=scratch_prefix("mutants")) as scratch:

        def run_one(mutant: mutant_files.Mutant) -> MutantResult:
            started = time.perf_counter()
            folder = Path(scratch) / mutant.name
            write_tree(tree, folder)
            mutant_files.apply_mutant(mutant, folder)
            only = {lesson.id: {mutant.caught_by}}
            for _ in range(2):
                result = _in_slot(run_lessons, course, root, [lesson], folder, at=lesson, only=only,
                                  warm=warm_helper())[0]
                verdict, said = mutant_verdict(mutant, result)
                if verdict not in RETRIED:  # a busy machine, not the mistake: one more try
                    break
            return MutantResult(mutant.name, mutant.mistake, mutant.caught_by, mutant.says, verdict, said,
                                time.perf_counter() - started)

        try:
            with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
                results = list(pool.map(run_one, runnable))
        finally:
            for helper in started_helpers:
                helper.close()
    return results, problems


def mutant_findings(course: Course, root: Path, lesson: Lesson) -> list[str]:
    """Invariant 6: every mutant is caught by the check it names, with the word it names."""
    results, problems = run_mutants(course, root, lesson)
    return problems + [result.describe() for result in results if not result.caught]


@cache
def _file_digest(path: Path, size: int, modified: int) -> bytes:
    return hashlib.sha256(path.read_bytes()).digest()


def files_read_digest(course: Course, checked: Lesson, tree: Tree) -> str:
    """One digest of the files in `tree` that the checks of `checked` may read ([proof] never_read)."""
    never_read = re.compile("|".join(fnmatch.translate(pattern) for pattern in course.never_read(checked)) or "(?!)")
    digest = hashlib.sha256()
    for name in sorted(tree):
        if not never_read.match(name):
            stat = tree[name].stat()
            digest.update(name.encode() + b"\0" + _file_digest(tree[name], stat.st_size, stat.st_mtime_ns))
    return digest.hexdigest()


def proven_elsewhere(course: Course, root: Path, lesson: Lesson, proving: frozenset[str]) -> dict[tuple[str, str], str]:
    """Earlier lessons' check runs of this proof that another proof covers: {(kind, earlier id): where}.

    The checks of an earlier lesson E need no run on kind(N) (N's solution or starter) when
    the files they read are the same as on one of: snapshot(E) (E's own invariant 1), or
    starter(M) or snapshot(M) of a lesson M between E and kind(N), in course order. A
    candidate counts only when its lesson is proved in the same run (`proving`): that proof
    runs it, unless an earlier candidate with the same files covers it in turn, and the
    earliest one is always run.
    """
    trees = lesson_trees(course, root, lesson)

    digests: dict[tuple[str, str, str], str] = {}

    def files_read(checked: Lesson, kind: str, at: Lesson) -> str:
        key = (checked.id, kind, at.id)
        if key not in digests:
            digests[key] = files_read_digest(course, checked, trees[kind, at.id])
        return digests[key]

    found = {}
    for earlier in course.before(lesson):
        later = course.lessons[course.index(earlier) + 1: course.index(lesson) + 1]
        candidates = [("snapshot", earlier)] + [(kind, step) for step in later for kind in ("starter", "snapshot")]
        for kind in ("starter", "snapshot"):
            wanted = files_read(earlier, kind, lesson)
            for step_kind, step in candidates[: candidates.index((kind, lesson))]:
                if step.id in proving and files_read(earlier, step_kind, step) == wanted:
                    found[kind, earlier.id] = f"{step_kind}({step.number})"
                    break
    return found


def check_lesson(
    course: Course,
    root: Path,
    lesson: Lesson,
    notebooks: bool = True,
    step: Callable[[str], None] = lambda _: None,
    mutants: bool = True,
    proving: frozenset[str] = frozenset(),
) -> LessonReport:
    """Prove the invariants for one lesson.

    proving: the other lessons proved in the same run (dev check of the whole course): an
    earlier lesson's checks are not run again on a workspace whose files they read are
    the same as in one of those lessons' proofs (see proven_elsewhere).
    """
    report = LessonReport(lesson.id)
    started = time.perf_counter()
    proving = proving | {lesson.id}
    reused = proven_elsewhere(course, root, lesson, proving)
    rerun = {kind: [earlier for earlier in course.before(lesson) if (kind, earlier.id) not in reused]
             for kind in ("snapshot", "starter")}
    notebook = root / "lessons" / lesson.id / "lesson.ipynb"
    uses_engine = "docker" in lesson.services
    with tempfile.TemporaryDirectory(prefix=scratch_prefix("lesson")) as scratch:
        snapshot = Path(scratch) / "snapshot"
        starter = Path(scratch) / "starter"
        write_tree(snapshot_tree(course, lesson, root), snapshot)
        write_tree(starter_tree(course, lesson, root), starter)

        def run_notebook() -> list[str] | None:
            if not (notebooks and notebook.is_file()):
                return None
            # its own copy of the snapshot: its cells may write files (a database, .env)
            # that the checks running beside it must not see
            workspace = Path(scratch) / "notebook" / "workspace"
            write_tree(snapshot_tree(course, lesson, root), workspace)
            from shiplings.site import executed  # the site publishes this run's outputs: no second run

            def keep(done, lesson=lesson, workspace=workspace):
                executed.keep(done, course, lesson, root, workspace)

            limits = {"cell_timeout": ENGINE_CELL_TIMEOUT} if uses_engine else {}
            return _in_slot(execute_notebook, notebook, workspace, keep, **limits)

        def run_mutants_of_lesson() -> list[str] | None:
            if not (mutants and mutant_files.mutants_path(root, lesson).is_file()):
                return None
            return mutant_findings(course, root, lesson)

        def timed(phase: str, work: Callable, *args, **kwargs):
            began = time.perf_counter()
            try:
                return work(*args, **kwargs)
            finally:
                report.phases[phase] = round(time.perf_counter() - began, 1)

        step("checks on the solution and the starter, notebook, mutants")
        # the runs are independent processes on free ports, each in its own folder (on one
        # Docker Engine for a container lesson: SharedEngine), and RUN_SLOTS bounds how many
        # go at once: the notebook and the mutants go side by side with the two check runs
        with SHARED_ENGINE.held() if uses_engine else contextlib.nullcontext(), \
                ThreadPoolExecutor(max_workers=4) as pool:
            snapshot_run = pool.submit(timed, "solution", _in_slot, run_lessons, course, root,
                                       [*rerun["snapshot"], lesson], snapshot, at=lesson)
            starter_run = pool.submit(timed, "starter", _in_slot, run_lessons, course, root,
                                      [*rerun["starter"], lesson], starter, at=lesson)
            mutant_runs = pool.submit(timed, "mutants", run_mutants_of_lesson)
            notebook_run = pool.submit(timed, "notebook", run_notebook)
            on_snapshot, on_starter = snapshot_run.result(), starter_run.result()
            step("notebook and mutants")
            caught_mutants = mutant_runs.result()
            ran_notebook = notebook_run.result()
        report.add("1. its checks pass on the solution", _problems_passing(on_snapshot[-1], "snapshot"))
        report.add("2. its checks fail on the starter, each by its own assertion",
                   _problems_failing_well(on_starter[-1]))
        regressions = []
        for result in on_snapshot[:-1]:
            regressions += _problems_passing(result, "snapshot")
        for result in on_starter[:-1]:
            regressions += _problems_passing(result, "starter")
        report.add("3. earlier checks still pass on its solution and starter", regressions)
        report.reused = [f"{earlier} on {kind}: same files as {where}" for (kind, earlier), where in reused.items()]
        if ran_notebook is not None:
            report.add("4. the notebook runs against the solution", ran_notebook)
        report.add("5. files and manifest agree", lesson_file_problems(course, lesson, root))
    if caught_mutants is not None:
        report.add("6. every mutant is caught by the check it names", caught_mutants)
    report.seconds = time.perf_counter() - started
    return report
