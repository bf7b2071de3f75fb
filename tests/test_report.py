"""What a learner reads after a check: the terminal report, piped output, the notebook's HTML."""

from __future__ import annotations

import io
import os
import re

from rich.console import Console

from conftest import REPO
from shiplings.report import NotebookReport, html, print_result
from shiplings.runner import CheckOutcome, RunResult

LONG_MESSAGE = (
    "POST /tasks should answer 201 Created; your app answered 200 "
    + '{"title": "' + "x" * 150 + '"}. Look at the route decorator of create_task() in main.py.'
)


def failing_result(message: str = LONG_MESSAGE) -> RunResult:
    return RunResult(
        lesson="01_prototype", title="The prototype", duration=1.25,
        checks=[
            CheckOutcome("test_create_task", "POST /tasks creates a task <201>", "failed", message=message),
            CheckOutcome("test_unknown_id", "An unknown task id answers 404 Not Found", "passed"),
        ],
    )


def piped(result: RunResult) -> str:
    """The report as `shiplings check > file` writes it: no terminal, soft wrapped, no colors."""
    buffer = io.StringIO()
    console = Console(file=buffer, soft_wrap=True, highlight=False, color_system=None)
    assert not console.is_terminal
    print_result(result, "01", console)
    return buffer.getvalue()


def test_piped_report_keeps_each_line_whole():
    lines = piped(failing_result()).splitlines()
    assert "      " + LONG_MESSAGE in lines


def test_terminal_report_wraps_messages_under_their_check():
    buffer = io.StringIO()
    print_result(failing_result(), "01", Console(file=buffer, width=60, highlight=False, color_system=None))
    lines = buffer.getvalue().splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 60
    message_lines = [line for line in lines if "x" * 40 in line]
    assert len(message_lines) >= 2 and all(line.startswith("      ") for line in message_lines)


def test_html_report_escapes_learner_output_and_opens_failures():
    message = 'your app answered 200 {"title": "<script>alert(1)</script> & co"}'
    page = html(failing_result(message), "01")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in page
    assert "POST /tasks creates a task &lt;201&gt;" in page
    # the failure and its explanation in one open <details>, the passing check on its own line
    failure = re.search(r"<details open[^>]*><summary[^>]*>(.*?)</summary>(.*?)</details>", page, re.S)
    assert failure and "✗" in failure.group(1) and "creates a task" in failure.group(1)
    assert "alert(1)" in failure.group(2)
    assert page.count("<details") == 1
    assert "hint 01" in page and "1/2 checks pass" in page


def test_html_report_shows_an_app_that_does_not_load_with_its_line():
    result = failing_result()
    result.app_error = {"kind": "syntax", "file": "main.py", "line": 7, "code": "def broken(:",
                        "message": "Python cannot read main.py: invalid syntax (line 7)."}
    page = html(result, "01")
    assert "Your app does not load." in page and "   7  def broken(:" in page
    assert "<details" not in page  # one app error explains every failure


def test_notebook_report_is_html_in_a_notebook_and_text_elsewhere():
    report = NotebookReport(failing_result(), "01")
    assert report._repr_html_().startswith('<div class="shiplings-report"')
    assert "✗ POST /tasks creates a task <201>" in repr(report)


def readme_sample() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"A failing check reads like this.*?```text\n(.*?)```", text, re.S)
    assert block, "README.md lost its sample report (A failing check reads like this: ```text ...```)"
    return block.group(1).splitlines()


def test_readme_sample_report_is_what_check_prints(tmp_path, monkeypatch):
    """The README's sample is lesson 01's real report on a solution that forgot status_code=201."""
    from shiplings.manifest import load_course
    from shiplings.overlays import snapshot_tree, write_tree
    from shiplings.runner import run_checks

    course = load_course(REPO)
    lesson = course.lesson("01")
    workspace = tmp_path / "workspace"
    write_tree(snapshot_tree(course, lesson, REPO), workspace)
    main = workspace / "main.py"
    main.write_text(main.read_text().replace('@app.post("/tasks", status_code=status.HTTP_201_CREATED)',
                                             '@app.post("/tasks")'))
    result = run_checks(course, REPO, lesson, workspace)
    # as printed by `./shiplings check` in the course folder, the README's own command
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("SHIPLINGS_HOME", raising=False)
    monkeypatch.setenv("PATH", os.defpath)
    # as a 96-column terminal shows it (a README code block is about that wide)
    buffer = io.StringIO()
    print_result(result, "01", Console(file=buffer, width=96, highlight=False, color_system=None))
    real = [re.sub(r"\(\d+\.\d s\)", "(1.9 s)", line.rstrip()) for line in buffer.getvalue().splitlines()]
    assert readme_sample() == real, "README.md's sample report should read:\n" + "\n".join(real)


