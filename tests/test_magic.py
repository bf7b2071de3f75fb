"""%load_ext shiplings and %check N inside IPython."""

import pytest
from IPython.testing.globalipapp import start_ipython

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
