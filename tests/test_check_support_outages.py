"""checks/support/outages.py: the learner's limits, shortened for an outage, and a PostgreSQL started early.

Proved on the real lessons (04, 09, 10) by `shiplings dev check`; these tests pin down what
each helper promises, on modules and servers made up here (and one real PostgreSQL).
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from types import ModuleType, SimpleNamespace

import pytest

from shiplings import services, tools

LIMITS = {"CONNECT_TIMEOUT_SECONDS": 0.5, "STATEMENT_TIMEOUT_SECONDS": 1.0}


pytestmark = pytest.mark.usefixtures("on_the_checks_path")  # tests/conftest.py


def learner_module(**constants) -> ModuleType:
    module = ModuleType("app.core.db")
    for name, value in constants.items():
        setattr(module, name, value)
    return module


def test_limits_of_reads_the_constants_as_seconds_and_names_what_is_wrong():
    from support.outages import limits_of

    module = learner_module(CONNECT_TIMEOUT_SECONDS=2, STATEMENT_TIMEOUT_SECONDS=4.0)
    assert limits_of(module, LIMITS) == {"CONNECT_TIMEOUT_SECONDS": 2.0, "STATEMENT_TIMEOUT_SECONDS": 4.0}
    for wrong, says in ((learner_module(CONNECT_TIMEOUT_SECONDS=2), "defines no such name"),
                        (learner_module(CONNECT_TIMEOUT_SECONDS=2, STATEMENT_TIMEOUT_SECONDS="4"), "it is '4'"),
                        (learner_module(CONNECT_TIMEOUT_SECONDS=2, STATEMENT_TIMEOUT_SECONDS=True), "it is True")):
        with pytest.raises(AssertionError) as failure:
            limits_of(wrong, LIMITS)
        assert "app/core/db.py should define STATEMENT_TIMEOUT_SECONDS" in str(failure.value)
        assert says in str(failure.value)


@pytest.mark.parametrize(("factor", "expected"), [
    ("1", {"CONNECT_TIMEOUT_SECONDS": 0.5, "STATEMENT_TIMEOUT_SECONDS": 1.0}),
    ("1.5", {"CONNECT_TIMEOUT_SECONDS": 0.75, "STATEMENT_TIMEOUT_SECONDS": 1.5}),
    # stretched at most MOST_STRETCH times, and never beyond the learner's own value
    ("10", {"CONNECT_TIMEOUT_SECONDS": 1.5, "STATEMENT_TIMEOUT_SECONDS": 2.5}),
])
def test_shortened_limits_stretch_on_a_busy_machine_up_to_a_cap(monkeypatch, factor, expected):
    from support.outages import MOST_STRETCH, shortened_limits

    assert MOST_STRETCH == 3
    monkeypatch.setenv("SHIPLINGS_TIMEOUT_FACTOR", factor)
    module = learner_module(CONNECT_TIMEOUT_SECONDS=2.0, STATEMENT_TIMEOUT_SECONDS=2.5, RETRY_AFTER_SECONDS=5)
    with pytest.MonkeyPatch.context() as check:
        assert shortened_limits(module, LIMITS, check) == pytest.approx(expected)
        assert module.CONNECT_TIMEOUT_SECONDS == pytest.approx(expected["CONNECT_TIMEOUT_SECONDS"])
        assert module.STATEMENT_TIMEOUT_SECONDS == pytest.approx(expected["STATEMENT_TIMEOUT_SECONDS"])
    # the check's monkeypatch gives the learner's values back; what it was not asked to shorten stays
    restored = module.CONNECT_TIMEOUT_SECONDS, module.STATEMENT_TIMEOUT_SECONDS, module.RETRY_AFTER_SECONDS
    assert restored == (2.0, 2.5, 5)


def test_a_learner_limit_shorter_than_the_checks_is_kept(monkeypatch):
    from support.outages import shortened_limits

    monkeypatch.setenv("SHIPLINGS_TIMEOUT_FACTOR", "1")
    module = learner_module(CONNECT_TIMEOUT_SECONDS=0.1, STATEMENT_TIMEOUT_SECONDS=4)
    with pytest.MonkeyPatch.context() as check:
        assert shortened_limits(module, LIMITS, check) == {"CONNECT_TIMEOUT_SECONDS": 0.1,
                                                           "STATEMENT_TIMEOUT_SECONDS": 1.0}


# --- EarlyPostgres, on a stand-in for services.postgres() ------------------------------------

class StandIn:
    """services.postgres() as the early start sees it, recording what happens to each server."""

    def __init__(self, fails: BaseException | None = None) -> None:
        self.fails = fails
        self.events: list[str] = []
        self.threads: list[str] = []

    @contextlib.contextmanager
    def postgres(self):
        self.threads.append(threading.current_thread().name)
        if self.fails is not None:
            raise self.fails
        self.events.append("started")
        try:
            yield services.Postgres(port=54321)
        finally:
            self.events.append("stopped")


def selecting(*checks: str) -> SimpleNamespace:
    """A pytest session whose run selected these checks (and another one)."""
    items = [SimpleNamespace(name=name, originalname=name) for name in (*checks, "test_something_else")]
    return SimpleNamespace(items=items)


@pytest.fixture
def stand_in(monkeypatch):
    from support import outages

    fake = StandIn()
    migrated: list[str] = []
    monkeypatch.setattr(outages.services, "postgres", fake.postgres)
    monkeypatch.setattr(outages.EarlyPostgres, "_migrate", lambda self, url: migrated.append(url))
    fake.migrated = migrated
    return fake


def test_the_check_takes_a_started_and_migrated_server_and_stops_it_itself(stand_in):
    from support.outages import early_postgres

    with early_postgres(selecting("test_outage"), "test_outage") as early:
        server, postgres = early.take()
        assert stand_in.threads == ["early-postgres"]  # started in the background, not by the check
        assert postgres.port == 54321 and stand_in.migrated == [postgres.url()]
        assert stand_in.events == ["started"]
        server.__exit__(None, None, None)  # the outage: the check stops it
    assert stand_in.events == ["started", "stopped"]  # once: the end of the run leaves a taken server alone


def test_a_server_nobody_took_is_stopped_at_the_end_of_the_run(stand_in):
    from support.outages import early_postgres

    with early_postgres(selecting("test_outage"), "test_outage") as early:
        assert early is not None
    assert stand_in.events == ["started", "stopped"]


def test_nothing_starts_when_the_run_does_not_select_the_check(stand_in):
    from support.outages import early_postgres

    with early_postgres(selecting("test_postgresql"), "test_outage") as early:
        assert early is None
    assert stand_in.threads == [] and stand_in.events == []


def test_a_failed_start_is_raised_in_the_check_that_takes_it(stand_in):
    from support.outages import early_postgres

    stand_in.fails = services.ServiceUnavailable("postgresql")
    with early_postgres(selecting("test_outage"), "test_outage") as early:
        with pytest.raises(services.ServiceUnavailable) as failure:
            early.take()
    assert failure.value is stand_in.fails  # the very error, so the check "cannot run" as before
    assert stand_in.migrated == [] and stand_in.events == []


def test_a_failed_migration_is_raised_in_the_taker_and_its_server_stopped(monkeypatch, stand_in):
    from support import outages

    def fails(self, url):
        raise AssertionError("`alembic upgrade head` failed in your workspace, ...")

    monkeypatch.setattr(outages.EarlyPostgres, "_migrate", fails)
    with outages.early_postgres(selecting("test_outage"), "test_outage") as early:
        with pytest.raises(AssertionError, match="alembic upgrade head"):
            early.take()
        assert stand_in.events == ["started", "stopped"]
    assert stand_in.events == ["started", "stopped"]


def test_the_migration_runs_alembic_in_the_workspace_and_says_how_it_failed(tmp_path, monkeypatch):
    from support.outages import EarlyPostgres

    monkeypatch.setenv("SHIPLINGS_WORKSPACE", str(tmp_path))  # no alembic.ini there: Alembic fails
    early = EarlyPostgres()
    monkeypatch.setenv("TASKS_SET_LATER", "1")
    assert "TASKS_SET_LATER" not in early.env  # read when made, never while the checks change os.environ
    with pytest.raises(AssertionError) as failure:
        early._migrate("postgresql+asyncpg://postgres@127.0.0.1:1/postgres")
    assert str(failure.value).startswith("`alembic upgrade head` failed in your workspace")


# --- a real PostgreSQL -------------------------------------------------------------------------

def port_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.skipif(tools.find("postgresql") is None and not os.environ.get("CI"), reason="postgresql is not installed")
def test_a_real_early_server_is_handed_over_or_stopped(monkeypatch):
    from support import outages

    monkeypatch.setattr(outages.EarlyPostgres, "_migrate", lambda self, url: None)  # no workspace here
    with outages.early_postgres(selecting("test_outage"), "test_outage") as early:
        server, postgres = early.take()
        assert port_open(postgres.port) and outages.postgres_processes(postgres.port)
    assert port_open(postgres.port)  # the check took it: stopping it is the check's
    server.__exit__(None, None, None)
    assert not port_open(postgres.port)

    with outages.early_postgres(selecting("test_outage"), "test_outage") as early:
        early.thread.join()
        untaken = early.postgres
        assert port_open(untaken.port)
    assert not port_open(untaken.port) and not outages.postgres_processes(untaken.port)
