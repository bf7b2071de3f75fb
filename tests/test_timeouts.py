"""Slow is not hung: a correct check passes on an overloaded machine, a hung one still fails fast.

The machine is overloaded for real (`cpu_load`: two busy loops per CPU) and the budgets are
tiny, with SHIPLINGS_TIMEOUT_FACTOR=1 so that only the progress test (CPU used by the
process tree) can tell slow from hung.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shiplings import lifeline, runner
from shiplings.manifest import load_course
from shiplings.overlays import snapshot_tree, write_tree
from shiplings.patience import Patience, cgroup_cpu_quota, load_now, machine_factor
from shiplings.runner import run_checks


@pytest.fixture
def cpu_load():
    """Two busy loops per CPU for the length of the test: every process gets a fraction of one."""
    hogs = [lifeline.spawn([sys.executable, "-c", "while True: pass"]) for _ in range(2 * (os.cpu_count() or 1))]
    yield
    for hog in hogs:
        lifeline.stop(hog, grace=0)


@pytest.fixture
def exact_budgets(monkeypatch):
    """Budgets as written: the machine's load does not stretch them, only progress does."""
    monkeypatch.setenv("SHIPLINGS_TIMEOUT_FACTOR", "1")


# --- the policy ---------------------------------------------------------------------------

def test_the_budget_grows_with_load_per_cpu_and_a_small_quota(monkeypatch):
    monkeypatch.delenv("SHIPLINGS_TIMEOUT_FACTOR", raising=False)
    assert machine_factor(load=0.5, cpus=2, quota=None) == 1.0  # idle: as written
    assert machine_factor(load=10, cpus=2, quota=None) == 5.0  # five runnable tasks per CPU
    assert machine_factor(load=0.2, cpus=8, quota=0.5) == 2.0  # half a CPU: twice as long
    assert machine_factor(load=400, cpus=2, quota=None) == 10.0  # bounded
    monkeypatch.setenv("SHIPLINGS_TIMEOUT_FACTOR", "3")
    assert machine_factor(load=0, cpus=2, quota=None) == 3.0


def test_the_load_of_this_moment_counts_the_processes_that_want_a_cpu_now(tmp_path, cpu_load):
    # two busy loops per CPU, as a shared machine under load has them
    if load_now() is None:
        pytest.skip("the kernel here has no /proc/stat")
    assert load_now() >= (os.cpu_count() or 1)
    stat = tmp_path / "stat"
    stat.write_text("cpu  1 2 3 4\nprocs_running 5\nprocs_blocked 0\n")
    assert load_now(samples=2, stat=stat) == 4.0  # the asking process is not counted
    assert load_now(stat=tmp_path / "missing") is None  # macOS: the load average decides instead


def test_the_cgroup_quota_is_read(tmp_path):
    (tmp_path / "cpu.max").write_text("50000 100000\n")
    assert cgroup_cpu_quota(tmp_path) == 0.5
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert cgroup_cpu_quota(tmp_path) is None
    assert cgroup_cpu_quota(tmp_path / "nowhere") is None


def wait_for(process: subprocess.Popen, patience: Patience):
    while True:
        if verdict := patience.look():
            return verdict
        time.sleep(0.05)


def test_a_sleeping_process_is_hung_at_its_budget_and_a_busy_one_busy_at_the_ceiling():
    sleeping = lifeline.spawn([sys.executable, "-c", "import time; time.sleep(60)"])
    busy = lifeline.spawn([sys.executable, "-c", "while True: pass"])
    try:
        started = time.monotonic()
        verdict = wait_for(sleeping, Patience(1.5, pid=sleeping.pid, ceiling=4, factor=1))
        assert verdict.kind == "hung" and time.monotonic() - started < 3
        assert "used no CPU" in verdict.explain()
        started = time.monotonic()
        verdict = wait_for(busy, Patience(1.5, pid=busy.pid, ceiling=4, factor=1))
        assert verdict.kind == "busy" and 5.5 < time.monotonic() - started < 9
    finally:
        lifeline.stop(sleeping, grace=0)
        lifeline.stop(busy, grace=0)


