"""How fast does a learner get feedback? Prints median wall times; asserts nothing.

    .venv/bin/python benchmarks/check_speed.py [--runs 7] [--lessons 01 02 03]

Measures, on each lesson's solved workspace (snapshot(N)) in a temporary folder:
- cold:  `shiplings check N` as a learner types it (a new CLI process each time)
- warm:  one run through the warm helper process that watch mode and %check use
- warm after an edit (--edit PATH or PATH::FUNCTION, repeatable): the same, each run after an
  edit in the workspace, as after a learner's save: a comment line added to PATH, or a
  statement added to FUNCTION's body (e.g. e2e/test_critical_path.py::test_a_wrong_password_says_so).
  A check that keeps verdicts by content (lesson 15) runs what the edit touches: nothing for a
  comment, that test and the bugs it caught for a test's body
- save→result in watch mode: from writing a file to the report being printed
- hint: `shiplings hint N` right after a check (it reads that check's saved report)
"""

from __future__ import annotations

import argparse
import ast
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def materialize(lesson: str, folder: Path) -> None:
    subprocess.run([sys.executable, "-m", "shiplings", "dev", "snapshot", lesson, "--out", str(folder)],
                   check=True, capture_output=True, cwd=REPO)


def time_command(command: list[str], env: dict[str, str], runs: int, solved: bytes) -> list[float]:
    """Wall times of `shiplings <command>` as a learner types it; its output must say `solved`."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = subprocess.run([str(REPO / ".venv/bin/shiplings"), *command], env=env, capture_output=True, cwd=REPO)
        times.append(time.perf_counter() - started)
        if solved not in result.stdout:
            raise SystemExit(f"`shiplings {' '.join(command)}` on its own solution said:\n{result.stdout.decode()}")
    return times


def time_warm(lesson: str, workspace: Path, runs: int, edit: str | None = None) -> list[float]:
    os.environ["SHIPLINGS_WORKSPACE"] = str(workspace)
    os.environ["SHIPLINGS_STATE"] = str(workspace.parent / "state")
    from shiplings.manifest import load_course
    from shiplings.runner import run_checks
    from shiplings.warm import WarmRunner

    course = load_course(REPO)
    warm = WarmRunner()
    try:
        run_checks(course, REPO, course.lesson(lesson), workspace, warm=warm)  # start-up, not measured
        times = []
        for run in range(runs):
            if edit:
                make_edit(workspace, edit, run)
            started = time.perf_counter()
            assert run_checks(course, REPO, course.lesson(lesson), workspace, warm=warm).passed
            times.append(time.perf_counter() - started)
        return times
    finally:
        warm.close()


def make_edit(workspace: Path, edit: str, run: int) -> None:
    """A comment line added to the file, or a statement to the end of the function's body."""
    path, _, function = edit.partition("::")
    edited = workspace / path
    text = edited.read_text()
    if not function:
        edited.write_text(text + f"\n# edit {run}\n")
        return
    node = next((node for node in ast.parse(text).body if getattr(node, "name", None) == function), None)
    if node is None:
        raise SystemExit(f"--edit {edit}: there is no function {function} in {path}")
    lines = text.splitlines(keepends=True)
    lines.insert(node.end_lineno, f"    assert {run} == {run}  # edit {run}\n")
    edited.write_text("".join(lines))


def time_watch(lesson: str, env: dict[str, str], workspace: Path, runs: int) -> list[float]:
    """Start `shiplings watch`, then touch a file and wait for the next report."""
    process = subprocess.Popen([str(REPO / ".venv/bin/shiplings"), "watch", lesson],
                               env={**env, "COLUMNS": "200"}, stdout=subprocess.PIPE, text=True, cwd=REPO)
    target = next(p for p in sorted(workspace.rglob("*.py")) if "notebooks" not in p.parts)
    times = []
    try:
        _wait_for_report(process)
        for _ in range(runs):
            time.sleep(0.5)
            started = time.perf_counter()
            target.write_text(target.read_text() + "\n")
            _wait_for_report(process)
            times.append(time.perf_counter() - started)
    finally:
        process.terminate()
        process.wait(timeout=10)
    return times


def _wait_for_report(process: subprocess.Popen) -> None:
    for line in process.stdout:
        if "checks pass" in line:
            return
    raise SystemExit("watch stopped before printing a report")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--lessons", nargs="*", default=["01", "02", "03"])
    parser.add_argument("--edit", metavar="PATH[::FUNCTION]", action="append", default=[],
                        help="also time warm runs, each after an edit of PATH, or of FUNCTION in it (in the workspace)")
    args = parser.parse_args()
    print(f"{'lesson':<8}{'cold check':>14}{'warm run':>12}{'save→result':>14}{'hint':>10}   (medians of {args.runs})")
    for lesson in args.lessons:
        with tempfile.TemporaryDirectory() as scratch:
            workspace = Path(scratch) / "workspace"
            materialize(lesson, workspace)
            env = {**os.environ, "SHIPLINGS_WORKSPACE": str(workspace),
                   "SHIPLINGS_STATE": str(Path(scratch) / "state")}
            cold = statistics.median(time_command(["check", lesson], env, args.runs, b"Well done"))
            # the cold checks saved their report: hint reads it
            hint = statistics.median(time_command(["hint", lesson], env, args.runs, b"no hint needed"))
            warm = statistics.median(time_warm(lesson, workspace, args.runs))
            watch = statistics.median(time_watch(lesson, env, workspace, max(3, args.runs // 2)))
            print(f"{lesson:<8}{cold:>12.2f} s{warm:>10.2f} s{watch:>12.2f} s{hint:>8.2f} s", flush=True)
            for edit in args.edit:
                times = time_warm(lesson, workspace, args.runs, edit)
                print(f"{'':<8}warm after an edit of {edit}: {statistics.median(times):.2f} s "
                      f"({', '.join(f'{time:.2f}' for time in times)})", flush=True)


if __name__ == "__main__":
    main()
