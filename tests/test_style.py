"""The code the course ships is linted like the engine: learners read it."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_ruff_finds_nothing():
    result = subprocess.run(
        # --no-cache: a stale cache once hid an import-order change that only a clean clone saw
        [sys.executable, "-m", "ruff", "check", "--no-cache",
         "src", "tests", "checks", "solutions", "benchmarks", "site"],
        cwd=REPO, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_notebook_code_has_no_unused_or_undefined_names():
    """Notebooks are linted for names and import order only: their cells are prose-sized
    experiments, and F704 is IPython's top-level await, which the notebook runs fine."""
    notebooks = sorted(str(path.relative_to(REPO)) for path in REPO.glob("lessons/*/lesson.ipynb"))
    assert notebooks, "no lesson notebook found"
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "F,I", "--ignore", "F704", *notebooks],
        cwd=REPO, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
