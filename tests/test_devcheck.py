"""`shiplings dev check` proves the invariants, and says precisely which one broke."""

import os

import nbformat
import pytest

from conftest import make_notebook
from shiplings import devcheck
from shiplings.manifest import load_course


def prove(root, number, notebooks=True):
    course = load_course(root)
    return devcheck.check_lesson(course, root, course.lesson(number), notebooks=notebooks)


def broken(report):
    return {finding.invariant[0]: finding.detail for finding in report.findings if not finding.ok}


@pytest.mark.parametrize("number", [1, 2])
def test_a_consistent_lesson_passes_every_invariant(tiny_course, number):
    report = prove(tiny_course, number)
    assert report.ok, broken(report)
    assert [f.invariant[0] for f in report.findings] == ["1", "2", "3", "4", "5"]


def test_a_starter_that_already_passes_is_caught(tiny_course):
    starter = tiny_course / "lessons/01_hello/starter/main.py"
    starter.write_text(starter.read_text().replace('"..."', '"hello"'))
    assert "test_hello passes on the starter" in broken(prove(tiny_course, 1, False))["2"]


def test_a_check_that_crashes_on_the_starter_is_caught(tiny_course):
    starter = tiny_course / "lessons/01_hello/starter/main.py"
    starter.write_text(starter.read_text().replace("app = FastAPI()", "app = FastAPI()\nimport nope"))
    assert "not by an assertion" in broken(prove(tiny_course, 1, False))["2"]


def test_a_check_without_a_message_is_caught(tiny_course):
    check = tiny_course / "checks/01_hello/test_hello.py"
    check.write_text(
        "async def test_hello(client):\n"
        "    assert (await client.get('/hello')).json() == {'message': 'hello'}\n"
    )
    assert "without a learner-facing message" in broken(prove(tiny_course, 1, False))["2"]


def test_a_solution_that_fails_its_checks_is_caught(tiny_course):
    solution = tiny_course / "solutions/01_hello/main.py"
    solution.write_text(solution.read_text().replace('"hello"}', '"hi"}'))
    assert "01_hello::test_hello on snapshot" in broken(prove(tiny_course, 1, False))["1"]


def test_a_later_lesson_that_breaks_an_earlier_check_is_caught(tiny_course):
    starter = tiny_course / "lessons/02_bye/starter/main.py"
    starter.write_text(starter.read_text().replace('"hello"}', '"oops"}'))
    assert "01_hello::test_hello on starter" in broken(prove(tiny_course, 2, False))["3"]


def test_a_failing_notebook_is_caught(tiny_course):
    make_notebook(tiny_course / "lessons/01_hello/lesson.ipynb", "raise RuntimeError('cell exploded')")
    assert "cell exploded" in broken(prove(tiny_course, 1))["4"]


def test_a_failing_cell_is_named_with_what_it_printed_before_the_error(tiny_course):
    """A cell that ignores a command's failure fails later; what the command printed says why."""
    make_notebook(tiny_course / "lessons/01_hello/lesson.ipynb",
                  "print('Error response from daemon: Pool overlaps')\n" + "x = 1\n" * 12
                  + "raise ConnectionRefusedError(111, 'Connection refused')")
    said = broken(prove(tiny_course, 1))["4"]
    assert "code cell 1 of 1 failed with ConnectionRefusedError" in said
    assert "Pool overlaps" in said  # what it printed
    assert "print('Error response" in said and "    ..." in said  # how it begins, cut after 8 lines
    assert "\x1b[" not in said  # no terminal colours in a report


def test_the_notebook_runs_against_the_snapshot_workspace(tiny_course):
    make_notebook(
        tiny_course / "lessons/01_hello/lesson.ipynb",
        "import os, pathlib\n"
        "assert 'hello' in (pathlib.Path(os.environ['SHIPLINGS_WORKSPACE']) / 'main.py').read_text()",
    )
    assert prove(tiny_course, 1).ok


