"""Helpers for the lesson 12 checks: the learner's front end, built, tested and served for real.

- `run_npm(*args)` runs an npm script in frontend/ (Node from the engine's `node` fixture)
- `vitest(*filters)` runs Vitest once with its JSON reporter and returns the report
- `course_spec()` puts the course's component test (specs/components.spec.ts) into the
  learner's frontend/src/__shiplings__/ for one run, and takes it away again
- `backend` is the learner's FastAPI app under uvicorn on a free loopback port
- `dev_server` is the learner's Vite dev server, told where that backend is (BACKEND_URL);
  the two proxy checks share one pair (`proxy_stack`, started once per module)

npm itself runs once per package-lock.json (shiplings.npm): every check after the first
gets node_modules/ copied from the cache in about a second.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from support.frontend import VitestReport
from support.stack import full_stack

SPECS = Path(__file__).parent / "specs"
COURSE_SPEC_FOLDER = "src/__shiplings__"


@pytest.fixture
def run_npm(frontend, node, node_modules):
    """run_npm("run", "build") -> the finished process (output in .stdout), in frontend/."""

    def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run([node.npm, *args], cwd=frontend, env=node.env({"CI": "1", "NO_COLOR": "1"}),
                              capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)

    return run


@pytest.fixture
def vitest(frontend, node, node_modules, tmp_path):
    """vitest(*filters) -> VitestReport of one `vitest run` in frontend/."""

    def run(*filters: str, timeout: float = 240) -> VitestReport:
        report = tmp_path / "vitest.json"
        report.unlink(missing_ok=True)
        command = [node.node, str(frontend / "node_modules" / "vitest" / "vitest.mjs"), "run",
                   "--reporter=json", f"--outputFile={report}", *filters]
        done = subprocess.run(command, cwd=frontend, env=node.env({"CI": "1", "NO_COLOR": "1"}),
                              capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        files = []
        with contextlib.suppress(OSError, ValueError):
            files = json.loads(report.read_text()).get("testResults", [])
        return VitestReport(done.returncode, done.stdout + done.stderr, files)

    return run


@pytest.fixture
def course_spec(frontend):
    """course_spec() -> a context manager: the course's spec in frontend/src/__shiplings__/ meanwhile."""

    @contextlib.contextmanager
    def placed():
        folder = frontend / COURSE_SPEC_FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(SPECS / "components.spec.ts", folder / "components.spec.ts")
        try:
            yield f"{COURSE_SPEC_FOLDER}/components.spec.ts"
        finally:
            (folder / "components.spec.ts").unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                folder.rmdir()  # unless a kept dev server's file is in it too (support/stack.py)

    return placed


@pytest.fixture(scope="module")
def proxy_stack(migrated_template, node):
    """(backend, Vite dev server) for the proxy checks of a module: started once, shared by them.

    Each start costs seconds (uvicorn importing the app, Vite reading its config), so the two
    proxy checks share one pair (support/stack.py). Accounts the checks create have random
    emails: they never meet.
    """
    with full_stack(migrated_template, node) as stack:
        yield stack.backend, stack.vite


@pytest.fixture
def backend(proxy_stack):
    """The learner's FastAPI app under uvicorn, on a free loopback port (`.url`)."""
    return proxy_stack[0]


@pytest.fixture
def dev_server(proxy_stack):
    """The learner's Vite dev server, with BACKEND_URL naming the backend the checks started."""
    return proxy_stack[1]
