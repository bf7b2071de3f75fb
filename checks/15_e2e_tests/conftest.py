"""Lesson 15 runs the learner's own end-to-end suite (e2e/), on their app and on seeded bugs.

Like lesson 06 does for the backend, a suite proves itself by failing on a broken app.
Each bug of BUGS is a small edit of the learner's frontend/src that a real team could ship;
the backend is the same for all of them. `e2e_runs` starts with the check run's first test
(the check's own axe scan runs meanwhile) and plans what the selected checks need, then, for
the app and for each bug (a variant):

- builds the learner's front end (support/spa.py's cache, by content: a second run builds
  nothing), a bug's variant in a scratch copy of frontend/ that borrows the workspace's
  node_modules;
- starts the learner's backend serving that build (support/stack.py's backend_server, on a
  database migrated as their e2e/conftest.py migrates one), kept by the warm helper from one
  check run to the next while the backend and the build stay the same (shiplings.keep), its
  tables emptied before each run: every run starts on a brand-new database, as theirs does;
- runs `pytest e2e` in the workspace, as the learner does, with E2E_APP_URL naming that
  backend (e2e/conftest.py then tests it instead of starting one) and E2E_CDP_URL the check's
  Chromium (e2e_browser.py connects to it instead of launching one), each run a fork of a
  process that has imported pytest, Playwright and the suite's libraries once
  (support/pytest_zygote.py): what a run costs is then the learner's tests, not three
  servers' start and a second of imports. The variants side by side (four at a time),
  each bug run stopping at the first failure (-x), the test that caught the bug last time
  first, then its likely tests (e2e_select.py);
- on a busy machine, runs a bug run that failed once more: a browser suite can fail for the
  machine's slowness alone, and such a failure is not a catch. Only red twice counts;
- reads each run's JUnit XML report into a SuiteRun.

What settles a check is kept (support/verdicts.py), test by test (support/suite_keys.py): a
test's pass on the app, by the test's own function and everything it shares with the others
(the rest of e2e/, pytest's configuration, the check's own files), the backend and the build;
a bug's catch, by the same and the function of the test that caught it. After an edit of one
test, only that test runs on the app, and only the bugs it had caught (or that no test
caught) are planted again; an edit of a helper, a fixture or the app runs everything. A
failure is never kept: the learner is at work on it, and it can come from timing. That
takes tests that do not depend on each other, as the lesson writes them (each test signs up
its own users).

Nothing here raises for something the learner did: every problem ends up in the results,
and the checks turn it into a message.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from shiplings import keep, lifeline
from shiplings.patience import load_now, machine_factor
from shiplings.testing import FRONTEND, workspace
from support import pytest_zygote, spa, verdicts
from support.spa import built_dist
from support.stack import answers, backend_fingerprint, backend_server
from support.suite_keys import SuiteKeys, suite_keys, test_id

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
               "-p", "e2e_browser", "-p", "e2e_select", "-p", "no:cacheprovider", "-q", "-rN", "--color=no"]
# a test the learner has not written yet (the starter's pytest.skip("TODO(15): ..."))
UNWRITTEN = re.compile(r"skip\(\s*[\"']" + re.escape(TODO))
# what a scratch copy of frontend/ leaves out: node_modules (linked instead) and the folders
# another run may be installing it in meanwhile (shiplings.npm), build output, caches
NOT_COPIED = shutil.ignore_patterns("node_modules", ".node_modules.*", "dist", ".vite", "coverage", "__shiplings__")
# the verdicts kept (support/verdicts.py): a test's pass on the app, a bug's catch
KIND = "e2e-runs"
# pytest's exit code when no test was left to run: every test's verdict was kept
NOTHING_LEFT = 5
# set when the check run ends: a run of the suite still going stops
STOPPING = threading.Event()
# what `pytest e2e` imports before the learner's first test (theirs as the lesson starts it),
# imported once by the zygote that forks the runs (support/pytest_zygote.py)
PRELOAD = ("pytest", "_pytest.python", "_pytest.junitxml", "pytest_playwright.pytest_playwright", "playwright.sync_api",
           "anyio.pytest_plugin", "pytest_timeout", "httpx", "sqlalchemy", "alembic.command", "alembic.config",
           "axe_playwright_python.sync_playwright")
# what pytest reads at the workspace's root besides the suite itself
PYTEST_CONFIG = ("pytest.ini", "pyproject.toml", "setup.cfg", "tox.ini", "conftest.py")


@dataclass(frozen=True)
class Bug:
    name: str
    check: str  # the check that reports whether the suite caught it
    what: str  # what a user of the broken app sees, in the learner's words
    edits: tuple[tuple[str, str, str], ...]  # (file under frontend/, exact text, replacement)
    likely: str = ""  # words of the names of the tests likely to meet it: they run first (e2e_select.py)


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


def run_suite(name: str, app_url: str, dist: Path, chromium: str, scratch: Path, bug: Bug | None = None,
              skip: Iterable[str] = (), first: str = "", zygote: str | None = None) -> SuiteRun:
    """`pytest e2e` in the workspace against the app at `app_url` (serving `dist`), on the Chromium at
    `chromium`, without the tests of `skip` (ids), `first` first, forked by the zygote at `zygote`
    (support/pytest_zygote.py) or else a new process; its SuiteRun."""
    if STOPPING.is_set():
        return SuiteRun(name, problem="The check run ended before this run of the suite started.")
    report = scratch / f"{name}.xml"
    log_path = scratch / f"{name}.log"
    args = [SUITE, *PYTEST_ARGS, f"--junitxml={report}", "--output", str(scratch / f"{name}-artifacts")]
    env = environment(app_url, dist, chromium)
    env.update(E2E_SKIP="\n".join(skip))
    if bug is not None:  # a bug is caught by its first failure: the likely tests first, then stop
        args.append("-x")
        env.update(E2E_FIRST=bug.likely, E2E_FIRST_TEST=first)
    started = time.monotonic()
    result = SuiteRun(name)
    with open(log_path, "w") as log:
        process = None
        if zygote:
            # what the run starts (Playwright's driver) carries this check run's lifeline marker:
            # it dies with the check run even if the zygote is killed outright
            marked = {**env, lifeline.MARKER: os.environ.get(lifeline.MARKER, "")}
            with contextlib.suppress(OSError):  # a zygote gone meanwhile: a process of its own
                process = pytest_zygote.Run(zygote, args, marked, workspace(), log_path)
        if process is None:
            # through lifeline, as a tree: a check run stopped outright takes Playwright's driver along
            process = lifeline.spawn([sys.executable, "-m", "pytest", *args], tree=True, stop_signal=signal.SIGINT,
                                     cwd=workspace(), env=env, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        deadline = started + RUN_TIMEOUT * machine_factor()
        try:
            while result.exit_code is None and not STOPPING.is_set():
                try:
                    result.exit_code = process.wait(timeout=0.2)
                except subprocess.TimeoutExpired:
                    if time.monotonic() > deadline:
                        result.timed_out = True
                        break
        finally:
            if isinstance(process, pytest_zygote.Run):
                process.stop()
            else:
                lifeline.stop(process)
    if STOPPING.is_set() and result.exit_code is None:
        result.problem = "The check run ended before this run of the suite did."
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


def keys_now() -> SuiteKeys:
    """What the suite's runs read, split by test (support/suite_keys.py): e2e/, and in `shared`
    pytest's configuration files, the check's own files and Playwright's version."""
    from importlib.metadata import version

    root = workspace()
    return suite_keys(root, SUITE, also=[*(root / name for name in PYTEST_CONFIG), *sorted(HERE.glob("*.py"))],
                      salt=version("playwright"))


