"""How fast does a learner get feedback? Prints median wall times; asserts nothing.

    .venv/bin/python benchmarks/check_speed.py [--runs 7] [--lessons 01 02 03]

Measures, on each lesson's solved workspace (snapshot(N)) in a temporary folder:
- cold:  `shiplings check N` as a learner types it (a new CLI process each time)
- warm:  one run through the warm helper process that watch mode and %check use
- warm after an edit (--edit PATH): the same, each run after a comment line is added to PATH
  (in the workspace, e.g. e2e/test_critical_path.py): a check that keeps settled verdicts by
  content (lesson 15) runs again, as after a learner's save
- save→result in watch mode: from writing a file to the report being printed
- hint: `shiplings hint N` right after a check (it reads that check's saved report)
"""

from __future__ import annotations

import argparse
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
                edited = workspace / edit
                edited.write_text(edited.read_text() + f"\n# edit {run}\n")
            started = time.perf_counter()
            assert run_checks(course, REPO, course.lesson(lesson), workspace, warm=warm).passed
            times.append(time.perf_counter() - started)
        return times
    finally:
        warm.close()


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
    parser.add_argument("--edit", metavar="PATH",
                        help="also time warm runs, each after an edit of PATH (in the workspace)")
    args = parser.parse_args()
    print(f"{'lesson':<8}{'cold check':>14}{'warm run':>12}{'save→result':>14}{'hint':>10}"
          + (f"{'warm after an edit':>20}" if args.edit else "") + f"   (medians of {args.runs})")
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
            edited = ""
            if args.edit:
                edited = f"{statistics.median(time_warm(lesson, workspace, args.runs, args.edit)):>18.2f} s"
            print(f"{lesson:<8}{cold:>12.2f} s{warm:>10.2f} s{watch:>12.2f} s{hint:>8.2f} s{edited}")


if __name__ == "__main__":
    main()