def test_a_kernel_shows_one_report_with_html_and_text(tmp_path, monkeypatch):
    """In a real Jupyter kernel Rich would display text itself: the report must come out once."""
    import nbformat
    from nbclient import NotebookClient

    for name, folder in (("JUPYTER_RUNTIME_DIR", "runtime"), ("JUPYTER_DATA_DIR", "data"),
                         ("JUPYTER_CONFIG_DIR", "config"), ("IPYTHONDIR", "ipython")):
        monkeypatch.setenv(name, str(tmp_path / folder))
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(
        "from shiplings.report import NotebookReport\n"
        "from shiplings.runner import CheckOutcome, RunResult\n"
        "NotebookReport(RunResult('01_prototype', 'The prototype', "
        "[CheckOutcome('test_create_task', 'POST /tasks', 'failed', message='answered <200>')], 1.0), '01')"
    )]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    [output] = notebook.cells[0].outputs
    assert "answered &lt;200&gt;" in output["data"]["text/html"]
    assert "✗ POST /tasks" in output["data"]["text/plain"]


def test_a_check_that_cannot_run_is_told_apart_from_a_failure():
    result = failing_result()
    result.checks.append(CheckOutcome(
        "test_postgresql", "The app works on PostgreSQL", "unavailable",
        message="cannot run: postgresql is not installed on this machine. Install it with: apt-get install postgresql",
    ))
    text = piped(result)
    assert "  ! The app works on PostgreSQL" in text
    assert "      cannot run: postgresql is not installed" in text
    assert "1/3 checks pass, 1 cannot run on this machine" in text
    # a real failure is still there to fix, so the hint pointer stays
    assert "shiplings doctor" in text and "Stuck?" in text


ENGINE_FIX = ("Get an engine with: apt-get install -y docker.io (shiplings then starts a private dockerd when a "
              "check needs one) (`shiplings doctor` checks everything the course needs), then check again.")


def unavailable(test: str, message: str) -> CheckOutcome:
    return CheckOutcome(test, f"The check {test}", "unavailable", message=message)


def test_a_reason_many_checks_cannot_run_for_is_printed_once():
    reason = f"cannot run: this check needs a Docker Engine, and the docker command is not installed. {ENGINE_FIX}"
    result = failing_result()
    result.checks += [unavailable("test_image", reason), unavailable("test_user", reason),
                      unavailable("test_size", reason)]
    text = piped(result)
    assert text.count("the docker command is not installed") == 1
    assert "  ! The check test_image\n      cannot run: this check needs a Docker Engine" in text
    assert "  ! The check test_user  (cannot run, as above)\n  ! The check test_size  (cannot run, as above)\n" in text
    assert "1/5 checks pass, 3 cannot run on this machine" in text
    shown = html(result, "01")
    assert shown.count("the docker command is not installed") == 1
    assert shown.count("(cannot run, as above)") == 2


def test_reasons_that_end_alike_keep_their_own_sentences():
    native = "shows only on a Docker Engine, and this run was asked to run the stack without one."
    result = failing_result()
    result.checks += [unavailable("test_wait", f"cannot run here: that healthchecks pass {native} {ENGINE_FIX}"),
                      unavailable("test_volume", f"cannot run here: that data outlives down {native} {ENGINE_FIX}")]
    text = piped(result)
    assert text.count("Get an engine with") == 1
    assert (f"      cannot run here: that data outlives down {native} (The rest as above.)\n") in text


def test_only_reasons_to_be_unable_to_run_are_shortened():
    result = failing_result()
    # the learner's failures are printed whole, however alike
    result.checks.append(CheckOutcome("test_again", "POST /tasks again", "failed", message=LONG_MESSAGE))
    # a short shared ending is not worth a cut
    result.checks += [unavailable("test_pg", "cannot run: postgresql is missing. Install it, then check again."),
                      unavailable("test_redis", "cannot run: redis is missing. Install it, then check again.")]
    text = piped(result)
    assert text.count("Look at the route decorator of create_task()") == 2
    assert "cannot run: redis is missing. Install it, then check again." in text
    assert "as above" not in text
