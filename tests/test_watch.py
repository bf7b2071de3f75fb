"""`shiplings watch` re-runs the checks when a workspace file is saved."""

import os
import subprocess
import sys
import threading
import time

from shiplings.manifest import load_course
from shiplings.overlays import snapshot_tree, starter_tree, write_tree


def test_saving_a_file_re_runs_the_checks(tiny_course):
    course = load_course(tiny_course)
    workspace = tiny_course / "workspace"
    write_tree(starter_tree(course, course.lesson(1), tiny_course), workspace)
    process = subprocess.Popen(
        [sys.executable, "-m", "shiplings", "watch", "1"],
        env={**os.environ, "COLUMNS": "200"}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    reports: list[str] = []
    seen = threading.Event()

    def read() -> None:
        for line in process.stdout:
            if "checks pass" in line:
                reports.append(line)
                seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert seen.wait(60), "watch printed no first report"
        assert reports[0].startswith("0/1")
        seen.clear()
        write_tree(snapshot_tree(course, course.lesson(1), tiny_course), workspace)
        assert seen.wait(60), "watch did not re-run after the save"
        assert "All 1 checks pass" in reports[-1]
    finally:
        process.terminate()
        process.wait(timeout=10)


class Watch:
    """`shiplings watch` in a subprocess, its output collected line by line."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "shiplings", "watch", *args],
            env={**os.environ, "COLUMNS": "200"}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.lines: list[str] = []
        self.changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            with self.changed:
                self.lines.append(line)
                self.changed.notify_all()

    def wait_for(self, text: str, after: int = 0, timeout: float = 60) -> int:
        """Index of the first line from `after` on that holds `text`."""
        def found() -> int | None:
            return next((i for i in range(after, len(self.lines)) if text in self.lines[i]), None)

        with self.changed:
            assert self.changed.wait_for(lambda: found() is not None, timeout), (
                f"watch printed no {text!r}; it printed:\n" + "".join(self.lines)
            )
            return found()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def test_watch_without_a_lesson_follows_the_current_lesson(tiny_course):
    from typer.testing import CliRunner

    from shiplings.cli import app

    CliRunner().invoke(app, ["start", "1"])
    watch = Watch()
    try:
        first = watch.wait_for("checks pass")
        assert "Lesson 01_hello" in "".join(watch.lines[:first])
        # another terminal moves on: the next save is checked against the new lesson
        result = CliRunner().invoke(app, ["start", "2"])
        assert result.exit_code == 0, result.output
        announced = watch.wait_for("current lesson is now 02_bye", after=first)
        report = watch.wait_for("checks pass", after=announced)
        assert "Lesson 02_bye" in "".join(watch.lines[announced:report])
    finally:
        watch.stop()


SLOW_AND_WRONG = '''
import time

from fastapi import FastAPI

time.sleep(4)
app = FastAPI()


@app.get("/hello")
def hello():
    return {"message": "not yet"}
'''


def test_a_result_made_out_of_date_by_a_newer_save_is_not_shown(tiny_course):
    course = load_course(tiny_course)
    workspace = tiny_course / "workspace"
    write_tree(starter_tree(course, course.lesson(1), tiny_course), workspace)
    watch = Watch("1")
    try:
        first = watch.wait_for("checks pass")
        (workspace / "main.py").write_text(SLOW_AND_WRONG)
        started = watch.wait_for("─", after=first + 1)  # the rule printed as a run starts
        time.sleep(1.5)  # the run is now importing the slow main.py
        write_tree(snapshot_tree(course, course.lesson(1), tiny_course), workspace)
        report = watch.wait_for("checks pass", after=started)
        assert "All 1 checks pass" in watch.lines[report]
        shown = "".join(watch.lines[started:report])
        assert "You saved again while the checks ran" in shown
        assert "should say hello" not in shown
    finally:
        watch.stop()


def test_only_the_path_below_the_workspace_decides_what_is_relevant(tmp_path):
    from shiplings.commands.watch import relevant_in

    workspace = tmp_path / "notebooks" / "course" / "workspace"
    relevant = relevant_in(workspace)
    assert relevant(None, str(workspace / "app" / "main.py"))
    assert not relevant(None, str(workspace / "notebooks" / "04_database.ipynb"))
    assert not relevant(None, str(workspace / ".git" / "index"))
    assert not relevant(None, str(workspace / "app" / "__pycache__" / "main.cpython-311.pyc"))
    # what a check's `npm run build` writes must not start the next run
    assert not relevant(None, str(workspace / "frontend" / "dist" / "assets" / "index-abc123.js"))
    # nor the course's own spec, which a front-end check puts into the workspace for its run
    assert not relevant(None, str(workspace / "frontend" / "src" / "__shiplings__" / "components.spec.ts"))


SLOW_BYE = '''
import time

from fastapi import FastAPI

time.sleep(3)
app = FastAPI()


@app.get("/bye")
def bye():
    return {"message": "bye"}
'''


def test_a_lesson_change_during_a_run_drops_the_old_lessons_result(tiny_course):
    from shiplings import state

    workspace = tiny_course / "workspace"
    course = load_course(tiny_course)
    write_tree(snapshot_tree(course, course.lesson(1), tiny_course), workspace)
    with state.update() as progress:
        progress.current = "01_hello"
    watch = Watch()
    try:
        first = watch.wait_for("checks pass")
        # as `start` or `next` do: the files first, the current lesson right after
        (workspace / "main.py").write_text(SLOW_BYE)
        started = watch.wait_for("─", after=first + 1)
        with state.update() as progress:
            progress.current = "02_bye"
        announced = watch.wait_for("current lesson is now 02_bye", after=started)
        report = watch.wait_for("checks pass", after=started)
        assert report > announced and "All 1 checks pass" in watch.lines[report]
        assert "Lesson 01_hello" not in "".join(watch.lines[started:report])
    finally:
        watch.stop()
