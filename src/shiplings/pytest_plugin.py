"""The pytest plugin behind `shiplings check`: turns a pytest run into a learner's report.

Loaded with `-p shiplings.pytest_plugin` in the check subprocess. It writes one JSON
file (--shiplings-report) with an outcome per check:

- passed
- failed:   an AssertionError; its message is the check's learner-facing text
- timeout:  the check's clock stopped it (see CheckClock); says what was running, and
            whether the app was hung (no CPU used) or still busy at the ceiling
- unavailable: the check cannot run on this machine: a tool it needs (PostgreSQL, Redis)
            is not installed; the message names it and the command that installs it
- error:    anything else. If it came from the learner's code it is translated to
            file:line with the offending line ("app_error"); otherwise it is a crash of
            the check itself, which `shiplings dev check` treats as a course defect.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from types import TracebackType

import pytest

from shiplings import lifeline, services, testing
from shiplings.patience import Patience


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--shiplings-report", default=None, help="write the check report here")
    parser.addini("check_timeout", "seconds a check may take on an idle machine (more on a loaded one)",
                  default="10")
    parser.addini("check_timeout_ceiling", "how many times its timeout a check that keeps the CPU busy may take",
                  default="3")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "timeout(seconds): this check's time limit on an idle machine")
    path = config.getoption("--shiplings-report")
    if path:
        # this process is a check run: SIGTERM and SIGHUP end it as Ctrl-C does, servers stopped
        lifeline.install_handlers()
        config.stash[_REPORT] = Collector(Path(path))
        config.pluginmanager.register(config.stash[_REPORT], "shiplings-collector")


class CheckTimedOut(pytest.fail.Exception):
    """Raised into a check by its clock. A BaseException, so `except Exception:` in learner code
    cannot swallow it."""


class CheckClock:
    """The time limit of one check (setup, call and teardown), kept with SIGALRM.

    Like pytest-timeout's signal method, except that slow is not hung: at the end of its
    budget (the `timeout` marker or check_timeout, scaled to the machine's load), a check
    whose process tree is still using CPU gets more time, up to check_timeout_ceiling
    times the budget; one that used none is stopped at once as hung. The message is made
    when the clock fires, so it names what the check was doing at that moment.
    """

    AGAIN = 2.0  # seconds before firing again at a check that swallowed the first

    def __init__(self, item: pytest.Item) -> None:
        marker = item.get_closest_marker("timeout")
        seconds = float(marker.args[0]) if marker and marker.args else float(item.config.getini("check_timeout"))
        ceiling = float(item.config.getini("check_timeout_ceiling"))
        self.patience = Patience(seconds, ceiling=ceiling)
        self.verdict = None
        self.previous = signal.signal(signal.SIGALRM, self._on_alarm)
        signal.setitimer(signal.ITIMER_REAL, self.patience.next_look())

    def _on_alarm(self, number, frame) -> None:
        if self.verdict is None:
            self.verdict = self.patience.look()
            if self.verdict is None:  # still working: look again shortly
                signal.setitimer(signal.ITIMER_REAL, self.patience.next_look())
                return
        signal.setitimer(signal.ITIMER_REAL, self.AGAIN)
        raise CheckTimedOut(testing.timeout_message(self.verdict), pytrace=False)

    def stop(self) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.previous)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem):
    if not hasattr(signal, "SIGALRM"):  # Windows: only the run's own time limit applies
        return (yield)
    clock = CheckClock(item)
    try:
        return (yield)
    finally:
        clock.stop()


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """A check run ends here, promptly, whatever the learner's code left behind.

    Servers a check forgot are stopped. A thread stuck in the learner's code (a route
    sleeping forever in the thread pool) would keep the interpreter from exiting, waiting
    on it: then leave at once, the report being written already.
    """
    if not config.getoption("--shiplings-report"):
        return
    lifeline.stop_all()
    stuck = [thread for thread in threading.enumerate()
             if thread is not threading.main_thread() and thread.is_alive() and not thread.daemon]
    if stuck:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(config.stash.get(_EXIT_STATUS, 1))


_REPORT = pytest.StashKey["Collector"]()
_EXIT_STATUS = pytest.StashKey[int]()


def workspace_location(filename: str | None, workspace: Path) -> str | None:
    """filename relative to the workspace, or None when it lies outside it."""
    if not filename:
        return None
    try:
        return Path(filename).resolve().relative_to(workspace).as_posix()
    except ValueError:
        return None


def source_line(path: Path, line: int | None) -> str:
    if not line:
        return ""
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()[line - 1].rstrip()
    except (OSError, IndexError):
        return ""


def describe_learner_error(
    exc: BaseException, tb: TracebackType | None, workspace: Path
) -> dict | None:
    """file:line, the offending line and a plain message when the error is the learner's."""
    if isinstance(exc, SyntaxError) and (where := workspace_location(exc.filename, workspace)):
        return {
            "kind": "syntax",
            "file": where,
            "line": exc.lineno,
            "code": (exc.text or source_line(workspace / where, exc.lineno)).rstrip("\n"),
            "message": f"Python cannot read {where}: {exc.msg} (line {exc.lineno}).",
        }
    frames = [
        frame
        for frame in traceback.extract_tb(tb)
        if workspace_location(frame.filename, workspace)
    ]
    if not frames:
        return None
    last = frames[-1]
    where = workspace_location(last.filename, workspace)
    if isinstance(exc, ImportError):
        missing = f"`{exc.name}`" if exc.name else "a name"
        message = (
            f"{where} line {last.lineno} imports {missing}, which cannot be found: {exc}."
        )
        kind = "import"
    else:
        message = (
            f"Your code raised {type(exc).__name__}: {exc} "
            f"(in {last.name}, {where} line {last.lineno})."
        )
        kind = "crash"
    return {
        "kind": kind,
        "file": where,
        "line": last.lineno,
        "code": last.line or source_line(workspace / where, last.lineno),
        "message": message,
    }


