"""Run one lesson's checks against a workspace and return a structured result.

The checks run in a separate process (the learner's code must never take the CLI or a
notebook kernel down with it): a fresh `python -m pytest` by default, or a fork of an
already warm process (see warm.py) for watch mode and %check.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from shiplings import lifeline
from shiplings.patience import Patience, Verdict
from shiplings.scratch import prefix as scratch_prefix

if TYPE_CHECKING:
    from shiplings.manifest import Course, Lesson

# Plugins are named one by one: auto-loading every installed plugin (nbval, anyio's,
# jupyter's...) costs seconds per run and none of them is needed.
PYTEST_FLAGS = [
    "-p", "shiplings.testing",
    "-p", "shiplings.pytest_plugin",  # it also keeps the time of each check (see CheckClock)
    "-p", "anyio.pytest_plugin",
    "-p", "no:cacheprovider",
    # these two end every run with five full garbage collections (~0.1 s here)
    "-p", "no:unraisableexception",
    "-p", "no:threadexception",
    "--assert=plain",
    "--import-mode=importlib",
    "-q",
    "--no-header",
    "-rN",
]

# How long the whole run may take on an idle machine beyond its per-check timeouts before it
# is stopped; longer on a loaded machine while the run still uses CPU (see shiplings.patience).
RUN_TIMEOUT = 600
# How long a stopped run may take to stop its servers cleanly before it is killed.
RUN_GRACE = 5.0


def run_timeout_problem(verdict: Verdict) -> str:
    """What the learner reads when a whole check run was stopped."""
    reason = verdict.explain("they")
    return (f"The checks did not finish within {verdict.waited:.0f} s and were stopped"
            + (f": {reason}." if reason else ".") + verdict.slow_machine)


@dataclass
class CheckOutcome:
    test: str
    name: str
    # passed | failed | timeout | error | skipped | missing | unavailable (a tool it needs,
    # such as PostgreSQL, is not installed here: the check could not run)
    outcome: str
    message: str = ""
    hints: list[str] = field(default_factory=list)
    duration: float = 0.0
    detail: str = ""
    retired: bool = False

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"

    @property
    def cannot_run(self) -> bool:
        """Neither passed nor failed: this machine lacks a tool the check needs."""
        return self.outcome == "unavailable"


@dataclass
class RunResult:
    lesson: str
    title: str
    checks: list[CheckOutcome]
    duration: float
    app_error: dict | None = None
    problem: str = ""  # the run itself went wrong: collection error, crash, hang

    @property
    def passed(self) -> bool:
        """Every active check passed; a check that could not run (a missing tool) is no pass."""
        active = [check for check in self.checks if not check.retired]
        return not self.problem and bool(active) and all(check.passed for check in active)

    def to_json(self) -> dict:
        data = asdict(self)
        data["passed"] = self.passed
        return data


def check_env(workspace: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SHIPLINGS_WORKSPACE=str(workspace),
        PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def run_checks(
    course: Course,
    course_root: Path,
    lesson: Lesson,
    workspace: Path,
    *,
    at: Lesson | None = None,
    warm=None,
    head_start: Launch | None = None,
) -> RunResult:
    """Run checks/<lesson>/ against workspace. `at` is the lesson the workspace is at."""
    return run_lessons(course, course_root, [lesson], workspace, at=at, warm=warm, head_start=head_start)[0]


@dataclass
class Launch:
    """A cold check run in flight: a pytest process writing its report to a scratch folder."""

    key: tuple
    process: subprocess.Popen
    scratch: tempfile.TemporaryDirectory
    report_path: Path
    started: float = field(default_factory=time.perf_counter)
    output: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # read the output on the side: a process the run left behind may hold the pipe open
        # after pytest exits, and only stopping the run (below) closes it
        self.reader = threading.Thread(target=lambda: self.output.append(self.process.stdout.read()), daemon=True)
        self.reader.start()

    def finish(self) -> tuple[dict | None, str, str]:
        """(report, pytest's output, problem) once the process is done."""
        problem = ""
        patience = Patience(RUN_TIMEOUT, pid=self.process.pid)
        try:
            while self.process.poll() is None:
                try:
                    self.process.wait(timeout=patience.next_look())
                except subprocess.TimeoutExpired:
                    if verdict := patience.look():
                        problem = run_timeout_problem(verdict)
                        break
        finally:
            # also on Ctrl-C: the run, its servers and whatever it started stop with it
            lifeline.stop(self.process, grace=RUN_GRACE)
            self.reader.join(timeout=5)
        report = _read_report(self.report_path)
        self.scratch.cleanup()
        return report, "".join(self.output), problem

    def cancel(self) -> None:
        lifeline.stop(self.process, grace=0)
        self.reader.join(timeout=5)
        self.scratch.cleanup()


def run_key(course_root: Path, lesson_ids: list[str], retired: dict[str, set[str]], workspace: Path,
            only: dict[str, set[str]] | None = None) -> tuple:
    return (str(course_root), tuple(lesson_ids),
            tuple(sorted((k, tuple(sorted(v))) for k, v in retired.items())), str(workspace),
            tuple(sorted((k, tuple(sorted(v))) for k, v in (only or {}).items())))


def pytest_args(course_root: Path, lesson_ids: list[str], retired: dict[str, set[str]], report: Path,
                only: dict[str, set[str]] | None = None) -> list[str]:
    """pytest's command line; `only` narrows a lesson to some of its test functions."""
    checks = course_root / "checks"
    args = [*PYTEST_FLAGS, f"-c={checks / 'pytest.ini'}", f"--rootdir={checks}", f"--shiplings-report={report}"]
    for lesson_id in lesson_ids:
        chosen = (only or {}).get(lesson_id)
        args += _select_args(course_root, lesson_id, chosen) if chosen else [str(course_root / "checks" / lesson_id)]
        # retired checks are deselected by test function name inside the lesson's folder
        args += _deselect_args(course_root, lesson_id, retired.get(lesson_id, set()))
    return args


def launch(course_root: Path, lesson_ids: list[str], retired: dict[str, set[str]], workspace: Path,
           only: dict[str, set[str]] | None = None) -> Launch:
    """Start a cold check run in a fresh Python process and return at once.

    The run dies with this process, whatever way it ends, and so does everything it starts
    (see shiplings.lifeline); Ctrl-C and SIGTERM stop it cleanly first.
    """
    lifeline.install_handlers()
    scratch = tempfile.TemporaryDirectory(prefix=scratch_prefix("check"))
    report_path = Path(scratch.name) / "report.json"
    process = lifeline.spawn(
        [sys.executable, "-m", "pytest", *pytest_args(course_root, lesson_ids, retired, report_path, only)],
        tree=True,
        stop_signal=signal.SIGINT,  # pytest's KeyboardInterrupt: fixtures stop their servers
        # a scratch folder: files an app writes to its working directory (a default SQLite
        # database, say) must land neither in the course nor in the learner's workspace
        cwd=scratch.name,
        env=check_env(workspace),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    return Launch(run_key(course_root, lesson_ids, retired, workspace, only), process, scratch, report_path)


def run_lessons(
    course: Course,
    course_root: Path,
    lessons: list[Lesson],
    workspace: Path,
    *,
    at: Lesson | None = None,
    warm=None,
    only: dict[str, set[str]] | None = None,
    head_start: Launch | None = None,
) -> list[RunResult]:
    """Run several lessons' checks in one pytest process (one import cost), one result each.

    `only` maps a lesson id to the test functions to run (the others are reported missing).
    `head_start` is a run already launched (see prelaunch.py): used if it is this very run,
    else stopped.
    """
    started = time.perf_counter()
    if head_start is not None and (warm is not None or not workspace.is_dir()):
        head_start.cancel()
        head_start = None
    if not workspace.is_dir():
        problem = (f"There is no workspace at {workspace}. "
                   f"Run `shiplings start {lessons[0].number}` first.")
        return [RunResult(each.id, each.title, [], 0.0, problem=problem) for each in lessons]
    ids = [each.id for each in lessons]
    retired = {each.id: course.retired_tests(each, at) for each in lessons}
    problem = ""
    if warm is not None:
        with tempfile.TemporaryDirectory(prefix=scratch_prefix("check")) as scratch:
            report_path = Path(scratch) / "report.json"
            output = warm.run(pytest_args(course_root, ids, retired, report_path, only), workspace, Path(scratch))
            report = _read_report(report_path)
    else:
        running = None
        if head_start is not None:
            if head_start.key == run_key(course_root, ids, retired, workspace, only):
                running, started = head_start, head_start.started
            else:
                head_start.cancel()
        running = running or launch(course_root, ids, retired, workspace, only)
        report, output, problem = running.finish()
    elapsed = time.perf_counter() - started
    results = []
    for each in lessons:
        part = None
        if report is not None:
            part = {**report, "checks": [c for c in report["checks"] if c.get("lesson") == each.id]}
        result = merge(course, each, part, output, elapsed, retired[each.id])
        # a run stopped for its time says so first; what pytest printed, if anything, follows
        result.problem = "\n".join(text for text in (problem, result.problem) if text)
        results.append(result)
    return results


def _select_args(course_root: Path, lesson_id: str, tests: set[str]) -> list[str]:
    """Node ids of the chosen test functions (the lesson's folder when none is found)."""
    folder = course_root / "checks" / lesson_id
    args = [
        f"{module}::{test}"
        for test in sorted(tests)
        for module in sorted(folder.glob("test_*.py"))
        if f"def {test}(" in module.read_text(encoding="utf-8")
    ]
    return args or [str(folder)]


def _deselect_args(course_root: Path, lesson_id: str, tests: set[str]) -> list[str]:
    folder = course_root / "checks" / lesson_id
    args = []
    for test in sorted(tests):
        for module in sorted(folder.glob("test_*.py")):
            if f"def {test}(" in module.read_text(encoding="utf-8"):
                # node ids are relative to the rootdir, checks/
                args.append(f"--deselect={lesson_id}/{module.name}::{test}")
    return args


def _read_report(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def merge(
    course: Course,
    lesson: Lesson,
    report: dict | None,
    output: str,
    duration: float,
    retired: set[str],
) -> RunResult:
    """Pair the pytest report with the manifest: names, hints, missing and unlisted checks."""
    if report is None:
        return RunResult(
            lesson.id, lesson.title, [], duration,
            problem="The checks did not run to the end. What pytest said:\n" + output[-3000:],
        )
    seen = {entry["test"]: entry for entry in report["checks"]}
    outcomes: list[CheckOutcome] = []
    for check in lesson.checks:
        entry = seen.pop(check.test, None)
        if check.test in retired:
            outcomes.append(CheckOutcome(check.test, check.name, "skipped", retired=True,
                                         message="Retired by a later lesson on purpose."))
        elif entry is None:
            outcomes.append(CheckOutcome(check.test, check.name, "missing", hints=check.hints,
                                         message=f"No test function {check.test} in checks/{lesson.id}/."))
        else:
            outcomes.append(_outcome(entry, check.name, check.hints))
    for test, entry in seen.items():  # tests the manifest does not list
        outcomes.append(_outcome(entry, f"(unlisted) {test}", []))
    problem = ""
    if report.get("collect_errors"):
        problem = "A check module could not be loaded:\n" + "\n".join(report["collect_errors"])
    return RunResult(lesson.id, lesson.title, outcomes, duration,
                     app_error=report.get("app_error"), problem=problem)


def _outcome(entry: dict, name: str, hints: list[str]) -> CheckOutcome:
    return CheckOutcome(
        test=entry["test"],
        name=name,
        outcome=entry["outcome"],
        message=entry.get("message", ""),
        hints=hints,
        duration=round(entry.get("duration", 0.0), 3),
        detail=entry.get("detail", ""),
    )
