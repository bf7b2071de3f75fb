"""The board's server (shiplings.board.app): security rules, reports, persistence, live updates."""

from __future__ import annotations

import json
import time
import uuid
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from board_helpers import serving

from shiplings.board.app import SESSION_COOKIE, create_app
from shiplings.board.security import InstructorKeys
from shiplings.board.settings import BoardSettings
from shiplings.board.summary import LessonInfo

pytestmark = pytest.mark.anyio

LESSONS = [
    LessonInfo("01_hello", "01", "Hello", 15, {"test_hello": "GET /hello says hello"}),
    LessonInfo("02_bye", "02", "Bye", 10, {"test_bye": "GET /bye says bye"}),
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(tmp_path: Path) -> BoardSettings:
    return BoardSettings(folder=tmp_path / "board", update_seconds=0.05, log_json=True)


@pytest.fixture
def secret(settings: BoardSettings) -> str:
    return InstructorKeys(settings.folder).ensure()


@asynccontextmanager
async def running(settings: BoardSettings):
    app = create_app(settings, LESSONS)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://board") as client:
            yield client


@pytest.fixture
async def client(settings: BoardSettings, secret: str):
    async with running(settings) as client:
        yield client


async def instructor_headers(client: httpx.AsyncClient, secret: str) -> dict[str, str]:
    response = await client.post("/api/instructor/session", json={"secret": secret})
    assert response.status_code == 200, response.text
    assert response.cookies[SESSION_COOKIE] == response.json()["token"]  # for the page's EventSource
    client.cookies.clear()  # the tests say who they are in a header
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def join(client: httpx.AsyncClient, secret: str, name: str = "Ada") -> dict[str, str]:
    headers = await instructor_headers(client, secret)
    code = (await client.post("/api/codes", json={"hours": 1}, headers=headers)).json()["code"]
    response = await client.post("/api/join", json={"code": code, "name": name})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def report(lesson: str = "01_hello", passed: bool = False, test: str = "test_hello", **changes) -> dict:
    return {"key": uuid.uuid4().hex, "kind": "check", "lesson": lesson, "passed": passed, "duration": 0.8,
            "checks": [{"test": test, "outcome": "passed" if passed else "failed", "duration": 0.1}],
            "at": time.time()} | changes


async def test_health_and_ready(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    assert (await client.get("/ready")).json() == {"status": "ready"}


async def test_an_expired_code_is_refused(client: httpx.AsyncClient, secret: str) -> None:
    headers = await instructor_headers(client, secret)
    code = (await client.post("/api/codes", json={"hours": 0.0001}, headers=headers)).json()["code"]
    time.sleep(0.5)  # 0.36 s code lifetime
    response = await client.post("/api/join", json={"code": code, "name": "Late"})
    assert response.status_code == 410
    assert response.json()["error"]["code"] == "gone"
    assert "expired" in response.json()["error"]["message"]
    unknown = await client.post("/api/join", json={"code": "AAAA-BBBB", "name": "Guess"})
    assert unknown.status_code == 404


async def test_a_code_is_typed_loosely(client: httpx.AsyncClient, secret: str) -> None:
    headers = await instructor_headers(client, secret)
    code = (await client.post("/api/codes", json={"hours": 1}, headers=headers)).json()["code"]
    response = await client.post("/api/join", json={"code": code.lower().replace("-", " "), "name": "Bo"})
    assert response.status_code == 201


async def test_a_learner_reads_only_their_own_row(client: httpx.AsyncClient, secret: str) -> None:
    ada = await join(client, secret, "Ada")
    bob = await join(client, secret, "Bob")
    await client.post("/api/reports", json={"reports": [report()]}, headers=ada)
    mine = (await client.get("/api/me", headers=ada)).json()
    assert mine["name"] == "Ada" and mine["current_lesson"] == "01_hello"
    bob_id = (await client.get("/api/me", headers=bob)).json()["id"]
    refused = await client.get(f"/api/learners/{bob_id}", headers=ada)
    assert refused.status_code == 403
    assert "Bob" not in refused.text
    assert (await client.get(f"/api/learners/{mine['id']}", headers=ada)).json()["name"] == "Ada"


async def test_instructor_endpoints_refuse_learner_tokens(client: httpx.AsyncClient, secret: str) -> None:
    ada = await join(client, secret)
    for path in ("/api/board", "/api/export.csv", "/api/export.json"):
        response = await client.get(path, headers=ada)
        assert response.status_code == 403, path
        assert response.json()["error"]["code"] == "forbidden"
    assert (await client.post("/api/codes", json={}, headers=ada)).status_code == 403
    nobody = await client.get("/api/board")
    assert nobody.status_code == 401 and nobody.headers["www-authenticate"] == "Bearer"
    # and the instructor's token is no learner token
    teacher = await instructor_headers(client, secret)
    assert (await client.post("/api/reports", json={"reports": [report()]}, headers=teacher)).status_code == 401


async def test_a_wrong_secret_is_refused_and_sign_in_is_rate_limited(client: httpx.AsyncClient, secret: str) -> None:
    statuses = [(await client.post("/api/instructor/session", json={"secret": "guess"})).status_code
                for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    limited = await client.post("/api/instructor/session", json={"secret": secret})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1


async def test_a_forged_instructor_token_is_refused(client: httpx.AsyncClient) -> None:
    import jwt

    forged = jwt.encode({"sub": "instructor", "role": "instructor", "exp": time.time() + 60}, "a guess" * 5)
    response = await client.get("/api/board", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


async def test_malformed_and_oversized_reports_are_refused(client: httpx.AsyncClient, secret: str) -> None:
    ada = await join(client, secret)
    with_output = report() | {"output": "def my_code(): ..."}
    response = await client.post("/api/reports", json={"reports": [with_output]}, headers=ada)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "body.reports.0.output"
    assert "my_code" not in response.text  # the rejected value is never echoed
    for bad in (report(lesson="../etc"), report(kind="shell"), report(duration=-1), report(key="x")):
        assert (await client.post("/api/reports", json={"reports": [bad]}, headers=ada)).status_code == 422
    huge = {"reports": [report(test="t" * 100) | {"checks": [{"test": "t" * 100, "outcome": "failed"}] * 60}] * 50}
    assert len(json.dumps(huge)) > 64 * 1024
    response = await client.post("/api/reports", json=huge, headers=ada)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert (await client.get("/api/me", headers=ada)).json()["current_lesson"] is None


async def test_reports_are_rate_limited_per_learner(tmp_path: Path) -> None:
    settings = BoardSettings(folder=tmp_path / "board", report_rate_limit="3/minute")
    secret = InstructorKeys(settings.folder).ensure()
    async with running(settings) as client:
        ada = await join(client, secret, "Ada")
        bob = await join(client, secret, "Bob")
        statuses = [(await client.post("/api/reports", json={"reports": [report()]}, headers=ada)).status_code
                    for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        # another learner on the same address is not held back
        assert (await client.post("/api/reports", json={"reports": [report()]}, headers=bob)).status_code == 200


async def test_a_report_sent_twice_counts_once(client: httpx.AsyncClient, secret: str) -> None:
    ada = await join(client, secret)
    once = report()
    first = await client.post("/api/reports", json={"reports": [once]}, headers=ada)
    again = await client.post("/api/reports", json={"reports": [once, report()]}, headers=ada)
    assert first.json()["stored"] == 1
    assert again.json() | {"keys": None} == {"stored": 1, "duplicates": 1, "keys": None}
    board = (await client.get("/api/board", headers=await instructor_headers(client, secret))).json()
    assert board["learners"][0]["lessons"]["01_hello"]["runs"] == 2


async def test_the_board_shows_stuck_learners_failing_checks_and_doctor(client: httpx.AsyncClient,
                                                                         secret: str) -> None:
    ada = await join(client, secret, "Ada")
    bob = await join(client, secret, "Bob")
    for _ in range(3):
        await client.post("/api/reports", json={"reports": [report()]}, headers=ada)
    await client.post("/api/reports", json={"reports": [report()]}, headers=bob)
    doctor = {"key": uuid.uuid4().hex, "kind": "doctor", "passed": False, "duration": 1.0, "at": time.time(),
              "checks": [{"test": "Python", "outcome": "passed"}, {"test": "Chromium", "outcome": "failed"}]}
    await client.post("/api/reports", json={"reports": [doctor]}, headers=bob)
    board = (await client.get("/api/board", headers=await instructor_headers(client, secret))).json()
    rows = {row["name"]: row for row in board["learners"]}
    assert rows["Ada"]["stuck"] == "'GET /hello says hello' failed 3 times in a row"
    assert rows["Bob"]["stuck"] is None
    assert rows["Bob"]["doctor"]["passed"] is False and rows["Bob"]["doctor"]["failing"] == ["Chromium"]
    assert board["failing_now"] == [{"lesson": "01_hello", "test": "test_hello", "learners": 2,
                                     "name": "GET /hello says hello"}]
    assert board["counts"] | {} == {"learners": 2, "stuck": 1, "doctor_ok": 0, "doctor_failing": 1}


async def test_idle_past_the_planned_minutes_is_stuck(client: httpx.AsyncClient, secret: str) -> None:
    ada = await join(client, secret)
    started = time.time() - 20 * 60  # lesson 01 plans 15 minutes
    await client.post("/api/reports", json={"reports": [report(at=started)]}, headers=ada)
    row = (await client.get("/api/me", headers=ada)).json()
    assert row["stuck"] == "no check for 20 min on lesson 01"


async def test_planned_vs_actual_minutes_export(client: httpx.AsyncClient, secret: str) -> None:
    ada = await join(client, secret)
    start = time.time() - 12 * 60
    await client.post("/api/reports", json={"reports": [report(at=start), report(passed=True, now_on="02_bye")]},
                      headers=ada)
    teacher = await instructor_headers(client, secret)
    csv_text = (await client.get("/api/export.csv", headers=teacher)).text
    lines = csv_text.splitlines()
    assert lines[0] == ("lesson,title,planned_minutes,median_actual_minutes,slowest_minutes,"
                        "learners_started,learners_done")
    assert lines[1] == "01_hello,Hello,15,12.0,12.0,1,1"
    assert lines[2].startswith("02_bye,Bye,10,,,1,0")
    exported = (await client.get("/api/export.json", headers=teacher)).json()
    assert exported["timing"][0]["median_actual_minutes"] == 12.0
    assert exported["learners"][0]["lessons"]["01_hello"]["status"] == "done"
    assert (await client.get("/api/me", headers=ada)).json()["current_lesson"] == "02_bye"


async def test_the_board_survives_a_restart(settings: BoardSettings, secret: str) -> None:
    async with running(settings) as client:
        ada = await join(client, secret)
        await client.post("/api/reports", json={"reports": [report(passed=True)]}, headers=ada)
    assert (settings.folder / "board.db").is_file()
    async with running(settings) as client:
        row = (await client.get("/api/me", headers=ada)).json()  # the token still works
        assert row["lessons"]["01_hello"]["status"] == "done"
        teacher = await instructor_headers(client, secret)  # and so does the secret
        assert (await client.get("/api/board", headers=teacher)).json()["counts"]["learners"] == 1


async def test_server_sent_events_deliver_an_update(settings: BoardSettings, secret: str) -> None:
    with serving(create_app(settings, LESSONS)) as url:
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            ada = await join(client, secret)
            teacher = await instructor_headers(client, secret)
            async with client.stream("GET", "/api/events", headers=teacher) as stream:
                assert stream.headers["content-type"].startswith("text/event-stream")
                events = stream.aiter_lines()
                first = await next_board(events)
                assert first["learners"][0]["current_lesson"] is None
                await client.post("/api/reports", json={"reports": [report()]}, headers=ada)
                second = await next_board(events)
                assert second["learners"][0]["current_lesson"] == "01_hello"


async def next_board(lines) -> dict:
    async for line in lines:
        if line.startswith("data: "):
            return json.loads(line.removeprefix("data: "))
    raise AssertionError("the event stream ended")


async def test_logs_are_json_lines_without_tokens(client: httpx.AsyncClient, secret: str) -> None:
    import io
    import logging

    import structlog

    from shiplings.board.logs import HANDLER_NAME, configure_logging

    written = io.StringIO()
    configure_logging("INFO", json_logs=True, stream=written)
    try:
        ada = await join(client, secret)
        await client.post("/api/reports", json={"reports": [report()]}, headers=ada)
    finally:  # logging is global: leave it as the other tests found it
        structlog.reset_defaults()
        root = logging.getLogger()
        for handler in [known for known in root.handlers if known.get_name() == HANDLER_NAME]:
            root.removeHandler(handler)
    lines = [json.loads(line) for line in written.getvalue().splitlines()]
    access = [line for line in lines if line.get("event") == "request"]
    assert (access[-1]["method"], access[-1]["path"], access[-1]["status"]) == ("POST", "/api/reports", 200)
    assert access[-1]["duration_ms"] >= 0 and access[-1]["level"] == "info"
    assert ada["Authorization"].split()[1] not in written.getvalue()


async def test_a_removed_learner_is_refused_and_leaves_the_board(settings: BoardSettings, secret: str) -> None:
    async with running(settings) as client:
        ada = await join(client, secret, "Ada")
        bob = await join(client, secret, "Bob")
        for _ in range(3):
            await client.post("/api/reports", json={"reports": [report()]}, headers=ada)
        teacher = await instructor_headers(client, secret)
        ada_id = (await client.get("/api/me", headers=ada)).json()["id"]
        # only the instructor removes
        assert (await client.delete(f"/api/learners/{ada_id}", headers=bob)).status_code == 403
        removed = await client.delete(f"/api/learners/{ada_id}", headers=teacher)
        assert removed.json() == {"removed": ada_id, "name": "Ada"}
        refused = await client.post("/api/reports", json={"reports": [report()]}, headers=ada)
        assert refused.status_code == 410
        assert refused.json()["error"]["code"] == "gone"
        assert "instructor removed you" in refused.json()["error"]["message"]
        assert (await client.get("/api/me", headers=ada)).status_code == 410
        assert (await client.get(f"/api/learners/{ada_id}", headers=ada)).status_code == 410
        board = (await client.get("/api/board", headers=teacher)).json()
        assert [row["name"] for row in board["learners"]] == ["Bob"]
        assert board["counts"]["stuck"] == 0 and board["timing"][0]["learners_started"] == 0
        assert (await client.delete(f"/api/learners/{ada_id}", headers=teacher)).status_code == 404
        assert (await client.post("/api/reports", json={"reports": [report()]}, headers=bob)).status_code == 200
    async with running(settings) as client:  # a restart does not bring them back
        assert (await client.post("/api/reports", json={"reports": [report()]}, headers=ada)).status_code == 410
        board = (await client.get("/api/board", headers=await instructor_headers(client, secret))).json()
        assert [row["name"] for row in board["learners"]] == ["Bob"]
