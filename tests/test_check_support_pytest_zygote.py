"""checks/support/pytest_zygote.py: a forked run is the run `python -m pytest` would be, and dies with its owner.

Lesson 15 runs the learner's suite through the zygote; a run that saw another folder, another
environment or another sys.path would test something else, and a run left behind by a stopped
check would keep a browser context busy. Each is pinned here, on suites made up here.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.usefixtures("on_the_checks_path")  # tests/conftest.py

LINUX = sys.platform.startswith("linux")


@pytest.fixture
def zygote():
    from support.pytest_zygote import zygote

    with zygote(["pytest", "httpx"]) as path:
        yield path


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return not LINUX


def wait_for(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def suite(folder: Path, body: str) -> Path:
    (folder / "e2e").mkdir(parents=True, exist_ok=True)
    (folder / "e2e" / "test_it.py").write_text(textwrap.dedent(body))
    return folder


def test_a_run_sees_its_folder_environment_and_path_as_python_m_pytest_would(zygote, tmp_path):
    from support.pytest_zygote import Run

    workspace = suite(tmp_path / "workspace", """
        import os
        import sys

        import helper


        def test_where():
            assert os.getcwd() == os.environ["EXPECTED_CWD"]
            # as `python -m pytest` has it (pytest puts the test's folder before all)
            assert sys.path.index(os.getcwd()) < sys.path.index(os.environ["PYTHONPATH"])
            assert "SHIPLINGS_SECRET" not in os.environ
            assert helper.WHERE == "plugins"
            print("ran in", os.getcwd())


        def test_fails():
            assert 1 == 2
        """)
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "helper.py").write_text('WHERE = "plugins"\n')
    env = {"PATH": os.environ["PATH"], "EXPECTED_CWD": str(workspace), "PYTHONPATH": str(plugins),
           "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    os.environ["SHIPLINGS_SECRET"] = "the zygote's own"
    try:
        run = Run(zygote, ["e2e", "-q", "-s", "-p", "no:cacheprovider"], env, workspace, tmp_path / "run.log")
        assert run.wait(timeout=60) == 1
    finally:
        del os.environ["SHIPLINGS_SECRET"]
    said = (tmp_path / "run.log").read_text()
    assert f"ran in {workspace}" in said and "1 failed, 1 passed" in said, said
    assert "assert 1 == 2" in said

    (workspace / "e2e" / "test_it.py").write_text("def test_new():\n    pass\n")  # each run reads the files anew
    run = Run(zygote, ["e2e", "-q", "-p", "no:cacheprovider"], env, workspace, tmp_path / "again.log")
    assert run.wait(timeout=60) == 0
    assert "1 passed" in (tmp_path / "again.log").read_text()


def started_run(zygote, tmp_path):
    """A run whose test starts a subprocess and then waits; (the run, the test's pid, the subprocess's pid)."""
    from support.pytest_zygote import Run

    pids = tmp_path / "pids"
    workspace = suite(tmp_path / "workspace", f"""
        import os
        import subprocess
        import sys
        import time


        def test_waits():
            child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
            open({str(pids)!r}, "w").write(f"{{os.getpid()}} {{child.pid}}")
            time.sleep(120)
        """)
    env = {"PATH": os.environ["PATH"]}
    run = Run(zygote, ["e2e", "-q", "-p", "no:cacheprovider"], env, workspace, tmp_path / "run.log")
    started = wait_for(lambda: pids.is_file() and len(pids.read_text().split()) == 2, 30)
    assert started, (tmp_path / "run.log").read_text()
    test, child = map(int, pids.read_text().split())
    return run, test, child


def test_a_run_its_owner_stops_waiting_for_is_killed_with_what_it_started(zygote, tmp_path):
    run, test, child = started_run(zygote, tmp_path)
    with pytest.raises(subprocess.TimeoutExpired):
        run.wait(timeout=0.3)
    run.stop()
    assert wait_for(lambda: not alive(test) and not alive(child)), "the run outlived its owner's stop"


def test_a_run_whose_owner_is_killed_dies_too(zygote, tmp_path):
    """The owner (a check run) killed with SIGKILL: its connection closes, and the zygote kills the run."""
    pids = tmp_path / "pids"
    suite(tmp_path / "workspace", f"""
        import os
        import time


        def test_waits():
            open({str(pids)!r}, "w").write(str(os.getpid()))
            time.sleep(120)
        """)
    owner = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(Path(__file__).resolve().parents[1] / "checks")!r})
        from pathlib import Path
        from support.pytest_zygote import Run
        run = Run({zygote!r}, ["e2e", "-q", "-p", "no:cacheprovider"], {{"PATH": "/usr/bin:/bin"}},
                    Path({str(tmp_path / "workspace")!r}), Path({str(tmp_path / "run.log")!r}))
        time.sleep(120)
        """)])
    try:
        assert wait_for(lambda: pids.is_file() and pids.read_text().strip(), 30)
        test = int(pids.read_text())
        owner.send_signal(signal.SIGKILL)
        assert wait_for(lambda: not alive(test)), "the run outlived its owner"
    finally:
        owner.kill()
        owner.wait()


def test_runs_die_with_the_zygote(tmp_path):
    from support.pytest_zygote import answers, zygote

    with zygote(["pytest"]) as path:
        run, test, child = started_run(path, tmp_path)
        assert answers(path)
    assert wait_for(lambda: not alive(test) and not alive(child)), "a run outlived its zygote"
    assert not answers(path)
    run.stop()


@pytest.mark.skipif(not LINUX, reason="the parent-death signal is Linux's")
def test_a_run_dies_with_a_zygote_killed_outright(tmp_path):
    from support.pytest_zygote import zygote

    with zygote(["pytest"]) as path:
        run, test, child = started_run(path, tmp_path)
        zygote_pid = int(Path(f"/proc/{test}/stat").read_text().rsplit(")", 1)[1].split()[1])
        os.kill(zygote_pid, signal.SIGKILL)
        try:
            assert wait_for(lambda: not alive(test)), "a run outlived its zygote"
        finally:
            # what the run started outlives a zygote killed outright: in a check run it carries
            # the run's lifeline marker, and the check's owner kills it (tests/test_lifetimes.py)
            os.kill(child, signal.SIGKILL)
            run.stop()
