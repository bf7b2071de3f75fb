"""Mutants: realistic mistakes each lesson's checks must catch (invariant 6 of `dev check`)."""

import textwrap

import pytest
from typer.testing import CliRunner

from shiplings import devcheck, runner
from shiplings.cli import app
from shiplings.manifest import load_course
from shiplings.mutants import Mutant, MutantError, apply_mutant, load_mutants

CAUGHT = '''
[[mutants]]
name = "says-hi"
mistake = "hello() greets with the wrong word"
edits = [{ file = "main.py", find = '"hello"}', replace = '"hi"}' }]
caught_by = "test_hello"
says = "SAY HELLO"
'''

UNCAUGHT = '''
[[mutants]]
name = "renamed-function"
mistake = "the route function has another name (harmless: no check can see it)"
edits = [{ file = "main.py", find = "def hello():", replace = "def greet():" }]
caught_by = "test_hello"
says = "hello"
'''

WRONG_REASON = '''
[[mutants]]
name = "says-hi-wrong-word"
mistake = "hello() greets with the wrong word, but the check must say teapot"
edits = [{ file = "main.py", find = '"hello"}', replace = '"hi"}' }]
caught_by = "test_hello"
says = "teapot"
'''

CRASHES = '''
[[mutants]]
name = "crashes-on-import"
mistake = "main.py raises while it is imported"
edits = [{ file = "main.py", find = "app = FastAPI()", replace = "app = FastAPI()\\nraise RuntimeError('boom')" }]
caught_by = "test_hello"
says = "hello"
'''


@pytest.fixture
def with_mutants(tiny_course):
    """Write checks/01_hello/mutants.toml of the tiny course from TOML blocks."""

    def write(*blocks: str):
        path = tiny_course / "checks" / "01_hello" / "mutants.toml"
        path.write_text("".join(textwrap.dedent(block) for block in blocks))
        course = load_course(tiny_course)
        return course, course.lesson(1)

    return write


def by_name(results):
    return {result.name: result for result in results}


def test_a_mutant_the_check_catches_with_its_word(tiny_course, with_mutants):
    course, lesson = with_mutants(CAUGHT)
    results, problems = devcheck.run_mutants(course, tiny_course, lesson)
    assert problems == []
    [result] = results
    assert result.caught, result.describe()
    assert "should say hello" in result.message


def test_a_mutant_the_check_lets_pass_is_uncaught(tiny_course, with_mutants):
    course, lesson = with_mutants(UNCAUGHT)
    [result] = devcheck.run_mutants(course, tiny_course, lesson)[0]
    assert result.verdict == "passed"
    assert "renamed-function" in result.describe() and "goes unnoticed" in result.describe()


def test_a_mutant_caught_without_the_word_is_uncaught(tiny_course, with_mutants):
    course, lesson = with_mutants(WRONG_REASON)
    [result] = devcheck.run_mutants(course, tiny_course, lesson)[0]
    assert result.verdict == "failed without the word"
    # the report shows what the check did say, so the author can choose: the word or the message
    assert "'teapot'" in result.describe() and "should say hello" in result.describe()


def test_a_mutant_that_crashes_the_app_is_not_caught_by_an_assertion(tiny_course, with_mutants):
    course, lesson = with_mutants(CRASHES)
    [result] = devcheck.run_mutants(course, tiny_course, lesson)[0]
    assert result.verdict == "error"
    assert "boom" in result.message


def test_mutants_run_on_a_copy_of_the_snapshot(tiny_course, with_mutants):
    course, lesson = with_mutants(CAUGHT)
    before = (tiny_course / "solutions/01_hello/main.py").read_text()
    devcheck.run_mutants(course, tiny_course, lesson)
    assert (tiny_course / "solutions/01_hello/main.py").read_text() == before


def test_invalid_mutants_are_course_problems_naming_file_and_mutant(tiny_course, with_mutants):
    course, lesson = with_mutants(
        CAUGHT,
        CAUGHT.replace("says-hi", "no-such-text").replace('find = \'"hello"}\'', "find = 'goodbye'"),
        CAUGHT.replace("says-hi", "twice").replace('find = \'"hello"}\'', "find = 'hello'"),
        CAUGHT.replace("says-hi", "no-such-file").replace('"main.py"', '"app/main.py"'),
        CAUGHT.replace("says-hi", "no-such-check").replace('"test_hello"', '"test_goodbye"'),
    )
    results, problems = devcheck.run_mutants(course, tiny_course, lesson)
    text = "\n".join(problems)
    assert "checks/01_hello/mutants.toml: edit 1 of mutant 'no-such-text': 'goodbye' is not found in main.py" in text
    assert "mutant 'twice'" in text and "found 3 times" in text
    assert "mutant 'no-such-file'" in text and "app/main.py is not in the lesson's snapshot" in text
    assert "mutant 'no-such-check' is caught_by 'test_goodbye', which is not a check of 01_hello" in text
    # the valid one still runs; the invalid ones do not
    assert [result.name for result in results] == ["says-hi"]


def test_a_malformed_mutants_file_names_the_mutant(tiny_course, with_mutants):
    course, lesson = with_mutants(CAUGHT.replace('says = "SAY HELLO"\n', "").replace("says-hi", "Says Hi"))
    with pytest.raises(MutantError) as error:
        load_mutants(tiny_course, lesson)
    assert "checks/01_hello/mutants.toml: mutant 'Says Hi': name" in str(error.value)
    assert "mutant 'Says Hi': says: Field required" in str(error.value)
    results, problems = devcheck.run_mutants(course, tiny_course, lesson)
    assert results == [] and any("Field required" in problem for problem in problems)


