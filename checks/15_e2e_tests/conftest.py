"""Lesson 15 runs the learner's own end-to-end suite (e2e/), on their app and on seeded bugs.

Like lesson 06 does for the backend, a suite proves itself by failing on a broken app.
Each bug of BUGS is a small edit of the learner's frontend/src that a real team could ship;
the backend is the same for all of them. `e2e` (once per check run) plans what the selected
checks need, then, for the app and for each bug (a variant):

- builds the learner's front end (support/spa.py's cache, by content: a second run builds
  nothing), a bug's variant in a scratch copy of frontend/ that borrows the workspace's
  node_modules;
- starts the learner's backend serving that build (support/stack.py's backend_server, on a
  database migrated as their e2e/conftest.py migrates one), kept by the warm helper from one
  check run to the next while the backend and the build stay the same (shiplings.keep), its
  tables emptied before each run: every run starts on a brand-new database, as theirs does;
- runs `pytest e2e` in the workspace, as the learner does, with E2E_APP_URL naming that
  backend (e2e/conftest.py then tests it instead of starting one) and E2E_CDP_URL the check's
  Chromium (e2e_browser.py connects to it instead of launching one): what a run costs is
  then the learner's tests, not three servers' start. The variants side by side (four at a
  time), each bug run stopping at the first failure (-x), its likely tests first (e2e_first.py);
- on a busy machine, runs a bug run that failed once more: a browser suite can fail for the
  machine's slowness alone, and such a failure is not a catch. Only red twice counts;
- reads each run's JUnit XML report into a SuiteRun;
- keeps a run that settles its check (the suite green on the app, a bug caught) under the
  state folder, by the content of all it read: the suite, the check's own files, the backend
  and the build. A check run on a workspace where none of that changed gives that verdict
  again without a server or a browser. A red clean run or a missed bug always runs again:
  the learner is at work on it, and a failure can come from timing.

Nothing here raises for something the learner did: every problem ends up in the results,
and the checks turn it into a message.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from shiplings import keep, lifeline
from shiplings.paths import state_dir
from shiplings.patience import load_now, machine_factor
from shiplings.testing import FRONTEND, workspace
from support import spa
from support.spa import built_dist
from support.stack import answers, backend_fingerprint, backend_server

HERE = Path(__file__).resolve().parent
TODO = "TODO(15)"
SUITE = "e2e"
# how long one run of the learner's suite may take on an idle machine (longer on a busy one)
RUN_TIMEOUT = 150
# runs side by side: a bug run spends most of its time in expect's wait for what the bug
# keeps from coming, which costs no CPU
PARALLEL = 4
# busier than this (machine_factor, measured before the runs start), a red bug run is run again
BUSY = 2.0
# pytest as the learner runs `pytest e2e`, minus plugin auto-loading (the plugins are named),
# on the check's Chromium (e2e_browser.py)
PYTEST_ARGS = ["-p", "pytest_playwright.pytest_playwright", "-p", "anyio.pytest_plugin", "-p", "pytest_timeout",
               "-p", "e2e_browser", "-p", "no:cacheprovider", "-q", "-rN", "--color=no"]
# a test the learner has not written yet (the starter's pytest.skip("TODO(15): ..."))
UNWRITTEN = re.compile(r"skip\(\s*[\"']" + re.escape(TODO))
# what a scratch copy of frontend/ leaves out
NOT_COPIED = shutil.ignore_patterns("node_modules", "dist", ".vite", "coverage", "__shiplings__")
# the settled runs kept (by content, under the state folder): seven per version of the suite
RUNS_KEPT = 70
# what pytest reads at the workspace's root besides the suite itself
PYTEST_CONFIG = ("pytest.ini", "pyproject.toml", "setup.cfg", "tox.ini", "conftest.py")


@dataclass(frozen=True)
class Bug:
    name: str
    check: str  # the check that reports whether the suite caught it
    what: str  # what a user of the broken app sees, in the learner's words
    edits: tuple[tuple[str, str, str], ...]  # (file under frontend/, exact text, replacement)
    likely: str = ""  # words of the names of the tests likely to meet it: they run first (e2e_first.py)


BUGS = {bug.name: bug for bug in [
    Bug("sign-out-keeps-token", "test_catches_sign_out_that_keeps_the_token",
        "Sign out calls the API but keeps the access token in memory: the Back button (or any link) "
        "shows the task list again without a sign-in",
        (("src/stores/auth.ts", "    } finally {\n      token.value = null\n    }",
          "    } finally {\n      error.value = null\n    }"),),
        likely="sign_out signout logout back protect"),
    Bug("stale-task-list", "test_catches_a_stale_task_list",
        "the task store loads once and keeps its tasks across a sign-out: the next user to sign in "
        "in the same tab sees the previous user's tasks",
        (("src/stores/tasks.ts", "  async function load(): Promise<void> {\n",
          "  async function load(): Promise<void> {\n    if (tasks.value.length > 0) return\n"),
         ("src/App.vue", "  useTasksStore().tasks = []\n", "")),
        likely="own other second user isolat"),
    Bug("list-not-loaded", "test_catches_a_list_that_never_loads",
        "the task view never asks for the tasks (`store.load` without the call's parentheses): "
        "a user who signs in sees an empty list, though tasks added in this visit still appear",
        (("src/views/TasksView.vue", "onMounted(() => store.load())", "onMounted(() => store.load)"),),
        likely="again return load"),
    Bug("create-drops-title", "test_catches_a_create_form_that_drops_the_title",
        "the create form sends the title as `name`, which the API does not know: every new task is refused "
        "(422) and never appears in the list",
        (("src/stores/tasks.ts", "api.post<Task>('/tasks', { title })", "api.post<Task>('/tasks', { name: title })"),),
        likely="add create new"),
    Bug("silent-wrong-password", "test_catches_a_silent_wrong_password",
        "a wrong password leaves the login form as it was, with no message: the API's "
        "\"Incorrect email or password.\" is swallowed",
        (("src/stores/auth.ts", "      error.value = errorMessage(problem)\n      return false",
          "      console.warn(errorMessage(problem))\n      return false"),),
        likely="wrong password invalid incorrect"),
    Bug("faint-empty-list", "test_catches_an_unreadable_empty_list",
        "the empty task list's text (\"No tasks yet\") turns light grey on white (contrast about 1.6:1, "
        "4.5:1 needed): unreadable for many people, invisible to every test that only reads text",
        (("src/assets/main.css", ".empty { color: #52606d;", ".empty { color: #c8cfd6;"),),
        likely="task_list tasks_list axe accessib a11y"),
]}


# every variant's build stays in the cache (support/spa.py keeps the newest few): a second
# check run then builds nothing
spa.BUILDS_KEPT = max(spa.BUILDS_KEPT, len(BUGS) + 2)


@dataclass
class TestOutcome:
    name: str  # e2e/test_critical_path.py::test_...
    outcome: str  # passed | failed | error | skipped
    message: str = ""


@dataclass
class SuiteRun:
    """What one run of the learner's suite did."""

    name: str
    exit_code: int | None = None
    timed_out: bool = False
    seconds: float = 0.0
    tests: list[TestOutcome] = field(default_factory=list)
    output: str = ""
    problem: str = ""  # why the run could not happen (a build that failed, a bug that could not be planted)
    # a red bug run on a busy machine is run again; when that run is green, it is here: the
    # first run's failure came from timing, not from the bug
    green_again: SuiteRun | None = None

    def with_outcome(self, *outcomes: str) -> list[TestOutcome]:
        return [test for test in self.tests if test.outcome in outcomes]

    @property
    def broken(self) -> list[TestOutcome]:
        return self.with_outcome("failed", "error")

    def todo_skips(self) -> list[TestOutcome]:
        return [test for test in self.with_outcome("skipped") if TODO in test.message]

    @property
    def green(self) -> bool:
        return (not self.problem and not self.timed_out and self.exit_code == 0 and bool(self.with_outcome("passed"))
                and not self.broken and not self.todo_skips())

    def what_happened(self) -> str:
        """A few lines a learner can act on: the failures, or pytest's own last words."""
        if self.problem:
            return self.problem
        if self.timed_out:
            return f"`pytest e2e` was still running after {self.seconds:.0f} s and was stopped."
        if self.broken:
            return "\n".join(f"- {test.name}: {test.message}" for test in self.broken[:4])
        return tail(self.output)