def run_key(name: str, shared: str, backend: str, dist: Path) -> str:
    """What every verdict of a variant depends on: the variant, the suite's shared part
    (SuiteKeys.shared), the backend (its fingerprint) and the build (its folder is named by the
    content of the sources)."""
    return verdicts.digest(name, shared, backend, dist)


def pass_record(base: str, test: str, key: str) -> str:
    return "test-" + verdicts.digest(base, test, key)


def kept_passes(base: str, keys: SuiteKeys) -> dict[str, list[TestOutcome]]:
    """The tests (by id) that passed on this variant in an earlier run, with the same key: their outcomes."""
    kept = {}
    for test, key in keys.tests.items():
        outcomes = verdicts.read(KIND, pass_record(base, test, key))
        with contextlib.suppress(TypeError):
            if outcomes:
                kept[test] = [TestOutcome(**outcome) for outcome in outcomes]
    return kept


def nothing_else_runs(base: str) -> bool:
    """Whether the last complete run of this variant found no test without a key of its own (a Test class's)."""
    return verdicts.read(KIND, f"suite-{base}") == {"others": False}


def keep_passes(base: str, keys: SuiteKeys, run: SuiteRun) -> None:
    """Keep each test of the run that passed (with all its parameters), by its key; and whether
    the run found tests without a key."""
    if run.timed_out or run.problem or run.exit_code not in (0, 1, NOTHING_LEFT):
        return  # a run that did not end on its own may not have reported every test
    ran = {test_id(test.name) for test in run.tests}
    verdicts.write(KIND, f"suite-{base}", {"others": bool(ran - keys.tests.keys())})
    for test in sorted(ran & keys.tests.keys()):
        outcomes = [outcome for outcome in run.tests if test_id(outcome.name) == test]
        if all(outcome.outcome == "passed" for outcome in outcomes):
            verdicts.write(KIND, pass_record(base, test, keys.tests[test]),
                           [dataclasses.asdict(outcome) for outcome in outcomes])


