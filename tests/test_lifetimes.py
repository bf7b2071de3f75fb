"""Nothing a check starts outlives it, however the check ends.

A check of a tiny course starts Redis and PostgreSQL (through the shared fixtures), the
app as a real server with two workers, and a process of its own that leaves its process
group and session; it writes down every process below it, then blocks. `shiplings check`
and `shiplings dev check` are then stopped by Ctrl-C (SIGINT to the terminal's process
group), SIGTERM and SIGKILL, and every one of those processes must be gone moments later.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from shiplings import lifeline, tools
from shiplings.manifest import load_course
from shiplings.overlays import snapshot_tree, write_tree
from shiplings.runner import run_checks

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds processes in /proc (Linux)")

BLOCKING_CHECK = '''
    import json
    import os
    import subprocess
    import time
    from pathlib import Path

    import pytest

    from shiplings import services


    def below(root):
        """Every process under root, from /proc."""
        parents = {}
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    stat = Path(f"/proc/{name}/stat").read_text()
                except OSError:
                    continue
                parents[int(name)] = int(stat.rsplit(")", 1)[1].split()[1])
        found, todo = [], [root]
        while todo:
            pid = todo.pop()
            children = [child for child, parent in parents.items() if parent == pid]
            found += children
            todo += children
        return found


    @pytest.mark.timeout(900)
    def test_hello(redis_url, postgres, workspace):
        command = ["uvicorn", "main:app", "--port", "{port}", "--workers", "2"]
        with services.app_server(command, cwd=workspace, ready_path="/hello"):
            # a process of the check's own, which leaves the run's process group and session
            subprocess.Popen(["sleep", "900"], start_new_session=True)
            time.sleep(1)  # the workers start after the master answers
            record = {"check": os.getpid(), "below": below(os.getpid())}
            Path(os.environ["LIFETIME_PIDS"], f"{os.getpid()}.json").write_text(json.dumps(record))
            time.sleep(900)
'''


def needs_servers():
    missing = [name for name in ("redis", "postgresql") if tools.find(name) is None]
    return pytest.mark.skipif(bool(missing) and not os.environ.get("CI"),
                              reason=f"not installed: {', '.join(missing)} (shiplings doctor --install)")


def alive(pid: int) -> bool:
    """Running (a zombie nobody reaped yet is dead)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def wait_for_records(folder: Path, count: int, cli: subprocess.Popen, log: Path, seconds: float = 240) -> list[dict]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        records = [json.loads(path.read_text()) for path in folder.glob("*.json")]
        if len(records) >= count:
            return records
        assert cli.poll() is None, f"the command ended before its checks were up:\n{log.read_text()[-3000:]}"
        time.sleep(0.2)
    raise AssertionError(f"the checks did not start their servers in {seconds} s:\n{log.read_text()[-3000:]}")


