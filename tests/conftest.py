"""Fixtures for the engine's tests: a tiny two-lesson course in a temporary folder.

Engine tests run against this course, not the real lessons, so they keep proving the
engine while lessons change. tests/test_course.py proves the real course.
"""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# the lesson proofs of tests/test_course.py, for the timing table at the end of the run
LESSON_PROOFS: pytest.StashKey[list] = pytest.StashKey()

MANIFEST = '''
title = "tiny course"

[[parts]]
number = 1
title = "Only part"

[[lessons]]
id = "01_hello"
title = "Hello"
part = 1
minutes = { teaching = 5, exercises = 10 }
objectives = ["Say hello"]
instructor_notes = "Say hello first."

[[lessons.checks]]
test = "test_hello"
name = "GET /hello says hello"
hints = ["Return a dict.", "Return {'message': 'hello'}."]

[[lessons]]
id = "02_bye"
title = "Bye"
part = 1
minutes = { teaching = 5, exercises = 5 }
objectives = ["Say bye"]
removes = ["old.txt"]

[[lessons.checks]]
test = "test_bye"
name = "GET /bye says bye"
hints = ["Add a route."]
'''

FILES = {
    "solutions/01_hello/main.py": '''
        from fastapi import FastAPI

        app = FastAPI()


        @app.get("/hello")
        def hello():
            return {"message": "hello"}
        ''',
    "solutions/01_hello/old.txt": "removed by lesson 02\n",
    "lessons/01_hello/starter/main.py": '''
        from fastapi import FastAPI

        app = FastAPI()


        @app.get("/hello")
        def hello():
            # TODO(01): say hello
            return {"message": "..."}
        ''',
    "checks/01_hello/test_hello.py": '''
        from shiplings.testing import show


        async def test_hello(client):
            response = await client.get("/hello")
            assert response.json() == {"message": "hello"}, (
                f"GET /hello should say hello; your app answered {show(response)}. Look at main.py."
            )
        ''',
    "solutions/02_bye/main.py": '''
        from fastapi import FastAPI

        app = FastAPI()


        @app.get("/hello")
        def hello():
            return {"message": "hello"}


        @app.get("/bye")
        def bye():
            return {"message": "bye"}
        ''',
    "lessons/02_bye/starter/main.py": '''
        from fastapi import FastAPI

        app = FastAPI()


        @app.get("/hello")
        def hello():
            return {"message": "hello"}

        # TODO(02): add GET /bye
        ''',
    "checks/02_bye/test_bye.py": '''
        from shiplings.testing import show


        async def test_bye(client):
            response = await client.get("/bye")
            assert response.status_code == 200, (
                f"GET /bye should answer 200; your app answered {show(response)}. Look at main.py."
            )
        ''',
}


def make_notebook(path: Path, code: str) -> None:
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# Lesson"), nbformat.v4.new_code_cell(code)]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)


@pytest.fixture
def tiny_course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A two-lesson course; SHIPLINGS_HOME, _WORKSPACE and _STATE point into tmp_path."""
    root = tmp_path / "course"
    (root / "checks").mkdir(parents=True)
    (root / "course.toml").write_text(MANIFEST)
    (root / "checks" / "pytest.ini").write_text((REPO / "checks" / "pytest.ini").read_text())
    for relative, text in FILES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    make_notebook(root / "lessons/01_hello/lesson.ipynb", "print('hello from lesson 1')")
    make_notebook(root / "lessons/02_bye/lesson.ipynb", "print('bye')")
    monkeypatch.setenv("SHIPLINGS_HOME", str(root))
    monkeypatch.setenv("SHIPLINGS_WORKSPACE", str(root / "workspace"))
    monkeypatch.setenv("SHIPLINGS_STATE", str(root / ".shiplings"))
    monkeypatch.setenv("SHIPLINGS_NO_PRELAUNCH", "1")
    return root


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (the machine's own, never a downloaded one) for one test module."""
    from shiplings import tools

    chromium = tools.find("chromium")
    if chromium is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing in CI: `shiplings doctor --install` should have installed it.")
        pytest.skip(f"Chromium is not installed; {tools.fix_for('chromium')} (or set SHIPLINGS_CHROMIUM).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
        ])
        yield launched
        launched.close()


def pytest_terminal_summary(terminalreporter, config) -> None:
    """Where the course's proof spent its time: what the CI budget is made of."""
    proofs = config.stash.get(LESSON_PROOFS, [])
    if not proofs:
        return
    terminalreporter.section("lesson proofs (seconds, each part from its start to its end)")
    for report in sorted(proofs, key=lambda report: -report.seconds):
        parts = ", ".join(f"{phase} {seconds:.0f}" for phase, seconds in report.phases.items())
        reused = f", {len(report.reused)} earlier runs proven elsewhere" if report.reused else ""
        terminalreporter.write_line(f"{report.lesson:24} {report.seconds:6.0f}  ({parts}{reused})")


@pytest.fixture
def on_the_checks_path(monkeypatch):
    """As checks/pytest.ini has it (`pythonpath = .`): checks/ first on sys.path, for tests of
    checks/support; the support modules imported are forgotten afterwards."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "checks"))
    yield
    for name in [name for name in sys.modules if name == "support" or name.startswith("support.")]:
        del sys.modules[name]