def with_kept(run: SuiteRun, kept: dict[str, list[TestOutcome]]) -> SuiteRun:
    """The run of the tests not kept, as if it had run the kept ones too."""
    if not kept:
        return run
    exit_code = 0 if run.exit_code == NOTHING_LEFT else run.exit_code
    return dataclasses.replace(run, exit_code=exit_code,
                               tests=[*(test for tests in kept.values() for test in tests), *run.tests])


def kept_catch(base: str, keys: SuiteKeys) -> tuple[SuiteRun | None, str]:
    """The run that caught this variant's bug, kept while the test that caught it is unchanged;
    and that test's id (to run it first when it changed)."""
    record = verdicts.read(KIND, f"bug-{base}")
    try:
        catcher, key, kept = record["catcher"], record["key"], record["run"]
        run = SuiteRun(**{**kept, "tests": [TestOutcome(**test) for test in kept["tests"]], "green_again": None})
    except (TypeError, KeyError):
        return None, ""
    return (run if keys.of(catcher) == key else None), catcher


def keep_if_caught(base: str, keys: SuiteKeys, run: SuiteRun) -> None:
    """Keep a bug run that caught its bug (red, and not green when run again), by the key of the test that failed."""
    if run.broken and run.green_again is None and not (run.problem or run.timed_out):
        catcher = test_id(run.broken[0].name)
        verdicts.write(KIND, f"bug-{base}",
                       {"catcher": catcher, "key": keys.of(catcher), "run": dataclasses.asdict(run)})


class Zygote:
    """The zygote that forks this check run's runs of the suite, started (or found kept) when the
    first run needs it: a check run whose verdicts were all kept starts none."""

    def __init__(self, held: contextlib.ExitStack) -> None:
        self.held = held
        self.lock = threading.Lock()
        self.found: list[str | None] = []

    def path(self) -> str | None:
        from importlib.metadata import version

        with self.lock:
            if not self.found:
                versions = [version(name) for name in ("pytest", "playwright", "pytest-playwright", "httpx", "alembic",
                                                        "sqlalchemy", "axe-playwright-python")]
                try:
                    path, _ = self.held.enter_context(keep.server(
                        "e2e pytest zygote", keep.fingerprint(sys.executable, PRELOAD, versions,
                                                              files=[Path(pytest_zygote.__file__)]),
                        pytest_zygote.zygote, probe=pytest_zygote.answers, preload=list(PRELOAD)))
                except (RuntimeError, OSError, TimeoutError):
                    path = None  # each run a process of its own, as without a zygote
                self.found.append(path)
            return self.found[0]


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
def e2e(e2e_runs: Future[Results]) -> Results:
    return e2e_runs.result()