def test_edits_apply_in_order_within_one_file(tmp_path):
    (tmp_path / "main.py").write_text("a = 1\nb = 2\n")
    mutant = Mutant(name="two-edits", mistake="two edits of one file", caught_by="test_x", says="x",
                    edits=[{"file": "main.py", "find": "a = 1", "replace": "a = 3"},
                           {"file": "main.py", "find": "a = 3\nb", "replace": "a = 4\nb"}])
    apply_mutant(mutant, tmp_path)
    assert (tmp_path / "main.py").read_text() == "a = 4\nb = 2\n"


def test_only_the_named_check_runs(tiny_course, tmp_path):
    only = {"01_hello": {"test_hello"}}
    args = runner.pytest_args(tiny_course, ["01_hello"], {}, tmp_path / "report.json", only=only)
    assert f"{tiny_course / 'checks/01_hello/test_hello.py'}::test_hello" in args
    assert str(tiny_course / "checks" / "01_hello") not in args


def test_dev_check_proves_invariant_6_and_can_skip_it(tiny_course, with_mutants):
    course, lesson = with_mutants(CAUGHT, UNCAUGHT)
    report = devcheck.check_lesson(course, tiny_course, lesson, notebooks=False)
    findings = {finding.invariant[0]: finding for finding in report.findings}
    assert not findings["6"].ok
    assert "renamed-function" in findings["6"].detail and "says-hi:" not in findings["6"].detail
    skipped = devcheck.check_lesson(course, tiny_course, lesson, notebooks=False, mutants=False)
    assert "6" not in {finding.invariant[0] for finding in skipped.findings} and skipped.ok


def test_dev_mutants_prints_the_catch_rate_and_each_uncaught_mutant(tiny_course, with_mutants):
    with_mutants(CAUGHT, UNCAUGHT, WRONG_REASON)
    result = CliRunner().invoke(app, ["dev", "mutants", "1", "2"])
    assert result.exit_code == 1, result.output
    assert "01_hello: caught 1/3" in result.output
    assert "renamed-function (the route function has another name" in result.output
    assert "passed: the mistake goes unnoticed" in result.output
    assert "does not say 'teapot'" in result.output
    assert "02_bye: no mutants.toml yet" in result.output
    assert CliRunner().invoke(app, ["dev", "mutants", "1", "--only", "says-hi"]).exit_code == 0


def test_a_timeout_is_tried_once_more_before_it_counts(tiny_course, with_mutants, monkeypatch):
    course, lesson = with_mutants(CAUGHT)
    outcomes = iter(["timeout", "failed"])
    calls = []

    def fake_run(course, root, lessons, workspace, **kwargs):
        calls.append(kwargs["only"])
        check = runner.CheckOutcome("test_hello", "hello", next(outcomes), message="GET /hello should say hello")
        return [runner.RunResult(lesson.id, lesson.title, [check], 0.1)]

    monkeypatch.setattr(devcheck, "run_lessons", fake_run)
    [result] = devcheck.run_mutants(course, tiny_course, lesson)[0]
    assert result.caught and calls == [{"01_hello": {"test_hello"}}] * 2


def test_mutants_run_in_forks_of_one_warm_helper_per_worker(tiny_course, with_mutants, tmp_path):
    """A fresh pytest process per mutant would import pytest and FastAPI each time."""
    import os

    parents = tmp_path / "parents.txt"
    check = tiny_course / "checks" / "01_hello" / "test_hello.py"
    check.write_text(check.read_text().replace(
        "async def test_hello(client):\n",
        f"async def test_hello(client):\n    import os\n"
        f"    with open({str(parents)!r}, 'a') as f:\n        f.write(f'{{os.getppid()}}\\n')\n",
    ))
    blocks = [CAUGHT.replace('"says-hi"', f'"says-hi-{number}"') for number in range(4)]
    course, lesson = with_mutants(*blocks)
    results, problems = devcheck.run_mutants(course, tiny_course, lesson, jobs=2)
    assert problems == [] and [result.caught for result in results] == [True] * 4
    helpers = {int(line) for line in parents.read_text().split()}
    # each run is a fork of a helper (not a process of ours), and a worker's helper serves its next runs
    assert os.getpid() not in helpers and 1 <= len(helpers) <= 2
    for pid in helpers:  # the helpers are closed once the mutants are done
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_the_real_course_mutants_apply_to_their_snapshots():
    """Cheap and static: every mutants.toml of the course loads, and each edit finds its text once."""
    from pathlib import Path

    from shiplings.mutants import mutant_problems
    from shiplings.overlays import snapshot_tree

    repo = Path(__file__).resolve().parents[1]
    course = load_course(repo)
    counted = {}
    for lesson in course.lessons:
        mutants = load_mutants(repo, lesson)
        if mutants:
            assert mutant_problems(lesson, mutants, snapshot_tree(course, lesson, repo)) == []
            counted[lesson.number] = len(mutants)
    assert all(counted.get(number, 0) >= 6 for number in ("01", "02", "03", "04", "05")), counted
