"""Servers the warm helper keeps between check runs (shiplings.keep), its side and a run's."""

import contextlib
import json
import sys
import textwrap

import pytest

from shiplings import keep
from shiplings.services import ServiceUnavailable

RECIPES = '''
import contextlib
from pathlib import Path

from shiplings.services import ServiceUnavailable


@contextlib.contextmanager
def counted(log, name="server"):
    with open(log, "a") as record:
        record.write(f"start {name}\\n")
    try:
        yield {"name": name}
    finally:
        with open(log, "a") as record:
            record.write(f"stop {name}\\n")


@contextlib.contextmanager
def no_node(log):
    raise ServiceUnavailable("node")
    yield


@contextlib.contextmanager
def not_json(log):
    yield Path(log)
'''


@pytest.fixture
def recipes(tmp_path, monkeypatch):
    """A module of recipes the keeper imports by name, as the helper does; and their log."""
    folder = tmp_path / "recipes"
    folder.mkdir()
    (folder / "kept_recipes.py").write_text(textwrap.dedent(RECIPES))
    monkeypatch.syspath_prepend(str(folder))
    sys.modules.pop("kept_recipes", None)
    return folder, tmp_path / "log"


def request(folder, log, recipe="counted", fingerprint="a", fresh=False, **kwargs):
    return json.dumps({"key": "k", "fingerprint": fingerprint, "recipe": f"kept_recipes:{recipe}",
                       "root": str(folder), "kwargs": {"log": str(log), **kwargs}, "fresh": fresh})


def lines(log):
    return log.read_text().splitlines() if log.exists() else []


def test_a_kept_server_serves_the_same_fingerprint_and_is_replaced_for_another(recipes):
    folder, log = recipes
    keeper = keep.Keeper()
    assert json.loads(keeper.answer(request(folder, log, name="one"))) == {"value": {"name": "one"}, "reused": False}
    assert json.loads(keeper.answer(request(folder, log, name="one"))) == {"value": {"name": "one"}, "reused": True}
    assert lines(log) == ["start one"]
    assert json.loads(keeper.answer(request(folder, log, fingerprint="b", name="two")))["reused"] is False
    assert lines(log) == ["start one", "stop one", "start two"]
    keeper.answer(request(folder, log, fingerprint="b", fresh=True, name="three"))  # the run's probe failed
    assert lines(log)[-2:] == ["stop two", "start three"]
    keeper.close()
    assert lines(log)[-1] == "stop three"


def test_an_error_while_the_helper_starts_a_server_reaches_the_run_as_itself(recipes, monkeypatch):
    folder, log = recipes
    keeper = keep.Keeper()
    answer = json.loads(keeper.answer(request(folder, log, recipe="no_node")))
    error = keep._exception(answer)
    assert isinstance(error, ServiceUnavailable) and error.args == ServiceUnavailable("node").args
    assert keeper.kept == {}
    # a value that cannot cross the line: the recipe is left again, and the run hears why
    answer = json.loads(keeper.answer(request(folder, log, recipe="not_json")))
    assert "JSON serializable" in answer["text"] and keeper.kept == {}


def test_outside_the_helper_the_block_starts_and_stops_its_own(recipes):
    folder, log = recipes
    from kept_recipes import counted

    assert keep.channel is None
    with keep.server("k", "a", counted, log=str(log), name="mine") as (value, reused):
        assert (value, reused) == ({"name": "mine"}, False)
        assert lines(log) == ["start mine"]
    assert lines(log) == ["start mine", "stop mine"]


def test_a_fingerprint_follows_the_files_it_names(tmp_path):
    source = tmp_path / "main.py"
    source.write_text("one")
    first = keep.fingerprint("uvicorn", files=[source])
    assert keep.fingerprint("uvicorn", files=[source]) == first
    source.write_text("two!")
    assert keep.fingerprint("uvicorn", files=[source]) != first
    assert keep.fingerprint("gunicorn", files=[source]) != keep.fingerprint("uvicorn", files=[source])
    # a file that is not there is no error: it only counts as not there
    assert keep.fingerprint("uvicorn", files=[tmp_path / "missing"]) == keep.fingerprint("uvicorn")


def test_a_run_that_asks_from_two_threads_gets_each_its_own_answer(recipes):
    """Servers start side by side in a run (services.started_in_background): one request at a time."""
    import socket
    import threading

    folder, log = recipes
    from kept_recipes import counted

    helper_end, run_end = socket.socketpair()
    keeper = keep.Keeper()

    def helper():
        buffered = b""
        for _ in range(2):
            while b"\n" not in buffered:
                buffered += helper_end.recv(65536)
            line, _, buffered = buffered.partition(b"\n")
            helper_end.sendall(keeper.answer(line.decode()).encode())

    serving = threading.Thread(target=helper)
    serving.start()
    answers = {}

    def ask(name):
        with keep.server(name, "a", counted, log=str(log), name=name) as (value, _):
            answers[name] = value

    with contextlib.ExitStack() as undo:
        keep.channel = run_end
        undo.callback(setattr, keep, "channel", None)
        threads = [threading.Thread(target=ask, args=(name,)) for name in ("vite", "backend")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    serving.join(10)
    keeper.close()
    helper_end.close()
    run_end.close()
    assert answers == {"vite": {"name": "vite"}, "backend": {"name": "backend"}}
    assert sorted(lines(log)) == ["start backend", "start vite", "stop backend", "stop vite"]