def test_the_notebook_keeps_its_own_progress_but_finds_the_authors_docker_images(tiny_course):
    # progress goes to a scratch state folder; images built before (base images, layers) stay reachable
    images = tiny_course / ".shiplings" / "docker" / "data"
    make_notebook(
        tiny_course / "lessons/01_hello/lesson.ipynb",
        "import os\n"
        f"assert os.environ['SHIPLINGS_DOCKER_DATA'] == {str(images)!r}, os.environ['SHIPLINGS_DOCKER_DATA']\n"
        f"assert os.environ['SHIPLINGS_STATE'] != {str(tiny_course / '.shiplings')!r}",
    )
    assert prove(tiny_course, 1).ok


def test_the_notebook_runs_beside_the_checks_in_a_workspace_of_its_own(tiny_course, tmp_path):
    """The notebook and the check runs overlap (most of both is waiting), and cannot see each other's files."""
    signal = tmp_path / "notebook-ran"
    make_notebook(
        tiny_course / "lessons/01_hello/lesson.ipynb",
        "import os, pathlib\n"
        "main = pathlib.Path(os.environ['SHIPLINGS_WORKSPACE']) / 'main.py'\n"
        "main.write_text('# the notebook was here\\n' + main.read_text())\n"
        f"pathlib.Path({str(signal)!r}).write_text('ran')",
    )
    check = tiny_course / "checks/01_hello/test_hello.py"
    check.write_text(check.read_text().replace(
        "async def test_hello(client):\n",
        "import os, pathlib, time\n\nimport pytest\n\n\n@pytest.mark.timeout(90)\n"
        "async def test_hello(client):\n"
        f"    signal = pathlib.Path({str(signal)!r})\n"
        "    deadline = time.monotonic() + 60\n"
        "    while not signal.exists() and time.monotonic() < deadline:\n"
        "        time.sleep(0.1)\n"
        "    assert signal.exists(), 'the notebook did not run while the checks ran'\n"
        "    main = pathlib.Path(os.environ['SHIPLINGS_WORKSPACE']) / 'main.py'\n"
        "    assert 'notebook' not in main.read_text(), 'the checks saw a file the notebook changed'\n",
    ))
    report = prove(tiny_course, 1)
    assert report.ok, broken(report)
    assert [f.invariant[0] for f in report.findings] == ["1", "2", "3", "4", "5"]


