"""Build or serve the site: MkDocs Material on site/mkdocs.yml, in a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from shiplings.site.paths import SitePaths


def mkdocs_env() -> dict[str, str]:
    # Material prints an end-of-life banner on every build; it is not a warning about this site.
    return {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


def build(root: Path, strict: bool = True) -> tuple[int, float]:
    """Run `mkdocs build` on site/mkdocs.yml; return (exit status, seconds).

    MkDocs builds into site/build/html.next/; only a build that succeeded replaces
    site/build/html/, so a failed build never leaves a half-written or broken site where
    the last good one was (a workshop may be serving it).
    """
    paths = SitePaths(root)
    upcoming = paths.build / "html.next"
    shutil.rmtree(upcoming, ignore_errors=True)
    command = [sys.executable, "-m", "mkdocs", "build", "--clean", "-f", str(paths.config), "-d", str(upcoming)]
    if strict:
        command.append("--strict")
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=root, env=mkdocs_env(), check=False)
    if completed.returncode == 0:
        publish(upcoming, paths.html)
    else:
        shutil.rmtree(upcoming, ignore_errors=True)
    return completed.returncode, time.perf_counter() - started


def publish(upcoming: Path, html: Path) -> None:
    """Put a finished build where the site lives, in two renames."""
    retired = html.with_name(html.name + ".old")
    shutil.rmtree(retired, ignore_errors=True)
    if html.exists():
        html.rename(retired)
    upcoming.rename(html)
    shutil.rmtree(retired, ignore_errors=True)


def serve(root: Path, port: int) -> int:
    """`mkdocs serve` with live reload, also when the manifest, notebooks or overlays change."""
    paths = SitePaths(root)
    command = [sys.executable, "-m", "mkdocs", "serve", "-f", str(paths.config), "-a", f"127.0.0.1:{port}"]
    for watched in ("course.toml", "lessons", "solutions"):
        if (root / watched).exists():
            command += ["--watch", str(root / watched)]
    try:
        return subprocess.run(command, cwd=root, env=mkdocs_env(), check=False).returncode
    except KeyboardInterrupt:
        return 0
