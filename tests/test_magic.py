"""%load_ext shiplings and %check N inside IPython."""

import pytest
from IPython.testing.globalipapp import start_ipython
from IPython.utils.capture import capture_output

from shiplings.manifest import load_course
from shiplings.overlays import snapshot_tree, starter_tree, write_tree


@pytest.fixture(scope="module")
def ipython():
    shell = start_ipython()
    shell.run_line_magic("load_ext", "shiplings")
    yield shell
    shell.run_line_magic("unload_ext", "shiplings")


def test_check_magic_shows_the_same_report(tiny_course, ipython, capsys):
    course = load_course(tiny_course)
    workspace = tiny_course / "workspace"
    write_tree(starter_tree(course, course.lesson(1), tiny_course), workspace)
    ipython.run_line_magic("check", "1")
    failing = capsys.readouterr().out
    assert "✗ GET /hello says hello" in failing and "should say hello" in failing
    write_tree(snapshot_tree(course, course.lesson(1), tiny_course), workspace)
    ipython.run_line_magic("check", "01")
    assert "All 1 checks pass" in capsys.readouterr().out


def test_check_magic_never_raises(tiny_course, ipython, capsys):
    ipython.run_line_magic("check", "99")
    assert "There is no lesson '99'" in capsys.readouterr().err


def test_an_unknown_lesson_says_which_exist_and_nothing_else(tiny_course, ipython, capsys):
    ipython.run_line_magic("check", "42")
    said = capsys.readouterr()
    assert said.err.strip() == "There is no lesson '42'. The lessons are: 01_hello, 02_bye."
    assert said.out == ""


def test_in_a_notebook_the_report_is_html_that_wraps(tiny_course, ipython, monkeypatch):
    # a notebook's kernel asks for HTML too; a terminal IPython only for text
    monkeypatch.setattr(ipython.display_formatter, "active_types", ["text/plain", "text/html"])
    course = load_course(tiny_course)
    write_tree(starter_tree(course, course.lesson(1), tiny_course), tiny_course / "workspace")
    with capture_output() as captured:
        ipython.run_line_magic("check", "1")
    [shown] = captured.outputs
    page = shown.data["text/html"]
    assert '<details open' in page and "GET /hello says hello" in page
    assert "&quot;message&quot;: &quot;...&quot;" in page  # what the app answered, escaped
    assert "<pre" not in page  # no fixed-width block that runs past the cell
    assert "✗ GET /hello says hello" in shown.data["text/plain"]
