"""`shiplings watch` re-runs the checks when a workspace file is saved."""

import os
import subprocess
import sys
import threading

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
