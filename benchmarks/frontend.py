"""How long the front end takes to build, and how much a browser downloads. Asserts nothing.

    .venv/bin/python benchmarks/frontend.py [--lesson 12] [--runs 6]

Lays the solved app of a front-end lesson (snapshot(N), default: the last lesson with a
frontend/) into a temporary folder, puts its node_modules in place from the course's npm
cache (shiplings.npm: `npm ci` runs at most once per lock file), then times, alternating
run by run so that whatever else the machine does hits both alike:

- `npm run build`: the type check (vue-tsc) and `vite build`, in parallel, as a learner runs it
  (the first run apart: it type-checks from scratch, later runs only what changed);
- `vite build` alone: the bundling the production image does.

And it weighs dist/: every JavaScript and CSS file the page loads, raw and gzipped at
level 9 (what nginx or a CDN serves). The course's budgets: `npm run build` under 5 s on
2 cores, the gzipped bundle under 150 kB.
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from shiplings import npm
from shiplings.manifest import load_course
from shiplings.overlays import snapshot_tree, write_tree

ROOT = Path(__file__).resolve().parent.parent


def frontend_lessons() -> list[str]:
    course = load_course(ROOT)
    return [lesson.id for lesson in course.lessons
            if any(path.startswith("frontend/") for path in snapshot_tree(course, lesson, ROOT))]


def lay_out(lesson_id: str, folder: Path) -> Path:
    course = load_course(ROOT)
    lesson = next(lesson for lesson in course.lessons if lesson.id.startswith(lesson_id))
    write_tree(snapshot_tree(course, lesson, ROOT), folder)
    return folder / "frontend"


def timed(command: list[str], frontend: Path, node: npm.Node) -> float:
    started = time.perf_counter()
    finished = subprocess.run(command, cwd=frontend, env=node.env(), capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if finished.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{finished.stdout}\n{finished.stderr}")
    return seconds


def weigh(dist: Path) -> list[tuple[str, int, int]]:
    """(file, bytes, gzipped bytes) for each script and style sheet in dist/."""
    weights = []
    for path in sorted(dist.rglob("*")):
        if path.suffix in (".js", ".css") and path.is_file():
            data = path.read_bytes()
            weights.append((str(path.relative_to(dist)), len(data), len(gzip.compress(data, compresslevel=9))))
    return weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lesson", help="a front-end lesson (default: the last one)")
    parser.add_argument("--runs", type=int, default=6)
    arguments = parser.parse_args()
    lesson_id = arguments.lesson or frontend_lessons()[-1]
    node = npm.require_node()
    with tempfile.TemporaryDirectory(prefix="shiplings-frontend-bench-") as scratch:
        frontend = lay_out(lesson_id, Path(scratch))
        installed = npm.ensure_dependencies(frontend, node)
        print(f"snapshot({lesson_id}); node_modules {installed.how} in {installed.seconds:.1f} s; "
              f"Node {'.'.join(map(str, node.version))}; load {os.getloadavg()[0]:.1f}")
        vite = [node.node, str(frontend / "node_modules" / "vite" / "bin" / "vite.js"), "build"]
        full, bundling = [], []
        for _ in range(max(2, arguments.runs)):
            full.append(timed([node.npm, "run", "build"], frontend, node))
            bundling.append(timed(vite, frontend, node))
        # The first `npm run build` type-checks everything; later ones only what changed
        # (tsconfig's incremental: the .tsbuildinfo files in node_modules/.tmp).
        print(f"npm run build, first (type check from scratch): {full[0]:.2f} s")
        for name, seconds in (("npm run build", full[1:]), ("vite build", bundling)):
            print(f"{name:>14}: median {statistics.median(seconds):.2f} s "
                  f"(min {min(seconds):.2f}, max {max(seconds):.2f}, {len(seconds)} runs)")
        weights = weigh(frontend / "dist")
        for name, raw, zipped in weights:
            print(f"  {name:<40} {raw / 1000:8.1f} kB  {zipped / 1000:7.1f} kB gzipped")
        print(f"  {'total':<40} {sum(w[1] for w in weights) / 1000:8.1f} kB  "
              f"{sum(w[2] for w in weights) / 1000:7.1f} kB gzipped (budget 150 kB)")
        print(f"load after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
