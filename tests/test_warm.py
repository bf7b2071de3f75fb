"""Watch mode and %check answer from a warm process, forked per run."""

import sys
import time

import pytest

from shiplings.manifest import load_course
from shiplings.overlays import snapshot_tree, starter_tree, write_tree
from shiplings.runner import run_checks
from shiplings.warm import WarmRunner

pytestmark = pytest.mark.skipif(not WarmRunner.available(), reason="needs os.fork")
LINUX = sys.platform.startswith("linux")


@pytest.fixture
def warm():
    runner = WarmRunner()
    yield runner
    runner.close()


def test_warm_runs_see_every_save_and_stay_isolated(tiny_course, warm):
    course = load_course(tiny_course)
    lesson = course.lesson(1)
    workspace = tiny_course / "workspace"
    write_tree(starter_tree(course, lesson, tiny_course), workspace)
    assert not run_checks(course, tiny_course, lesson, workspace, warm=warm).passed
    write_tree(snapshot_tree(course, lesson, tiny_course), workspace)
    assert run_checks(course, tiny_course, lesson, workspace, warm=warm).passed
    # a learner's syntax error kills nothing: the next run still works
    (workspace / "main.py").write_text("def broken(:\n")
    assert run_checks(course, tiny_course, lesson, workspace, warm=warm).app_error["kind"] == "syntax"
    write_tree(snapshot_tree(course, lesson, tiny_course), workspace)
    assert run_checks(course, tiny_course, lesson, workspace, warm=warm).passed


def test_a_warm_run_is_fast(tiny_course, warm):
    """Not a benchmark (see benchmarks/), only a guard that the fork path is taken."""
    course = load_course(tiny_course)
    lesson = course.lesson(1)
    workspace = tiny_course / "workspace"
    write_tree(snapshot_tree(course, lesson, tiny_course), workspace)
    run_checks(course, tiny_course, lesson, workspace, warm=warm)  # starts the helper
    started = time.perf_counter()
    assert run_checks(course, tiny_course, lesson, workspace, warm=warm).passed
    assert time.perf_counter() - started < 5


@pytest.mark.skipif(not LINUX, reason="a process that leaves its session is found through /proc (Linux)")
def test_what_a_warm_run_leaves_behind_is_stopped_with_it(tiny_course, warm, tmp_path, monkeypatch):
    """A check that starts a process and forgets it, even in a session of its own."""
    import os
    import signal

    record = tmp_path / "pid"
    monkeypatch.setenv("LEFT_BEHIND", str(record))
    (tiny_course / "checks" / "01_hello" / "test_hello.py").write_text(
        "import os, pathlib, subprocess\n\n\n"
        "def test_hello():\n"
        "    sleeper = subprocess.Popen(['sleep', '60'], start_new_session=True)\n"
        "    pathlib.Path(os.environ['LEFT_BEHIND']).write_text(str(sleeper.pid))\n"
    )
    course = load_course(tiny_course)
    workspace = tiny_course / "workspace"
    write_tree(snapshot_tree(course, course.lesson(1), tiny_course), workspace)
    assert run_checks(course, tiny_course, course.lesson(1), workspace, warm=warm).passed
    sleeper = int(record.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(sleeper, 0)
        except ProcessLookupError:
            break
        if open(f"/proc/{sleeper}/stat").read().rsplit(")", 1)[1].split()[0] == "Z":
            break
        time.sleep(0.05)
    else:
        os.kill(sleeper, signal.SIGKILL)
        raise AssertionError("the process the check left behind outlived the warm run")



def test_close_lets_the_helper_leave_by_itself_before_any_signal(tmp_path):
    """The helper leaves when its stdin closes, and takes a moment to (interpreter shutdown). A
    SIGTERM sent meanwhile landed outside its handler and printed "stopped by SIGTERM" under a
    run that had gone well (`dev mutants`, `watch` on exit)."""
    import subprocess

    signals = tmp_path / "signals"
    helper = subprocess.Popen([sys.executable, "-c", f"""
import signal, sys, time
signal.signal(signal.SIGTERM, lambda *_: open({str(signals)!r}, "a").write("SIGTERM\\n"))
sys.stdin.read()
time.sleep(0.5)
"""], stdin=subprocess.PIPE, text=True, start_new_session=True)  # a group of its own, as lifeline.spawn makes
    runner = WarmRunner()
    runner.process = helper
    runner.close()
    assert helper.returncode == 0
    assert not signals.exists(), "close() signalled a helper that was already leaving"


KEPT_RECIPE = '''
import contextlib
import sys

from shiplings import lifeline


@contextlib.contextmanager
def sleeper():
    process = lifeline.spawn([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        yield process.pid
    finally:
        lifeline.stop(process)
'''

KEPT_CHECK = '''
import os
from pathlib import Path

from shiplings import keep
from kept import sleeper

RECORD = Path(os.environ["KEPT_RECORD"])


def alive(pid):
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def test_hello():
    version = (RECORD.parent / "version").read_text()
    with keep.server("sleeper", version, sleeper, probe=alive) as (pid, reused):
        with RECORD.open("a") as record:
            record.write(f"{pid} {reused}\\n")
'''


def gone(pid: int, seconds: float = 10) -> bool:
    """Whether the process has ended (a zombie counts as ended) within the time."""
    import os

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        if LINUX and open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] == "Z":
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(not LINUX, reason="whether a process has ended is read from /proc (Linux)")
def test_a_server_kept_for_warm_runs_serves_the_next_ones_and_dies_with_the_helper(tiny_course, warm, tmp_path,
                                                                                      monkeypatch):
    """shiplings.keep: the helper keeps what a run asked for, while its fingerprint holds and it answers."""
    import os

    record = tmp_path / "record"
    (tmp_path / "version").write_text("1")
    monkeypatch.setenv("KEPT_RECORD", str(record))
    (tiny_course / "checks" / "kept.py").write_text(KEPT_RECIPE)
    (tiny_course / "checks" / "01_hello" / "test_hello.py").write_text(KEPT_CHECK)
    course = load_course(tiny_course)
    lesson = course.lesson(1)
    workspace = tiny_course / "workspace"
    write_tree(snapshot_tree(course, lesson, tiny_course), workspace)

    def run() -> tuple[int, str]:
        assert run_checks(course, tiny_course, lesson, workspace, warm=warm).passed
        pid, reused = record.read_text().splitlines()[-1].split()
        return int(pid), reused

    first, reused = run()
    assert reused == "False"
    assert run() == (first, "True") and not gone(first, 0.2)  # the run that asked has ended; the server has not
    os.kill(first, 9)  # it died meanwhile: the next run's probe says so, and gets a new one
    second, reused = run()
    assert second != first and reused == "False"
    (tmp_path / "version").write_text("2")  # what it runs has changed: a new one replaces it
    third, reused = run()
    assert third != second and reused == "False" and gone(second)
    warm.close()
    assert gone(third)
