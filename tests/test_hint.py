"""`shiplings hint`: the first failing check's hint, from the last report while nothing changed."""

import json
import os
from pathlib import Path

from typer.testing import CliRunner

from shiplings.cli import app
from shiplings.commands.check import last_report_path

runner = CliRunner()


def shiplings(*args: str):
    return runner.invoke(app, list(args))


def checked_then_report_says_passed() -> Path:
    """Start and check lesson 01 (it fails), then make its saved report say it passed: a hint
    that says "no hint needed" read the report, one that runs the checks finds the failure."""
    shiplings("start", "1")
    assert shiplings("check", "1").exit_code == 1
    saved = last_report_path("01_hello")
    report = json.loads(saved.read_text())
    assert report["result"]["checks"][0]["outcome"] == "failed"
    report["result"]["checks"][0]["outcome"] = "passed"
    saved.write_text(json.dumps(report))
    return saved


def test_hint_answers_from_the_last_report_while_the_workspace_is_unchanged(tiny_course):
    checked_then_report_says_passed()
    assert "no hint needed" in shiplings("hint", "1").output


def test_a_saved_file_makes_hint_run_the_checks_again(tiny_course):
    saved = checked_then_report_says_passed()
    main = tiny_course / "workspace" / "main.py"
    main.write_text(main.read_text() + "\n# still not saying hello\n")
    result = shiplings("hint", "1")
    assert "Hint 1/2: Return a dict." in result.output
    # and the fresh report is kept for the next hint
    assert json.loads(saved.read_text())["result"]["checks"][0]["outcome"] == "failed"


def test_hint_without_a_saved_report_runs_the_checks(tiny_course):
    shiplings("start", "1")
    assert not last_report_path("01_hello").exists()
    assert "Hint 1/2: Return a dict." in shiplings("hint", "1").output
    assert last_report_path("01_hello").is_file()


def test_an_app_that_does_not_load_comes_before_any_hint(tiny_course):
    shiplings("start", "1")
    main = tiny_course / "workspace" / "main.py"
    main.write_text(main.read_text().replace("def hello():", "def hello(:"))
    shiplings("check", "1")
    result = shiplings("hint", "1")
    assert "Your app does not load (main.py:" in result.output
    assert "def hello(:" in result.output
    assert "Hint 1/2" not in result.output


def test_a_runtime_database_file_does_not_make_the_report_stale(tiny_course):
    checked_then_report_says_passed()
    # the learner's dev server writes its SQLite database while they read the report
    (tiny_course / "workspace" / "tasks.db").write_bytes(b"SQLite format 3\0")
    assert "no hint needed" in shiplings("hint", "1").output


def test_the_front_end_build_a_check_made_does_not_make_the_report_stale(tiny_course):
    checked_then_report_says_passed()
    # lessons 12 on: the check itself runs `npm run build`, which rewrites frontend/dist/
    dist = tiny_course / "workspace" / "frontend" / "dist"
    dist.mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html>")
    assert "no hint needed" in shiplings("hint", "1").output


def test_more_hints_are_spelled_for_where_the_learner_is(tiny_course, monkeypatch):
    (tiny_course / "shiplings").write_text("#!/bin/sh\n")
    monkeypatch.setenv("PATH", os.defpath)
    monkeypatch.chdir(tiny_course)
    shiplings("start", "1")
    assert "More: ./shiplings hint 01 --level 2" in shiplings("hint", "1").output


def test_a_check_that_could_not_run_gets_no_hint_about_the_learners_code(tiny_course):
    saved = checked_then_report_says_passed()
    report = json.loads(saved.read_text())
    report["result"]["checks"].append({
        "test": "test_counts_in_redis", "name": "Counts hellos in Redis", "outcome": "unavailable",
        "message": "cannot run: redis is not installed on this machine", "hints": ["Start Redis."],
        "duration": 0.0, "detail": "", "retired": False,
    })
    saved.write_text(json.dumps(report))
    said = shiplings("hint", "1").output
    assert "could not run on this machine: cannot run: redis is not installed" in said
    assert "doctor" in said and "Hint 1/" not in said
