"""Lesson 06 runs the learner's own test suite, on their app and on seeded bugs.

`suite` (once per check run) copies the workspace once per run, puts a development
database (tasks.db, migrated, empty) in each copy, and has suite_runner.py run the
learner's pytest in every copy: once as it is ("clean"), then once per bug of
seeded_bugs.py (only when the clean run is green). It returns a SuiteResult per run.

Nothing here raises for something the learner did: every problem ends up in the results,
and the checks turn it into a message.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from shiplings import testing
from shiplings.patience import machine_factor

HERE = Path(__file__).resolve().parent
TODO = "TODO(06)"
# how long one run of the learner's suite may take on an idle machine before it is stopped
# (longer on a loaded one, and while it still uses CPU: see shiplings.patience)
RUN_TIMEOUT = 60
# what the copies leave out: environments, caches, the notebooks' folder, databases, .env
IGNORED = shutil.ignore_patterns(
    ".venv", "venv", "node_modules", ".git", "notebooks", "__pycache__", ".pytest_cache",
    ".ipynb_checkpoints", ".mypy_cache", ".ruff_cache", "*.db", "*.db-journal", "*.db-wal",
    "*.db-shm", ".env",
)
# pytest as the learner runs it, minus plugin auto-loading (the plugins are named instead)
PYTEST_ARGS = ["-p", "anyio.pytest_plugin", "-p", "pytest_timeout", "-p", "no:cacheprovider", "-q", "-rN"]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"shiplings_06_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


runner = _load("suite_runner")
bugs = _load("seeded_bugs")


@dataclass
class Suite:
    """The results of every run, and what the check needs to judge them."""

    runs: dict  # name -> suite_runner.SuiteResult
    dev_database: Path | None
    dev_database_before: str

    @property
    def clean(self):
        return self.runs["clean"]

    def bug(self, name: str):
        return bugs.BUGS[name]

    def dev_database_now(self) -> str:
        return _digest(self.dev_database) if self.dev_database else ""


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "(no file)"


def _readable(text: str, copy: str) -> str:
    """Paths relative to the workspace, as the learner knows them, and pytest-timeout in words.

    (pytest-timeout's own wording, "Timeout (>Ns)", in a check's message would make the
    check runner report the check itself as timed out.)
    """
    text = text.replace(copy, "")
    text = re.sub(r"Failed: Timeout \(>([\d.]+)s\) from pytest-timeout\.?",
                  r"still running after \1 s, stopped by pytest-timeout", text)
    return text.replace("Timeout (>", "Timeout (over ")


def _environment() -> dict[str, str]:
    """The learner's shell, as far as a test suite should see it: no TASKS_ variables."""
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("TASKS_", "SHIPLINGS_", "PYTEST_", "COV_CORE_"))
    }
    env.update(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1")
    return env


@pytest.fixture(scope="session")
def suite(tmp_path_factory, migrated_template) -> Suite:
    workspace = testing.workspace()
    scratch = tmp_path_factory.mktemp("suite")
    runs = []
    for name in ["clean", *bugs.BUGS]:
        copy = scratch / name
        shutil.copytree(workspace, copy, ignore=IGNORED, symlinks=True)
        testing.copy_template(migrated_template, copy / "tasks.db")
        runs.append({
            "name": name,
            "bug": None if name == "clean" else name,
            "cwd": str(copy),
            "report": str(scratch / f"{name}.json"),
            "log": str(scratch / f"{name}.log"),
            "network_log": str(scratch / f"{name}.hosts"),
        })
    dev_database = scratch / "clean" / "tasks.db"
    before = _digest(dev_database)
    spec = {
        "runs": runs,
        "env": _environment(),
        "args": PYTEST_ARGS,
        # a bug is caught as soon as one test fails: no need to run the rest
        "bug_args": ["-x"],
        "run_timeout": RUN_TIMEOUT,
        "parallel": max(2, min(4, os.cpu_count() or 2)),
        "todo_marker": TODO,
        "results": str(scratch / "results.json"),
    }
    spec_path = scratch / "spec.json"
    spec_path.write_text(json.dumps(spec))
    finished = subprocess.run(
        [sys.executable, str(HERE / "suite_runner.py"), str(spec_path)],
        cwd=scratch, env=_environment(), stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=RUN_TIMEOUT * 5 * machine_factor(),  # each run waits longer on a loaded machine too
    )
    if finished.returncode != 0:  # a defect of the course, not of the learner's suite
        raise RuntimeError(f"suite_runner.py failed:\n{finished.stdout[-2000:]}{finished.stderr[-2000:]}")
    results = runner.load_results(scratch / "results.json")
    for name, result in results.items():
        copy = f"{scratch / name}{os.sep}"
        result.output = _readable(result.output, copy)
        result.collect_errors = [_readable(error, copy) for error in result.collect_errors]
        for test in result.tests:
            test.message = _readable(test.message, copy)
    return Suite(results, dev_database if migrated_template is not None else None, before)
