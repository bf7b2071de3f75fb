"""Real PostgreSQL, Redis and app servers start on free ports and stop by pid."""

import os
import socket
import sys
import textwrap
import time

import pytest

from shiplings import services, tools


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def needs(name: str):
    missing = tools.find(name) is None
    # in CI a missing server is a broken set-up, never a skip
    return pytest.mark.skipif(missing and not os.environ.get("CI"), reason=f"{name} is not installed")


@needs("postgresql")
def test_postgres_starts_answers_and_stops():
    with services.postgres() as server:
        assert port_open(server.port)
        assert server.url().startswith("postgresql+asyncpg://postgres@127.0.0.1:")
        with socket.create_connection(("127.0.0.1", server.port)):
            pass
    assert not port_open(server.port)


@needs("postgresql")
def test_postgres_runs_initdb_once_and_every_server_gets_its_own_copy(tmp_path, monkeypatch):
    monkeypatch.setenv("SHIPLINGS_STATE", str(tmp_path / "state"))
    initdb_runs = []
    run = services.lifeline.run

    def counting(command, **options):
        initdb_runs.extend(part for part in command[:1] if part.endswith("initdb"))
        return run(command, **options)

    monkeypatch.setattr(services.lifeline, "run", counting)
    for _ in range(2):
        with services.postgres() as server:
            with socket.create_connection(("127.0.0.1", server.port)) as conn:
                startup = b"\x00\x03\x00\x00user\x00postgres\x00database\x00postgres\x00\x00"
                conn.sendall((len(startup) + 4).to_bytes(4, "big") + startup)
                assert conn.recv(1) == b"R"  # logged in: the copy is a working cluster
    assert len(initdb_runs) == 1
    [template] = (tmp_path / "state" / "cache" / "postgres").glob("*/PG_VERSION")
    assert not (template.parent / "postmaster.pid").exists()  # the servers ran on copies, never on it


@needs("redis")
def test_redis_starts_answers_and_stops():
    with services.redis() as url:
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        with socket.create_connection(("127.0.0.1", port)) as conn:
            conn.sendall(b"PING\r\n")
            assert conn.recv(16) == b"+PONG\r\n"
    assert not port_open(port)


def test_app_server_runs_the_workspace_app(tmp_path):
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        from fastapi import FastAPI
        app = FastAPI()
        @app.get("/ping")
        def ping():
            return {"pong": True}
    """))
    import httpx

    with services.app_server(["uvicorn", "main:app", "--port", "{port}"], cwd=tmp_path) as running:
        assert httpx.get(running.url + "/ping").json() == {"pong": True}
    assert running.process.returncode is not None and not port_open(running.port)


def test_an_app_that_crashes_at_start_says_what_it_printed(tmp_path):
    (tmp_path / "main.py").write_text("raise RuntimeError('no config')\n")
    with pytest.raises(RuntimeError) as error:
        with services.app_server(["uvicorn", "main:app", "--port", "{port}"], cwd=tmp_path):
            pass
    assert "no config" in str(error.value)


def test_a_missing_tool_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(tools, "find", lambda name: None)
    with pytest.raises(services.ServiceUnavailable) as error:
        with services.redis():
            pass
    assert str(error.value).startswith("cannot run: redis is not installed")
    assert "shiplings doctor" in str(error.value) and tools.fix_for("redis") in str(error.value)
    assert error.value.tool == "redis"


def write_environment_app(folder, **names: str) -> None:
    """folder/main.py: an app whose GET /key answers {name: the variable it names, or None}."""
    (folder / "main.py").write_text(textwrap.dedent(f"""
        import os
        from fastapi import FastAPI
        app = FastAPI()
        @app.get("/key")
        def key():
            return {{name: os.environ.get(variable) for name, variable in {names!r}.items()}}
    """))


def test_app_server_can_remove_a_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("TASKS_SECRET_KEY", "from-the-parent")
    write_environment_app(tmp_path, key="TASKS_SECRET_KEY", extra="EXTRA")
    import httpx

    env = {"TASKS_SECRET_KEY": None, "EXTRA": "yes"}
    with services.app_server(["uvicorn", "main:app", "--port", "{port}"], cwd=tmp_path, env=env) as running:
        assert httpx.get(running.url + "/key").json() == {"key": None, "extra": "yes"}


def test_app_server_takes_the_environment_of_the_moment_it_was_asked_for(tmp_path, monkeypatch):
    """A check may enter a server in a background thread while other checks change os.environ."""
    monkeypatch.setenv("TASKS_SECRET_KEY", "when-asked")
    write_environment_app(tmp_path, key="TASKS_SECRET_KEY", later="LATER")
    import httpx

    server = services.app_server(["uvicorn", "main:app", "--port", "{port}"], cwd=tmp_path)
    monkeypatch.setenv("TASKS_SECRET_KEY", "a-check-changed-it")
    monkeypatch.setenv("LATER", "set-after")
    with server as running:
        assert httpx.get(running.url + "/key").json() == {"key": "when-asked", "later": None}


def test_a_slow_starting_app_is_waited_for_while_it_works(tmp_path, monkeypatch):
    """More real work at start-up than its time limit allows (an overloaded machine): it still starts."""
    monkeypatch.setenv("SHIPLINGS_TIMEOUT_FACTOR", "1")
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        import time
        from fastapi import FastAPI
        started = time.process_time()
        while time.process_time() - started < 2:
            pass
        app = FastAPI()
        @app.get("/ping")
        def ping():
            return {"pong": True}
    """))
    with services.app_server(["uvicorn", "main:app", "--port", "{port}"], cwd=tmp_path, ready_path="/ping",
                             timeout=1, ceiling=30) as running:
        assert port_open(running.port)


