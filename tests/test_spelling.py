"""Commands the CLI prints are spelled so that they run where the learner is."""

import os
import sysconfig

import pytest

from shiplings import spelling


@pytest.fixture
def wrapper(tiny_course, monkeypatch):
    """The course's ./shiplings wrapper, and a PATH without the course's environment."""
    script = tiny_course / "shiplings"
    script.write_text("#!/bin/sh\n")
    monkeypatch.setenv("PATH", os.defpath)
    return script


def test_in_the_course_folder_the_wrapper_is_named(wrapper, monkeypatch):
    monkeypatch.chdir(wrapper.parent)
    assert spelling.command("hint 07") == "./shiplings hint 07"


def test_in_the_workspace_the_wrapper_is_reached_from_there(wrapper, monkeypatch):
    workspace = wrapper.parent / "workspace"
    workspace.mkdir()
    monkeypatch.chdir(workspace)
    assert spelling.command("check 07") == "../shiplings check 07"


def test_outside_the_course_the_wrapper_is_named_in_full(wrapper, monkeypatch, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert spelling.command("next") == f"{wrapper} next"


def test_with_the_course_environment_on_path_plain_shiplings_works(wrapper, monkeypatch):
    monkeypatch.setenv("PATH", sysconfig.get_path("scripts") + os.pathsep + os.defpath)
    monkeypatch.chdir(wrapper.parent)
    assert spelling.command("hint 07") == "shiplings hint 07"


def test_another_checkouts_shiplings_on_path_does_not_count(wrapper, monkeypatch, tmp_path):
    other = tmp_path / "other-course" / "bin"
    other.mkdir(parents=True)
    (other / "shiplings").write_text("#!/bin/sh\n")
    (other / "shiplings").chmod(0o755)
    monkeypatch.setenv("PATH", str(other) + os.pathsep + os.defpath)
    monkeypatch.chdir(wrapper.parent)
    assert spelling.command("check") == "./shiplings check"


def test_commands_quoted_in_hints_and_messages_are_respelled(wrapper, monkeypatch):
    monkeypatch.chdir(wrapper.parent)
    text = "Install it (`shiplings doctor` lists everything), then `shiplings check 04`; shiplings itself."
    assert spelling.respell(text) == (
        "Install it (`./shiplings doctor` lists everything), then `./shiplings check 04`; shiplings itself."
    )
