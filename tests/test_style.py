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
