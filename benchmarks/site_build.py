"""How long does the course website take to build? Prints wall and CPU times; asserts nothing.

    .venv/bin/python benchmarks/site_build.py [--runs 3]

Measures `shiplings site build` (mkdocs build --strict, in a subprocess) on this checkout:
- clean: site/build/ without its caches (rendered notebooks, diffs, highlighted code, search
  entries, compiled templates, the command reference) and the staged pages (the pinned
  mermaid.js and iframe-worker in site/build/vendor/ and the executed notebooks in
  site/build/executed/ are kept: they are downloads and dev-check runs, not build work);
- warm: a rebuild with nothing changed (what did not change comes from the caches, by content
  hash: see src/shiplings/site/cache.py).

The targets are a warm rebuild under 5 s and a clean build under 20 s on 2 cores. CPU time
(user + system of the build and its children) is printed beside wall time: on a machine
shared with other work, wall time measures the neighbours too, CPU time much less so.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from shiplings.site import build  # noqa: E402
from shiplings.site.paths import SitePaths  # noqa: E402


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_build() -> tuple[float, float]:
    cpu_before = children_cpu()
    code, seconds = build.build(REPO, strict=True)
    if code:
        raise SystemExit(f"the site did not build (exit status {code})")
    return seconds, children_cpu() - cpu_before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    paths = SitePaths(REPO)
    results: dict[str, list[tuple[float, float]]] = {"clean": [], "warm": []}
    for _ in range(runs):
        for folder in (paths.content_caches, paths.build / "staging", paths.html):
            shutil.rmtree(folder, ignore_errors=True)
        results["clean"].append(one_build())
        results["warm"].append(one_build())
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, {runs} runs each")
    for name, measured in results.items():
        wall = statistics.median(seconds for seconds, _ in measured)
        cpu = statistics.median(cpu for _, cpu in measured)
        print(f"{name:>5}: {wall:5.1f} s wall, {cpu:5.1f} s CPU (median)")
    index = paths.html / "search" / "search_index.json"
    print(f"search index: {index.stat().st_size / 1024:.0f} kB, site: "
          f"{sum(f.stat().st_size for f in paths.html.rglob('*') if f.is_file()) / 1024 / 1024:.1f} MB")
    print(f"measured at {time.strftime('%Y-%m-%d %H:%M')}")


if __name__ == "__main__":
    main()
