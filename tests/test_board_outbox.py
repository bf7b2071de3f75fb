"""The learner's outbox (shiplings.board.outbox) and `shiplings join`: reports reach the board
exactly once, and a board that is down or slow never holds up a learner's command."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from board_helpers import serving
from typer.testing import CliRunner

from shiplings.board import outbox
from shiplings.board.app import create_app
from shiplings.board.security import InstructorKeys, instructor_token
from shiplings.board.settings import BoardSettings
from shiplings.cli import app as cli
from shiplings.commands.board import _new_code
from shiplings.net import free_port


def shiplings(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def board_settings(tmp_path: Path) -> BoardSettings:
    settings = BoardSettings(folder=tmp_path / "instructor" / "board", log_level="WARNING")
    InstructorKeys(settings.folder).ensure()
    return settings


def instructor(settings: BoardSettings) -> dict[str, str]:
    """The instructor's headers, signed with the board's own key (sign-in itself is tested in test_board_app)."""
    token = instructor_token(InstructorKeys(settings.folder).load(), 1)
    return {"Authorization": f"Bearer {token}"}


def join_code(settings: BoardSettings) -> str:
    return asyncio.run(_new_code(settings, 1))["code"]


def my_row() -> dict:
    joined = outbox.membership()
    return httpx.get(f"{joined['url']}/api/me", headers={"Authorization": f"Bearer {joined['token']}"}).json()


def wait_for(condition, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def a_result(lesson: str = "01_hello", passed: bool = False):
    check = SimpleNamespace(test="test_hello", outcome="passed" if passed else "failed", duration=0.2,
                            retired=False, message="your code, never sent")
    return SimpleNamespace(lesson=lesson, passed=passed, duration=1.5, checks=[check], problem="")


def test_nothing_happens_before_joining(tiny_course: Path, monkeypatch) -> None:
    monkeypatch.setattr(outbox, "start_sender", lambda: pytest.fail("a sender started for a learner who never joined"))
    outbox.report_run("check", a_result())
    assert not (tiny_course / ".shiplings" / outbox.OUTBOX).exists()


def test_join_then_a_board_that_is_down_costs_the_check_nothing_and_gets_every_report_once(
        tiny_course: Path, board_settings: BoardSettings, monkeypatch) -> None:
    port = free_port()
    with serving(create_app(board_settings), port=port) as url:
        joined = shiplings("join", url, join_code(board_settings), "--name", "Ada")
        assert joined.exit_code == 0, joined.output
        assert "You joined the board" in joined.output
    # the board is down now
    assert shiplings("start", "1").exit_code == 0
    checked = shiplings("check", "1")
    assert checked.exit_code == 1, checked.output  # the starter fails, as it should: and nothing else
    # the whole cost of the board to a learner's command: a line in the outbox and a detached
    # sender; nothing in the command itself waits on the board
    send_queued = outbox.send_queued
    monkeypatch.setattr(outbox, "send_queued", lambda *args, **kwargs: pytest.fail("sent by the learner's command"))
    outbox.report_run("check", a_result())
    monkeypatch.setattr(outbox, "send_queued", send_queued)
    assert [each["kind"] for each in outbox.queued()] == ["check", "check"]
    assert "never sent" not in (tiny_course / ".shiplings" / outbox.OUTBOX).read_text()
    assert wait_for(senders_done, 30)
    assert len(outbox.queued()) == 2  # the sender found the board down and kept them
    with serving(create_app(board_settings), port=port):
        assert shiplings("check", "1").exit_code == 1  # the next report takes the queued ones along
        assert wait_for(lambda: my_row()["lessons"].get("01_hello", {}).get("runs") == 3)
        assert wait_for(lambda: outbox.queued() == [])
        assert outbox.send_queued() == 0
        time.sleep(0.3)
        assert my_row()["lessons"]["01_hello"]["runs"] == 3


def senders_done() -> bool:
    """No background sender of this test's is running any more."""
    for cmdline in Path("/proc").glob("*/cmdline"):
        try:
            if b"shiplings.board.outbox" in cmdline.read_bytes():
                return False
        except OSError:
            continue
    return True