def tail(text: str, lines: int = 12) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(kept[-lines:])[-1500:]


def read_report(path: Path) -> list[TestOutcome]:
    """The tests of a JUnit XML report (pytest --junitxml), each with its outcome and first line."""
    try:
        root = ElementTree.parse(path).getroot()
    except (OSError, ElementTree.ParseError):
        return []
    found = []
    for case in root.iter("testcase"):
        module = case.get("classname", "").replace(".", "/")
        name = f"{module}.py::{case.get('name')}"
        outcome, message = "passed", ""
        for tag in ("failure", "error", "skipped"):
            element = case.find(tag)
            if element is not None:
                outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[tag]
                message = (element.get("message") or element.text or "").strip()
                break
        found.append(TestOutcome(name.removesuffix("[chromium]"), outcome, first_lines(message)))
    return found


def first_lines(message: str, count: int = 3) -> str:
    message = re.sub(r"^(Skipped|AssertionError): ", "", message)
    lines = [line.strip() for line in message.splitlines() if line.strip() and not line.startswith("Call log")]
    return " ".join(lines[:count])[:400]


def suite_files(folder: Path) -> list[Path]:
    suite = folder / SUITE
    return sorted(suite.rglob("test_*.py")) if suite.is_dir() else []


def environment(app_url: str, dist: Path, chromium: str) -> dict[str, str]:
    """The learner's shell as a suite should see it: no TASKS_ or PYTEST_ variables, the app and Chromium to use.

    TASKS_FRONTEND_DIST too, for an e2e/conftest.py from before E2E_APP_URL (a workspace
    started on an earlier version of the course): it starts its own backend on that build.
    """
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("TASKS_", "SHIPLINGS_", "PYTEST_", "COV_CORE_", "E2E_"))}
    env.update(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1",
               E2E_APP_URL=app_url, TASKS_FRONTEND_DIST=str(dist), E2E_CDP_URL=chromium,
               PYTHONPATH=os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])))
    return env