def gone_within(pids: list[int], seconds: float) -> list[str]:
    """The processes still alive after `seconds`, with their command lines."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.1)
    return [f"{pid}: {command_line(pid)}" for pid in pids if alive(pid)]


@needs_servers()
@pytest.mark.timeout(420)
@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM", "SIGKILL"])
@pytest.mark.parametrize("command", [["check", "01"], ["dev", "check", "01", "--no-notebooks"]],
                         ids=["check", "dev-check"])
def test_nothing_outlives_a_stopped_check(tiny_course, tmp_path, command, how):
    course = load_course(tiny_course)
    write_tree(snapshot_tree(course, course.lesson(1), tiny_course), tiny_course / "workspace")
    (tiny_course / "checks" / "01_hello" / "test_hello.py").write_text(textwrap.dedent(BLOCKING_CHECK).lstrip())
    records = tmp_path / "pids"
    records.mkdir()
    env = {**os.environ, "LIFETIME_PIDS": str(records)}
    env.pop("SHIPLINGS_NO_PRELAUNCH")  # `shiplings check 01` as a learner types it
    log = tmp_path / "output.txt"
    with open(log, "w") as output:
        # its own process group, as a shell gives a command it runs in a terminal
        cli = subprocess.Popen([sys.executable, "-m", "shiplings", *command], cwd=tiny_course, env=env,
                               stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        runs = wait_for_records(records, 2 if command[0] == "dev" else 1, cli, log)
        started = [pid for run in runs for pid in [run["check"], *run["below"]]]
        lines = " ".join(command_line(pid) for pid in started)
        for server in ("redis-server", "postgres", "uvicorn", "multiprocessing", "sleep 900"):
            assert server in lines, f"the check should have started {server}; it started: {lines}"

        if how == "SIGINT":  # Ctrl-C: the terminal signals the whole foreground process group
            os.killpg(cli.pid, signal.SIGINT)
        else:
            os.kill(cli.pid, getattr(signal, how))
        survivors = gone_within([cli.pid, *started], 20)
        assert not survivors, f"still running after {how}:\n" + "\n".join(survivors)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(cli.pid, signal.SIGKILL)
        cli.wait()


FORGETFUL_CHECK = '''
    import os
    import subprocess
    from pathlib import Path


    def test_hello():
        # started and forgotten: no fixture stops it
        sleeper = subprocess.Popen(["sleep", "900"])
        Path(os.environ["LIFETIME_PIDS"]).write_text(str(sleeper.pid))
'''


def test_a_process_a_check_forgets_is_stopped_when_the_run_ends(tiny_course, tmp_path, monkeypatch):
    course = load_course(tiny_course)
    write_tree(snapshot_tree(course, course.lesson(1), tiny_course), tiny_course / "workspace")
    (tiny_course / "checks" / "01_hello" / "test_hello.py").write_text(textwrap.dedent(FORGETFUL_CHECK).lstrip())
    record = tmp_path / "pid"
    monkeypatch.setenv("LIFETIME_PIDS", str(record))
    result = run_checks(course, tiny_course, course.lesson(1), tiny_course / "workspace")
    assert result.passed, result
    sleeper = int(record.read_text())
    assert not gone_within([sleeper], 2), f"the forgotten `sleep` ({sleeper}) outlived the run"


def test_a_child_started_from_a_thread_that_ends_lives_until_stopped():
    """The kernel's parent-death signal follows the thread that started a child: a server
    started from a pool thread (lesson 09 starts two side by side) must outlive that thread."""
    started = []
    thread = threading.Thread(target=lambda: started.append(lifeline.spawn(["sleep", "60"])))
    thread.start()
    thread.join()
    [sleeper] = started
    time.sleep(0.5)
    assert alive(sleeper.pid), "the child died with the thread that started it"
    lifeline.stop(sleeper, grace=0)
    assert not alive(sleeper.pid)


def test_a_child_dies_with_its_owner_killed_outright(tmp_path):
    """SIGKILL leaves the owner no time to clean up: the kernel and the watchdog do it."""
    record = tmp_path / "pids"
    owner = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import pathlib, subprocess, time
        from shiplings import lifeline
        server = lifeline.spawn(["sleep", "60"])
        # below the tree: one that leaves its session (found by its environment), one with
        # an empty environment (as Redis looks once it wrote its title there: found by session)
        tree = lifeline.spawn(["sh", "-c", "setsid sleep 60 & echo $! > {record}.escaped; "
                               "env -i sleep 60 & echo $! > {record}.bare; wait"], tree=True)
        while not pathlib.Path("{record}.bare").exists():
            time.sleep(0.05)
        pathlib.Path("{record}").write_text(f"{{server.pid}} {{tree.pid}}")
        time.sleep(60)
    """)])
    try:
        deadline = time.monotonic() + 30
        while not record.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        pids = [int(word) for word in record.read_text().split()]
        pids += [int(Path(f"{record}.{which}").read_text()) for which in ("escaped", "bare")]
        assert all(alive(pid) for pid in pids)
        owner.kill()
        survivors = gone_within(pids, 5)
        assert not survivors, "still running after the owner was killed:\n" + "\n".join(survivors)
    finally:
        owner.kill()
        owner.wait()


def run_python(code: str, **options) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=60, **options)


def test_after_sigterm_children_are_stopped_and_nothing_new_starts():
    finished = run_python("""
        import os, signal, time
        from shiplings import lifeline
        lifeline.install_handlers()
        sleeper = lifeline.spawn(["sleep", "60"])
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
        except lifeline.Stopping:
            print("stopping; sleeper ended:", sleeper.poll() is not None)
        try:
            lifeline.spawn(["sleep", "60"])
        except lifeline.Stopping:
            print("refused a new child")
    """)
    assert "stopping; sleeper ended: True" in finished.stdout, finished.stderr
    assert "refused a new child" in finished.stdout


def test_stopped_before_anything_could_catch_it_ends_with_one_line():
    """Ctrl-C while the CLI is still loading: no traceback for the learner."""
    finished = run_python("""
        import os, signal
        from shiplings import lifeline
        lifeline.install_handlers()
        os.kill(os.getpid(), signal.SIGINT)
    """)
    assert finished.returncode != 0
    assert "Traceback" not in finished.stderr
    assert "stopped by SIGINT" in finished.stderr


def test_processes_started_by_someone_else_die_with_a_guard():
    """A notebook kernel is started by jupyter_client, with the guard's variables."""
    with lifeline.guarded() as variables:
        sleeper = subprocess.Popen(["sleep", "60"], env={**os.environ, **variables}, start_new_session=True)
        time.sleep(0.2)
        assert alive(sleeper.pid)
    try:
        assert not gone_within([sleeper.pid], 2)
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_signal_while_python_shuts_down_prints_no_traceback():
    """SIGTERM after a command has finished, while Python waits for its threads (a closed
    terminal, a test harness stopping watch): nothing is left to stop, nothing to report."""
    finished = run_python("""
        import os, signal, threading, time
        from shiplings import lifeline
        lifeline.install_handlers()

        def late_signal():
            time.sleep(0.5)  # the main thread has returned by now: Python is shutting down
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.5)

        threading.Thread(target=late_signal).start()
    """)
    assert "Exception ignored" not in finished.stderr and "Traceback" not in finished.stderr