def test_dev_check_proves_the_last_lesson_first_and_reports_in_course_order(tiny_course, tmp_path):
    """The last lessons re-run the most earlier checks: started first, they do not end the run alone."""
    from typer.testing import CliRunner

    from shiplings.cli import app

    ran = tmp_path / "ran.txt"
    check = tiny_course / "checks" / "01_hello" / "test_hello.py"
    # which lesson's workspace the check runs on: only lesson 02's snapshot and starter say bye
    check.write_text(check.read_text().replace(
        "async def test_hello(client):\n",
        "async def test_hello(client):\n    import os, pathlib\n"
        "    main = pathlib.Path(os.environ['SHIPLINGS_WORKSPACE']) / 'main.py'\n"
        f"    with open({str(ran)!r}, 'a') as f:\n"
        "        f.write(('02' if 'bye' in main.read_text() else '01') + '\\n')\n",
    ))
    result = CliRunner().invoke(app, ["dev", "check", "1", "2", "--no-notebooks", "--no-mutants", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert ran.read_text().split() == ["02", "02", "01", "01"]
    assert result.output.index("01_hello") < result.output.index("02_bye")


def test_notebook_outputs_and_missing_markers_are_caught(tiny_course):
    path = tiny_course / "lessons/01_hello/lesson.ipynb"
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[1].outputs = [nbformat.v4.new_output("stream", text="hi")]
    nbformat.write(notebook, path)
    starter = tiny_course / "lessons/01_hello/starter/main.py"
    starter.write_text(starter.read_text().replace("TODO(01)", "later"))
    problems = broken(prove(tiny_course, 1, False))["5"]
    assert "has outputs" in problems and "no TODO(01) marker" in problems


def test_orphan_folders_are_caught(tiny_course):
    (tiny_course / "solutions" / "07_ghost").mkdir()
    problems = devcheck.manifest_problems(load_course(tiny_course), tiny_course)
    assert problems == ["solutions/07_ghost has no lesson in course.toml"]


def test_the_shared_check_helpers_are_no_orphan(tiny_course):
    (tiny_course / "checks" / "support").mkdir()
    (tiny_course / "lessons" / "support").mkdir()
    problems = devcheck.manifest_problems(load_course(tiny_course), tiny_course)
    assert problems == ["lessons/support has no lesson in course.toml"]


def file_problems(root, number):
    course = load_course(root)
    return devcheck.lesson_file_problems(course, course.lesson(number), root)


def test_the_tiny_course_files_agree(tiny_course):
    assert file_problems(tiny_course, 1) == [] and file_problems(tiny_course, 2) == []


def test_a_solution_file_that_repeats_its_starter_version_is_caught(tiny_course):
    # handed over by the starter, or inherited from an earlier snapshot: either way a copy
    for relative in ("lessons/02_bye/starter/notes.txt", "solutions/02_bye/notes.txt",
                     "solutions/01_hello/kept.txt", "solutions/02_bye/kept.txt"):
        (tiny_course / relative).write_text("the same\n")
    problems = file_problems(tiny_course, 2)
    assert len(problems) == 2, problems
    assert problems[0].startswith("solutions/02_bye/kept.txt is identical to its version in starter(02)")
    assert problems[1].startswith("solutions/02_bye/notes.txt is identical")


def test_a_removed_path_the_solution_brings_back_is_no_copy(tiny_course):
    (tiny_course / "solutions/02_bye/old.txt").write_text("removed by lesson 02\n")
    assert file_problems(tiny_course, 2) == []


def test_a_marker_in_a_starter_file_the_solution_does_not_overlay_is_caught(tiny_course):
    (tiny_course / "lessons/02_bye/starter/README.md").write_text("TODO(02): write the bye route\n")
    assert file_problems(tiny_course, 2) == [
        "lessons/02_bye/starter/README.md still has a TODO(02) marker in snapshot(02): "
        "solutions/02_bye/README.md must overlay it"
    ]


def test_a_marker_left_in_the_solution_is_caught(tiny_course):
    solution = tiny_course / "solutions/02_bye/main.py"
    solution.write_text(solution.read_text() + "# TODO(02): tidy up\n")
    assert file_problems(tiny_course, 2) == ["solutions/02_bye/main.py still has a TODO(02) marker in snapshot(02)"]


def add_notes_lesson(root, never_read=True):
    """Lesson 03 adds notes/today.md, a file the checks of 01 and 02 never read (if so declared)."""
    manifest = root / "course.toml"
    manifest.write_text(manifest.read_text() + '''
[[lessons]]
id = "03_notes"
title = "Notes"
part = 1
minutes = { teaching = 5, exercises = 5 }
objectives = ["Write notes"]

[[lessons.checks]]
test = "test_notes"
name = "notes/today.md says something"
hints = ["Write in notes/today.md."]
''' + ('''
[[proof.never_read]]
first = "01_hello"
last = "02_bye"
paths = ["notes/*"]
''' if never_read else ""))
    for folder, text in {"lessons/03_notes/starter": "TODO(03): write here\n", "solutions/03_notes": "done\n"}.items():
        (root / folder / "notes").mkdir(parents=True)
        (root / folder / "notes/today.md").write_text(text)
    (root / "checks/03_notes").mkdir()
    (root / "checks/03_notes/test_notes.py").write_text(
        "from shiplings import testing\n\n\n"
        "def test_notes():\n"
        "    text = (testing.workspace() / 'notes/today.md').read_text()\n"
        "    assert 'TODO' not in text, f'notes/today.md still says {text!r}: write your notes there.'\n"
    )
    make_notebook(root / "lessons/03_notes/lesson.ipynb", "print('notes')")


def test_earlier_checks_are_not_run_again_on_files_they_never_read(tiny_course):
    add_notes_lesson(tiny_course)
    course = load_course(tiny_course)
    notes = course.lesson(3)
    everything = frozenset(lesson.id for lesson in course.lessons)
    # the whole course in one run: 01 and 02 passed on snapshot(02), which differs only in notes/
    assert devcheck.proven_elsewhere(course, tiny_course, notes, everything) == {
        (kind, earlier): "snapshot(02)" for kind in ("starter", "snapshot") for earlier in ("01_hello", "02_bye")
    }
    # lesson 03 alone: its starter run covers its solution for them, nothing else
    assert devcheck.proven_elsewhere(course, tiny_course, notes, frozenset({notes.id})) == {
        ("snapshot", "01_hello"): "starter(03)", ("snapshot", "02_bye"): "starter(03)",
    }
    report = devcheck.check_lesson(course, tiny_course, notes, notebooks=False, proving=everything)
    assert report.ok, broken(report)
    assert len(report.reused) == 4


def test_files_the_checks_read_are_always_checked_again(tiny_course):
    add_notes_lesson(tiny_course)
    # lesson 03's starter also breaks main.py, which 01's checks read: no shortcut hides that
    main = tiny_course / "solutions/02_bye/main.py"
    (tiny_course / "lessons/03_notes/starter/main.py").write_text(main.read_text().replace('"hello"}', '"oops"}'))
    course = load_course(tiny_course)
    everything = frozenset(lesson.id for lesson in course.lessons)
    assert ("starter", "01_hello") not in devcheck.proven_elsewhere(course, tiny_course, course.lesson(3), everything)
    report = devcheck.check_lesson(course, tiny_course, course.lesson(3), notebooks=False, proving=everything)
    assert "01_hello::test_hello on starter" in broken(report)["3"]


def test_without_a_never_read_entry_every_earlier_lesson_runs_again(tiny_course):
    add_notes_lesson(tiny_course, never_read=False)
    course = load_course(tiny_course)
    everything = frozenset(lesson.id for lesson in course.lessons)
    # no declaration: notes/ might be read, and every workspace differs there
    assert devcheck.proven_elsewhere(course, tiny_course, course.lesson(3), everything) == {}


def test_the_container_lessons_proved_at_once_share_one_engine_started_once(monkeypatch):
    """Where no engine answers, the first proof starts one and names it in DOCKER_HOST; the last one stops it."""
    import contextlib
    import threading
    from types import SimpleNamespace

    from shiplings import containers

    events = []

    @contextlib.contextmanager
    def private_engine():
        events.append("started")
        yield SimpleNamespace(host="unix:///tmp/the-shared-engine.sock")
        events.append("stopped")

    monkeypatch.setattr(containers, "ask_version", lambda host, timeout=20: (None, "nothing answers"))
    monkeypatch.setattr(containers, "can_start_private", lambda: True)
    monkeypatch.setattr(containers, "private_engine", private_engine)
    monkeypatch.setenv("DOCKER_HOST", "unix:///the-learners.sock")
    shared = devcheck.SharedEngine()
    inside, second_in = threading.Event(), threading.Event()

    def second_proof():
        with shared.held():
            assert os.environ["DOCKER_HOST"] == "unix:///tmp/the-shared-engine.sock"
            second_in.set()
            inside.wait(10)

    with shared.held():
        worker = threading.Thread(target=second_proof)
        worker.start()
        assert second_in.wait(10)
    assert events == ["started"], "the first proof to end must leave the engine to the one still running"
    inside.set()
    worker.join(10)
    assert events == ["started", "stopped"]
    assert os.environ["DOCKER_HOST"] == "unix:///the-learners.sock"


def test_where_an_engine_answers_the_runs_use_it_and_nothing_starts(monkeypatch):
    from shiplings import containers

    monkeypatch.setattr(containers, "ask_version", lambda host, timeout=20: ("27.5.1", ""))
    monkeypatch.setattr(containers, "private_engine", lambda: pytest.fail("an engine was started"))
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    with devcheck.SharedEngine().held():
        assert "DOCKER_HOST" not in os.environ