def run_suite(name: str, app_url: str, dist: Path, chromium: str, scratch: Path, bug: Bug | None = None) -> SuiteRun:
    """`pytest e2e` in the workspace against the app at `app_url` (serving `dist`), on the Chromium at
    `chromium`; its SuiteRun."""
    report = scratch / f"{name}.xml"
    log_path = scratch / f"{name}.log"
    command = [sys.executable, "-m", "pytest", SUITE, *PYTEST_ARGS, f"--junitxml={report}",
               "--output", str(scratch / f"{name}-artifacts")]
    env = environment(app_url, dist, chromium)
    if bug is not None:  # a bug is caught by its first failure: the likely tests first, then stop
        command += ["-x", "-p", "e2e_first"]
        env.update(E2E_FIRST=bug.likely)
    started = time.monotonic()
    result = SuiteRun(name)
    with open(log_path, "w") as log:
        # through lifeline, as a tree: a check run stopped outright takes Playwright's driver along
        process = lifeline.spawn(command, tree=True, stop_signal=signal.SIGINT, cwd=workspace(),
                                 env=env, stdout=log, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL)
        try:
            result.exit_code = process.wait(timeout=RUN_TIMEOUT * machine_factor())
        except subprocess.TimeoutExpired:
            result.timed_out = True
        finally:
            lifeline.stop(process)
    result.seconds = time.monotonic() - started
    result.output = log_path.read_text(errors="replace")[-6000:]
    result.tests = read_report(report)
    return result


def bug_frontend(bug: Bug, scratch: Path) -> Path:
    """A scratch copy of the learner's frontend/ with the bug planted; ValueError when it cannot be."""
    source = workspace() / FRONTEND
    copy = scratch / bug.name / FRONTEND
    shutil.rmtree(copy.parent, ignore_errors=True)
    shutil.copytree(source, copy, ignore=NOT_COPIED, symlinks=True)
    (copy / "node_modules").symlink_to(source / "node_modules", target_is_directory=True)
    for file, find, replace in bug.edits:
        path = copy / file
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        if text.count(find) != 1:
            raise ValueError(
                f"The check plants this bug by changing {FRONTEND}/{file}, and the line it changes is not there "
                f"as the course wrote it ({find.strip()!r}). Put that line back as it was (`shiplings diff 15` "
                "shows your changes), or leave that file to the course."
            )
        path.write_text(text.replace(find, replace), encoding="utf-8")
    return copy


def suite_digest() -> str:
    """What every run reads the same: the suite and pytest's configuration (by content), the
    check's own files and Playwright's version."""
    from importlib.metadata import version

    digest = hashlib.sha256(version("playwright").encode())
    root = workspace()
    suite = sorted(path for path in (root / SUITE).rglob("*") if path.is_file() and "__pycache__" not in path.parts)
    for path in [*suite, *(root / name for name in PYTEST_CONFIG), *sorted(HERE.glob("*.py"))]:
        with contextlib.suppress(OSError):
            digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def run_key(name: str, suite: str, backend: str, dist: Path) -> str:
    """What a run's verdict depends on: the variant, the suite (suite_digest), the backend (its
    fingerprint) and the build (its folder is named by the content of the sources)."""
    return hashlib.sha256(json.dumps([name, suite, backend, str(dist)]).encode()).hexdigest()[:32]


def settled_run(key: str) -> SuiteRun | None:
    """A run kept under `key` by keep_if_settled, or None."""
    path = state_dir() / "cache" / "e2e-runs" / f"{key}.json"
    try:
        kept = json.loads(path.read_text())
        run = SuiteRun(**{**kept, "tests": [TestOutcome(**test) for test in kept["tests"]], "green_again": None})
    except (OSError, ValueError, TypeError, KeyError):
        return None
    os.utime(path)  # recently used: kept by the pruning
    return run