def test_an_app_that_hangs_at_start_is_reported_as_waiting_in_its_time(tmp_path, monkeypatch):
    monkeypatch.setenv("SHIPLINGS_TIMEOUT_FACTOR", "1")
    (tmp_path / "main.py").write_text("import time\ntime.sleep(1000)\n")
    started = time.monotonic()
    with pytest.raises(TimeoutError) as error:
        with services.app_server(["uvicorn", "main:app", "--port", "{port}"], cwd=tmp_path, timeout=3):
            pass
    assert "did not answer" in str(error.value) and "used no CPU" in str(error.value)
    assert time.monotonic() - started < 10


def test_a_server_that_never_listens_is_reported_as_waiting(monkeypatch):
    from shiplings import lifeline
    from shiplings.net import free_port

    monkeypatch.setenv("SHIPLINGS_TIMEOUT_FACTOR", "1")
    idle = lifeline.spawn(["sleep", "60"])
    try:
        with pytest.raises(TimeoutError) as error:
            services.wait_for_port(free_port(), idle, timeout=1, what="The sleeper")
        assert "The sleeper did not listen" in str(error.value) and "used no CPU" in str(error.value)
    finally:
        lifeline.stop(idle, grace=0)


def test_a_server_that_stops_keeps_all_it_printed_for_the_check(tmp_path):
    # two gunicorn workers each print a traceback: the reason is in the first, far from the end
    script = tmp_path / "stops.py"
    script.write_text("print('the reason: TASKS_SECRET_KEY is missing')\nprint('x' * 5000)\nraise SystemExit(3)\n")
    with pytest.raises(services.AppStopped) as stopped:
        with services.app_server([sys.executable, str(script)], cwd=tmp_path):
            pass
    assert "TASKS_SECRET_KEY is missing" in stopped.value.output
    assert "stopped before it answered" in str(stopped.value) and len(str(stopped.value)) < 2200


def test_servers_started_in_background_start_in_order_and_stop_last_first_after_the_thread():
    import contextlib
    import threading

    said, in_main_thread = [], set()

    @contextlib.contextmanager
    def server(name: str, fails: bool = False):
        said.append(f"start {name}")
        in_main_thread.add(threading.current_thread() is threading.main_thread())
        if fails:
            raise RuntimeError(f"{name} could not start")
        time.sleep(0.05)
        yield name
        said.append(f"stop {name}")

    with services.started_in_background() as start:
        first, broken, last = start(server("logs")), start(server("broken", fails=True)), start(server("metrics"))
        assert first.result(timeout=5) == "logs"
        with pytest.raises(RuntimeError, match="broken could not start"):
            broken.result(timeout=5)
    # the block ended while "metrics" might still have been starting: it started, then everything stopped
    assert last.result() == "metrics"
    assert said == ["start logs", "start broken", "start metrics", "stop metrics", "stop logs"]
    assert in_main_thread == {False}