# --- a check's own time limit -------------------------------------------------------------

def lesson_one(course_root: Path, route: str, timeout: float, ceiling: float) -> Path:
    """Lesson 01's workspace with GET /hello as given, and the checks' time limits set."""
    ini = course_root / "checks" / "pytest.ini"
    ini.write_text(ini.read_text().replace("check_timeout = 10", f"check_timeout = {timeout}")
                   .replace("check_timeout_ceiling = 3", f"check_timeout_ceiling = {ceiling}"))
    course = load_course(course_root)
    workspace = course_root / "workspace"
    write_tree(snapshot_tree(course, course.lesson(1), course_root), workspace)
    (workspace / "main.py").write_text(
        "import time\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get('/hello')\n" + route
    )
    return workspace


def check(course_root: Path, workspace: Path):
    course = load_course(course_root)
    return run_checks(course, course_root, course.lesson(1), workspace)


SLOW_BUT_CORRECT = """async def hello():
    # a second of real work: several seconds on this overloaded machine
    started = time.process_time()
    while time.process_time() - started < 1.0:
        pass
    return {"message": "hello"}
"""


def test_a_correct_but_slow_check_passes_on_an_overloaded_machine(tiny_course, cpu_load, exact_budgets):
    workspace = lesson_one(tiny_course, SLOW_BUT_CORRECT, timeout=1, ceiling=60)
    result = check(tiny_course, workspace)
    assert result.passed, result.checks[0].message
    # the machine really was too slow for the limit as written
    assert result.checks[0].duration > 1


def test_a_hung_check_fails_fast_saying_it_waits_on_something(tiny_course, cpu_load, exact_budgets):
    workspace = lesson_one(tiny_course, "async def hello():\n    time.sleep(1000)\n", timeout=1, ceiling=60)
    result = check(tiny_course, workspace)
    [outcome] = result.checks
    assert outcome.outcome == "timeout"
    assert "did not answer within" in outcome.message and "GET /hello" in outcome.message
    assert "used no CPU" in outcome.message and "waiting on something" in outcome.message
    assert result.duration < 20


def test_an_endless_loop_fails_at_the_ceiling_saying_it_is_busy(tiny_course, cpu_load, exact_budgets):
    workspace = lesson_one(tiny_course, "async def hello():\n    while True:\n        pass\n", timeout=1, ceiling=4)
    result = check(tiny_course, workspace)
    [outcome] = result.checks
    assert outcome.outcome == "timeout"
    assert "still busy after" in outcome.message and "GET /hello" in outcome.message
    assert "endless loop" in outcome.message
    assert 4 <= outcome.duration < 15


def test_a_route_stuck_in_a_worker_thread_does_not_keep_the_run_from_ending(tiny_course, exact_budgets):
    # a plain `def` route runs in the thread pool: the thread stays stuck after the check
    # failed, and Python waits for such threads before it exits
    workspace = lesson_one(tiny_course, "def hello():\n    time.sleep(1000)\n", timeout=1, ceiling=3)
    result = check(tiny_course, workspace)
    [outcome] = result.checks
    assert outcome.outcome == "timeout" and "used no CPU" in outcome.message
    assert not result.problem
    assert result.duration < 20


def test_a_run_hung_outside_any_check_is_stopped_and_says_so(tiny_course, exact_budgets, monkeypatch):
    workspace = lesson_one(tiny_course, "def hello():\n    return {'message': 'hello'}\n", timeout=1, ceiling=3)
    # collecting the checks hangs: no check's clock runs yet
    (tiny_course / "checks" / "01_hello" / "conftest.py").write_text("import time\ntime.sleep(1000)\n")
    monkeypatch.setattr(runner, "RUN_TIMEOUT", 2)
    started = time.monotonic()
    result = check(tiny_course, workspace)
    # 2 s, give or take the last look on a busy machine
    assert re.search(r"did not finish within [23] s", result.problem) and "used no CPU" in result.problem
    assert time.monotonic() - started < 20