def keep_if_settled(key: str, run: SuiteRun, bug: Bug | None) -> None:
    """Keep a clean run that is green and a bug run that caught its bug (red, and not green when run again)."""
    caught = bool(run.broken) and run.green_again is None and not (run.problem or run.timed_out)
    settled = run.green if bug is None else caught
    if not settled:
        return
    folder = state_dir() / "cache" / "e2e-runs"
    folder.mkdir(parents=True, exist_ok=True)
    staging = folder / f"{key}.{os.getpid()}.part"
    staging.write_text(json.dumps(dataclasses.asdict(run)))
    staging.replace(folder / f"{key}.json")
    kept = sorted(folder.glob("*.json"), key=lambda path: path.stat().st_mtime, reverse=True)
    for old in kept[RUNS_KEPT:]:
        old.unlink(missing_ok=True)


@dataclass
class Results:
    clean: SuiteRun | None
    bugs: dict[str, SuiteRun]
    files: list[Path]
    seeded: dict[str, Bug] = field(default_factory=lambda: BUGS)

    def bug(self, name: str) -> SuiteRun:
        not_planted = SuiteRun(name, problem="The check did not plant this bug: your suite is not done yet.")
        return self.bugs.get(name) or not_planted


def planned_bugs(session: pytest.Session) -> list[Bug]:
    """The bugs whose checks this run selected: one check alone plants only its own bug."""
    selected = {item.originalname if hasattr(item, "originalname") else item.name for item in session.items}
    return [bug for bug in BUGS.values() if bug.check in selected]


def empty_tables(database: str) -> None:
    """Every row of the app's tables deleted (Alembic's record of the schema kept): a brand-new database."""
    with contextlib.closing(sqlite3.connect(database, timeout=30)) as connection, connection:
        tables = [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                  if name != "alembic_version" and not name.startswith("sqlite_")]
        for table in tables:
            connection.execute(f'DELETE FROM "{table}"')


@pytest.fixture(scope="session")
def e2e(request, tmp_path_factory, node, chromium, migrated_template) -> Results:
    files = suite_files(workspace())
    if not files:
        return Results(None, {}, files)
    scratch = tmp_path_factory.mktemp("e2e")
    bugs = planned_bugs(request.session)
    if any(UNWRITTEN.search(path.read_text(encoding="utf-8", errors="replace")) for path in files):
        bugs = []  # tests still skip with TODO(15): the clean run cannot be green, and bug runs would only cost time
    backend = backend_fingerprint(migrated_template)
    suite = suite_digest()
    # judged before the runs start: the check's own runs side by side load a small machine
    # as much as a busy one, and a quiet machine should run nothing twice. By the run queue of
    # this moment, not the load average, which still counts a check run that has just ended
    # (watch mode's last run): a quiet machine would run every red bug run twice
    busy = machine_factor(load=load_now()) > BUSY

    def variant(name: str, frontend: Callable[[], Path], bug: Bug | None = None) -> SuiteRun:
        try:
            dist = built_dist(frontend(), node)
        except ValueError as problem:
            return SuiteRun(name, problem=str(problem))
        except AssertionError as problem:
            if bug is None:
                raise
            return SuiteRun(name, problem=f"With this bug planted, the front end did not build: {problem}")
        key = run_key(name, suite, backend, dist)
        if (earlier := settled_run(key)) is not None:
            return earlier
        serving = keep.server(f"e2e backend {name}", keep.fingerprint(backend, dist), backend_server, probe=answers,
                              folder=str(workspace()), template=str(migrated_template or ""), dist=str(dist))
        with contextlib.ExitStack() as started:
            try:
                app, _ = started.enter_context(serving)
            except (RuntimeError, TimeoutError) as error:
                return SuiteRun(name, problem=f"Your backend (`uvicorn app.main:app`, serving the build) did not "
                                              f"start for the suite to test: {error}")
            empty_tables(app["database"])
            run = run_suite(name, app["url"], dist, chromium, scratch, bug)
            if bug is not None and busy and run.broken:
                empty_tables(app["database"])
                again = run_suite(f"{name}-again", app["url"], dist, chromium, scratch, bug)
                if again.exit_code == 0 and not again.broken and not again.timed_out:
                    run.green_again = again
            keep_if_settled(key, run, bug)
            return run

    # the clean run and the bug runs side by side: a bug run only counts when the clean run is
    # green, and waiting for it first would double the time a single check takes
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        clean = pool.submit(variant, "clean", lambda: workspace() / FRONTEND)
        runs = {bug.name: pool.submit(variant, bug.name, lambda bug=bug: bug_frontend(bug, scratch), bug)
                for bug in bugs}
        if not clean.result().green:  # planting bugs in an app whose suite is red proves nothing
            for run in runs.values():
                run.cancel()
        return Results(clean.result(), {name: SuiteRun(name, problem="not run") if run.cancelled() else run.result()
                                        for name, run in runs.items()}, files)