def missing_tool(exc: BaseException | None) -> services.ServiceUnavailable | None:
    """The missing-tool error behind exc (raised, or the cause of what was raised), if any."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, services.ServiceUnavailable):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def library_of(filename: str) -> str | None:
    """The installed package a source file belongs to ("fastapi", "starlette"...), or None."""
    parts = Path(filename).parts
    if "site-packages" not in parts:
        return None
    index = parts.index("site-packages")
    return parts[index + 1].removesuffix(".py") if index + 1 < len(parts) else None


def describe_framework_error(exc: BaseException, workspace: Path) -> str | None:
    """What an exception the framework raised (no line of the learner's in its traceback) means.

    The commonest: a route returns something that is not what it declares, e.g. an
    HTTPException returned instead of raised; FastAPI then raises ResponseValidationError.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames or any(workspace_location(frame.filename, workspace) for frame in frames):
        return None
    library = library_of(frames[-1].filename)
    if library is None:  # raised by the check's own code, or by no library at all
        return None
    if type(exc).__name__ == "ResponseValidationError":
        where = workspace_location(getattr(exc, "endpoint_file", None), workspace)
        route = (f"{exc.endpoint_function}() ({where} line {exc.endpoint_line})"
                 if where and getattr(exc, "endpoint_function", None) else "the route")
        body = getattr(exc, "body", None)
        if isinstance(body, BaseException):
            return (f"{route} returned {type(body).__name__}({body}) instead of raising it. FastAPI then tried "
                    "to send that exception object as the route's answer, which is not what the route says "
                    "it returns, and answered 500 (ResponseValidationError). Only a raised exception stops "
                    "the route and becomes its status code.")
        errors = exc.errors() if callable(getattr(exc, "errors", None)) else []
        first = errors[0] if errors else {}
        problem = f": {first.get('msg', '')} at {'.'.join(str(part) for part in first.get('loc', ()))}" if first else ""
        return (f"FastAPI refused what {route} returned ({body!r:.120}{problem}). A route's answer must "
                "match the type it declares (its return annotation or response_model); when it does not, "
                "FastAPI raises ResponseValidationError, a 500 that no line of your code raised.")
    return (f"{library} raised {type(exc).__name__}: {str(exc)[:300]}. No line of your code is in its "
            f"traceback: {library} could not use something your app gave it (a return value, a setting, "
            "a response), and that became a 500.")


class Collector:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.workspace = testing.workspace()
        self.started = time.perf_counter()
        self.checks: dict[str, dict] = {}
        self.collect_errors: list[str] = []
        self.app_error: dict | None = None

    # one entry per test function, whatever phase decided it
    def _entry(self, item_or_report) -> dict:
        nodeid = item_or_report.nodeid
        file, _, test = nodeid.rpartition("::")
        return self.checks.setdefault(
            nodeid,
            {
                "test": test.split("[")[0],
                "lesson": Path(file).parent.name,
                "file": Path(file).name,
                "outcome": "passed",
                "message": "",
                "detail": "",
                "duration": 0.0,
            },
        )

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        report = yield
        entry = self._entry(item)
        entry["duration"] += call.duration
        if call.excinfo is None or entry["outcome"] != "passed":
            return report
        exc = call.excinfo.value
        text = str(report.longrepr) if report.longrepr else ""
        if isinstance(exc, pytest.skip.Exception):
            entry["outcome"] = "skipped"
            entry["message"] = str(exc.msg)
        elif isinstance(exc, CheckTimedOut):
            entry["outcome"] = "timeout"
            entry["message"] = str(exc.msg)
            entry["detail"] = text[-4000:]
        elif isinstance(exc, json.JSONDecodeError):
            # response.json() on a body that is not JSON: a fact about the app, not a crash
            action = testing.CURRENT_ACTION[-1] if testing.CURRENT_ACTION else "a request"
            entry["outcome"] = "failed"
            entry["message"] = (
                f"The check expected JSON from {action}, but your app answered {exc.doc[:200]!r}."
            ) + (self._behind_the_answer() or " An unhandled error in your code is the usual cause.")
            entry["detail"] = text[-4000:]
        elif isinstance(exc, AssertionError):
            entry["outcome"] = "failed"
            entry["message"] = str(exc).strip() + self._behind_the_answer()
            entry["detail"] = text[-4000:]
        elif missing := missing_tool(exc):
            # the learner's code was never tried: not a failure, and not a pass either
            entry["outcome"] = "unavailable"
            entry["message"] = str(missing)
        else:
            entry["outcome"] = "error"
            entry["detail"] = text[-4000:]
            learner = describe_learner_error(exc, call.excinfo.tb, self.workspace)
            if learner:
                entry["message"] = learner["message"]
                entry["app_error"] = learner
                # an app that does not import breaks every check the same way
                if learner["kind"] in ("syntax", "import") and self.app_error is None:
                    self.app_error = learner
            else:
                entry["message"] = (
                    f"The check itself crashed with {type(exc).__name__}: {exc}. "
                    "This is a bug in the course, not in your code: please report it."
                )
        return report

    @pytest.hookimpl(tryfirst=True)  # before the fixtures start the app
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        testing.APP_ERRORS.clear()
        testing.CURRENT_ACTION.clear()

    def _behind_the_answer(self) -> str:
        """Where the learner's code (or the framework, handed something by it) raised while the check ran."""
        for error in reversed(testing.APP_ERRORS):
            learner = describe_learner_error(error, error.__traceback__, self.workspace)
            if learner:
                code = f"\n        {learner['code'].strip()}" if learner.get("code") else ""
                return f"\n    Behind that answer: {learner['message']}{code}"
            if framework := describe_framework_error(error, self.workspace):
                return f"\n    Behind that answer: {framework}"
        return ""

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collect_errors.append(f"{report.nodeid}: {report.longrepr}"[-4000:])

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        session.config.stash[_EXIT_STATUS] = int(exitstatus)
        data = {
            "workspace": str(self.workspace),
            "duration": round(time.perf_counter() - self.started, 3),
            "exit_status": int(exitstatus),
            "app_error": self.app_error,
            "collect_errors": self.collect_errors,
            "checks": list(self.checks.values()),
            "pid": os.getpid(),
        }
        self.path.write_text(json.dumps(data, indent=1), encoding="utf-8")