def test_an_acknowledgement_lost_on_the_way_counts_once(tiny_course: Path, board_settings: BoardSettings) -> None:
    with serving(create_app(board_settings)) as url:
        assert shiplings("join", url, join_code(board_settings), "--name", "Bo").exit_code == 0
        finding = SimpleNamespace(what="Chromium", ok=False, needed_by="lessons 12-15")
        outbox.report_doctor([finding], passed=False)
        assert wait_for(lambda: my_row()["doctor"] is not None)
        # as if the board had stored the report but its answer never arrived: the same report again
        path = tiny_course / ".shiplings" / outbox.OUTBOX
        outbox._queue({"kind": "check", "lesson": "01_hello", "passed": True, "duration": 1.0, "checks": []})
        # and its sender gone: one still running would send the report below before this test does
        assert wait_for(lambda: outbox.queued() == [] and senders_done())
        lost = {"key": "lost-ack-0001", "kind": "check", "lesson": "01_hello", "passed": False, "duration": 1.0,
                "checks": [], "at": time.time()}
        for _ in range(2):
            path.write_text(json.dumps(lost) + "\n")
            assert outbox.send_queued() == 1
        row = my_row()
        assert row["lessons"]["01_hello"]["runs"] == 2
        assert row["doctor"] == {"passed": False, "failing": ["Chromium"], "at": row["doctor"]["at"]}


def test_a_board_that_never_answers_keeps_the_report_queued(tiny_course: Path, monkeypatch) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()  # accepts connections, never answers
    threading.Thread(target=lambda: silent.accept(), daemon=True).start()
    url = f"http://127.0.0.1:{silent.getsockname()[1]}"
    outbox.save_membership(url, "a-token", 1, "Ada")
    send_queued = outbox.send_queued
    monkeypatch.setattr(outbox, "send_queued", lambda *args, **kwargs: pytest.fail("sent by the learner's command"))
    outbox.report_run("check", a_result())  # only queued: a detached process sends, and waits on the board
    assert len(outbox.queued()) == 1
    monkeypatch.setattr(outbox, "REQUEST_SECONDS", 0.5)
    assert send_queued() == 0
    assert len(outbox.queued()) == 1
    silent.close()


def test_leave_stops_reporting(tiny_course: Path) -> None:
    outbox.save_membership("http://127.0.0.1:9", "a-token", 1, "Ada")
    assert shiplings("join", "--leave").exit_code == 0
    outbox.report_run("check", a_result())
    assert outbox.queued() == []


def test_join_says_why_a_code_is_refused(tiny_course: Path, board_settings: BoardSettings) -> None:
    with serving(create_app(board_settings)) as url:
        refused = shiplings("join", url, "AAAA-BBBB", "--name", "Ada")
    assert refused.exit_code == 2
    assert "not known" in refused.output
    assert outbox.membership() is None


def test_a_removed_learner_stops_reporting_and_join_says_why(tiny_course: Path, board_settings: BoardSettings) -> None:
    with serving(create_app(board_settings)) as url:
        assert shiplings("join", url, join_code(board_settings), "--name", "Ada").exit_code == 0
        status = shiplings("join")
        assert status.exit_code == 0 and f"You report to the board at {url} as Ada" in status.output
        joined = outbox.membership()
        removed = httpx.delete(f"{url}/api/learners/{joined['learner_id']}", headers=instructor(board_settings))
        assert removed.status_code == 200, removed.text
        path = tiny_course / ".shiplings" / outbox.OUTBOX
        path.write_text(json.dumps({"key": "after-removal-1", "kind": "check", "lesson": "01_hello", "passed": False,
                                    "duration": 1.0, "checks": [], "at": time.time()}) + "\n")
        assert outbox.send_queued() == 0
    assert outbox.queued() == [] and outbox.membership() is None  # no later check queues or sends
    outbox.report_run("check", a_result())
    assert outbox.queued() == []
    told = shiplings("join")
    assert told.exit_code == 1
    assert "no longer takes your results (Ada)" in told.output and "instructor removed you" in told.output


def test_join_finds_out_about_a_removal_before_any_report(tiny_course: Path, board_settings: BoardSettings) -> None:
    with serving(create_app(board_settings)) as url:
        assert shiplings("join", url, join_code(board_settings), "--name", "Bo").exit_code == 0
        httpx.delete(f"{url}/api/learners/{outbox.membership()['learner_id']}", headers=instructor(board_settings))
        told = shiplings("join")
        assert told.exit_code == 1 and "instructor removed you" in told.output
        assert outbox.membership() is None
        again = shiplings("join", url, join_code(board_settings), "--name", "Bo")  # a new code lets them back
        assert again.exit_code == 0 and outbox.removal() is None