@pytest.fixture(scope="session", autouse=True)
def e2e_head_start(request) -> None:
    """The suite's runs start with the check run's first test, whichever it is: the checks that
    need no run (the axe scan, the look for sleeps) take their time while the runs take theirs."""
    if any("e2e" in getattr(item, "fixturenames", ()) for item in request.session.items):
        # without Node or Chromium, the checks that ask for the runs say "cannot run" (pytest
        # keeps the error for them), not the first test, which may need neither
        with contextlib.suppress(Exception):
            request.getfixturevalue("e2e_runs")


@pytest.fixture(scope="session")
def e2e_runs(request, tmp_path_factory, node, chromium, migrated_template) -> Iterator[Future[Results]]:
    """all_runs, in a thread of its own; a check run that ends first (Ctrl-C, a timeout) stops them."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        try:
            yield thread.submit(all_runs, request.session, tmp_path_factory, node, chromium, migrated_template)
        finally:
            STOPPING.set()


def all_runs(session: pytest.Session, tmp_path_factory, node, chromium: str, migrated_template) -> Results:
    files = suite_files(workspace())
    if not files:
        return Results(None, {}, files)
    scratch = tmp_path_factory.mktemp("e2e")
    bugs = planned_bugs(session)
    if any(UNWRITTEN.search(path.read_text(encoding="utf-8", errors="replace")) for path in files):
        bugs = []  # tests still skip with TODO(15): the clean run cannot be green, and bug runs would only cost time
    backend = backend_fingerprint(migrated_template)
    keys = keys_now()
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
        base = run_key(name, keys.shared, backend, dist)
        kept, first = {}, ""
        if bug is None:
            kept = kept_passes(base, keys)
            if kept.keys() == keys.tests.keys() and nothing_else_runs(base):
                return with_kept(SuiteRun(name, exit_code=NOTHING_LEFT), kept)
        else:
            caught, first = kept_catch(base, keys)
            if caught is not None:
                return caught
        serving = keep.server(f"e2e backend {name}", keep.fingerprint(backend, dist), backend_server, probe=answers,
                              folder=str(workspace()), template=str(migrated_template or ""), dist=str(dist))
        with contextlib.ExitStack() as started:
            try:
                app, _ = started.enter_context(serving)
            except (RuntimeError, TimeoutError) as error:
                return SuiteRun(name, problem=f"Your backend (`uvicorn app.main:app`, serving the build) did not "
                                              f"start for the suite to test: {error}")
            empty_tables(app["database"])
            if bug is None:
                run = run_suite(name, app["url"], dist, chromium, scratch, skip=sorted(kept), zygote=zygote.path())
                keep_passes(base, keys, run)
                return with_kept(run, kept)
            run = run_suite(name, app["url"], dist, chromium, scratch, bug, first=first, zygote=zygote.path())
            if busy and run.broken:
                empty_tables(app["database"])
                again = run_suite(f"{name}-again", app["url"], dist, chromium, scratch, bug, first=first,
                                  zygote=zygote.path())
                if again.exit_code == 0 and not again.broken and not again.timed_out:
                    run.green_again = again
            keep_if_caught(base, keys, run)
            return run

    # the clean run and the bug runs side by side: a bug run only counts when the clean run is
    # green, and waiting for it first would double the time a single check takes
    with contextlib.ExitStack() as held, ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        zygote = Zygote(held)
        clean = pool.submit(variant, "clean", lambda: workspace() / FRONTEND)
        runs = {bug.name: pool.submit(variant, bug.name, lambda bug=bug: bug_frontend(bug, scratch), bug)
                for bug in bugs}
        if not clean.result().green:  # planting bugs in an app whose suite is red proves nothing
            for run in runs.values():
                run.cancel()
        return Results(clean.result(), {name: SuiteRun(name, problem="not run") if run.cancelled() else run.result()
                                        for name, run in runs.items()}, files)
