"""shiplings.testing: the migrated template database is built once per set of migrations, and
each check's app gets its own copy of it; the in-process client runs the app's lifespan."""

from __future__ import annotations

import asyncio
import os
from types import SimpleNamespace

import pytest

from shiplings import testing


@pytest.fixture
def migrations_workspace(tmp_path, monkeypatch):
    folder = tmp_path / "workspace"
    versions = folder / "migrations" / "versions"
    versions.mkdir(parents=True)
    (folder / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s/migrations\n")
    (folder / "migrations" / "env.py").write_text("# env\n")
    (versions / "0001_tasks.py").write_text("# create table tasks\n")
    monkeypatch.setenv("SHIPLINGS_WORKSPACE", str(folder))
    monkeypatch.setenv("SHIPLINGS_STATE", str(tmp_path / "state"))
    return folder


@pytest.fixture
def alembic_runs(monkeypatch) -> list[str]:
    """Stands in for `alembic upgrade head`: records each run and writes a 'database'."""
    runs = []

    def fake_upgrade(url: str, folder=None) -> None:
        runs.append(url)
        path = url.removeprefix("sqlite+aiosqlite:///")
        with open(path, "w") as database:
            database.write(f"schema from run {len(runs)}")

    monkeypatch.setattr(testing, "run_migrations", fake_upgrade)
    return runs


def start_session(tmp_path_factory):
    session = SimpleNamespace(config=SimpleNamespace(_tmp_path_factory=tmp_path_factory, stash=pytest.Stash()))
    testing.pytest_sessionstart(session)
    return session.config.stash[testing._TEMPLATE]


def test_the_same_migrations_are_run_once_then_copied(migrations_workspace, alembic_runs, tmp_path_factory):
    first = start_session(tmp_path_factory)
    second = start_session(tmp_path_factory)
    assert len(alembic_runs) == 1, "the second run should copy the cached template"
    assert first != second and second.read_text() == first.read_text() == "schema from run 1"


def test_a_changed_migration_runs_again(migrations_workspace, alembic_runs, tmp_path_factory):
    start_session(tmp_path_factory)
    (migrations_workspace / "migrations" / "versions" / "0002_done.py").write_text("# add column done\n")
    template = start_session(tmp_path_factory)
    assert len(alembic_runs) == 2 and template.read_text() == "schema from run 2"


def test_compiled_files_do_not_change_the_key(migrations_workspace):
    before = testing.migrated_cache(migrations_workspace)
    cache = migrations_workspace / "migrations" / "versions" / "__pycache__"
    cache.mkdir()
    (cache / "0001_tasks.cpython-311.pyc").write_bytes(b"\0compiled")
    assert testing.migrated_cache(migrations_workspace) == before


def test_a_failed_migration_is_not_cached(migrations_workspace, monkeypatch, tmp_path_factory):
    def broken(url: str, folder=None) -> None:
        raise AssertionError("`alembic upgrade head` failed in your workspace")

    monkeypatch.setattr(testing, "run_migrations", broken)
    assert isinstance(start_session(tmp_path_factory), AssertionError)
    assert not testing.migrated_cache(migrations_workspace).exists()


def test_the_cache_keeps_the_newest_few(tmp_path, monkeypatch):
    monkeypatch.setattr(testing, "MIGRATION_CACHE_SIZE", 2)
    source = tmp_path / "template.db"
    source.write_text("schema")
    folder = tmp_path / "cache"
    for age, name in enumerate(["a", "b", "c"]):
        testing.keep_in_cache(source, folder / f"{name}.db")
        os.utime(folder / f"{name}.db", (1_000_000 + age, 1_000_000 + age))  # older first, whatever the clock
    assert sorted(path.name for path in folder.iterdir()) == ["b.db", "c.db"]


def test_a_copy_of_the_template_is_a_fresh_database(tmp_path):
    template = tmp_path / "template.db"
    template.write_text("migrated schema")
    url = testing.copy_template(template, tmp_path / "a.db")
    assert url == f"sqlite+aiosqlite:///{tmp_path / 'a.db'}"
    assert (tmp_path / "a.db").read_text() == "migrated schema"
    # before the workspace has migrations there is no template: the app makes the file
    assert testing.copy_template(None, tmp_path / "b.db").endswith("b.db")
    assert not (tmp_path / "b.db").exists()


def lifespan_app():
    import contextlib

    from fastapi import FastAPI

    @contextlib.asynccontextmanager
    async def lifespan(app):
        app.state.started = True
        yield

    app = FastAPI(lifespan=lifespan)

    @app.get("/started")
    async def started():
        return {"started": getattr(app.state, "started", False)}

    @app.get("/crash")
    async def crash():
        raise ZeroDivisionError("boom")

    return app


def test_the_running_client_runs_the_lifespan_and_records_what_the_app_raised():
    async def scenario(record_errors: bool) -> tuple[dict, int]:
        testing.APP_ERRORS.clear()
        async with testing.running_client(lifespan_app(), record_errors=record_errors) as http:
            started = (await http.get("/started")).json()
            crashed = await http.get("/crash")
        assert crashed.status_code == 500
        return started, len(testing.APP_ERRORS)

    assert asyncio.run(scenario(True)) == ({"started": True}, 1)
    assert asyncio.run(scenario(False)) == ({"started": True}, 0), "a crash the check causes itself is not shown"
    assert testing.CURRENT_ACTION[-1] == "GET /crash"
