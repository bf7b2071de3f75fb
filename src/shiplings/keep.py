"""Servers the warm helper keeps running from one check run to the next.

Starting what a browser check talks to is the slowest part of its run: Chromium, the
learner's backend, the Vite dev server, seconds each. In watch mode and %check every run
is a fork of the warm helper (shiplings.warm), so a run asks the helper for them instead,
and the helper keeps each one for the next run for as long as what it was started from
stays the same. A fingerprint names that (the command, the files it runs); a run that
brings another fingerprint gets a new server in place of the old one.

    with keep.server("vite", fingerprint, dev_server, probe=in_step, frontend=...) as (value, reused):

- under the helper, the helper enters `dev_server(**kwargs)` itself (so the server
  outlives the run) and the run gets its value back, which must be JSON; `reused` says
  it served an earlier run. A kept value that fails `probe` (the run's own look at it) is
  replaced by a new server;
- anywhere else (a cold `shiplings check`, CI, a course author's pytest), the block
  enters `dev_server(**kwargs)` right here and leaves it at its end, as if keep were not
  there.

Kept servers are started by the helper's main thread, so they die with the helper
(shiplings.lifeline), which dies with its owner. An error while the helper starts one
comes back to the run as the same exception, so the run's messages stay the same.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import importlib
import json
import pickle
import socket
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

# in a run forked by the helper: its end of the line to the helper (set by shiplings.warm)
channel: socket.socket | None = None
_asking = threading.Lock()  # one request at a time on the channel, whichever thread asks


@contextlib.contextmanager
def server(key: str, fingerprint: str, recipe: Callable[..., contextlib.AbstractContextManager],
           probe: Callable[[object], bool] | None = None, renew: bool = False,
           **kwargs) -> Iterator[tuple[object, bool]]:
    """(value, reused) of `recipe(**kwargs)`: kept by the helper, or entered for this block alone.

    `renew` replaces a kept one whatever its fingerprint (the run knows better).
    """
    if channel is None:
        with recipe(**kwargs) as value:
            yield value, False
        return
    value, reused = _ask(key, fingerprint, recipe, kwargs, fresh=renew)
    if reused and probe is not None and not probe(value):
        value, reused = _ask(key, fingerprint, recipe, kwargs, fresh=True)
    yield value, reused


def fingerprint(*parts: object, files: Iterable[Path] = ()) -> str:
    """A digest of `parts` and of each file's name, size and modification time (not its content: cheap)."""
    digest = hashlib.sha256(json.dumps([str(part) for part in parts]).encode())
    for path in files:
        try:
            stat = path.stat()
        except OSError:
            continue
        digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _ask(key: str, fingerprint: str, recipe: Callable, kwargs: dict, fresh: bool) -> tuple[object, bool]:
    module = sys.modules[recipe.__module__]
    # the folder the recipe's module is imported from, so that the helper finds it too
    root = Path(module.__file__).resolve().parents[module.__name__.count(".")]
    if module.__file__.endswith("__init__.py"):
        root = root.parent
    request = {"key": key, "fingerprint": fingerprint, "recipe": f"{recipe.__module__}:{recipe.__qualname__}",
               "root": str(root), "kwargs": kwargs, "fresh": fresh}
    with _asking:
        channel.sendall((json.dumps(request) + "\n").encode())
        answer = json.loads(_read_line(channel))
    if "error" in answer:
        raise _exception(answer)
    return answer["value"], answer["reused"]


def _read_line(connection: socket.socket) -> str:
    data = bytearray()
    while not data.endswith(b"\n"):
        chunk = connection.recv(65536)
        if not chunk:
            raise RuntimeError("the warm check process stopped while it started a server for this check")
        data += chunk
    return data.decode()


def _packed(error: BaseException) -> str:
    """The exception as the run can rebuild it: its class, args and attributes (not its __init__'s
    arguments, which an exception such as ServiceUnavailable does not keep)."""
    try:
        return base64.b64encode(pickle.dumps((type(error), error.args, vars(error)))).decode()
    except Exception:  # noqa: BLE001 - what does not pickle comes back as its text
        return ""


def _exception(answer: dict) -> BaseException:
    with contextlib.suppress(Exception):
        kind, args, attributes = pickle.loads(base64.b64decode(answer["error"]))  # noqa: S301 - our helper's
        error = kind.__new__(kind)
        error.args = args
        vars(error).update(attributes)
        return error
    return RuntimeError(answer["text"])


@dataclass
class _Kept:
    fingerprint: str
    value: object
    stack: contextlib.ExitStack


class Keeper:
    """The helper's side: the servers it keeps, by key."""

    def __init__(self) -> None:
        self.kept: dict[str, _Kept] = {}

    def answer(self, line: str) -> str:
        request = json.loads(line)
        try:
            value, reused = self.get(request)
            return json.dumps({"value": value, "reused": reused}) + "\n"
        except Exception as error:  # noqa: BLE001 - goes back to the run, which raises it
            return json.dumps({"error": _packed(error), "text": f"{type(error).__name__}: {error}"}) + "\n"

    def get(self, request: dict) -> tuple[object, bool]:
        key = request["key"]
        kept = self.kept.get(key)
        if kept is not None and kept.fingerprint == request["fingerprint"] and not request["fresh"]:
            return kept.value, True
        self.drop(key)
        recipe = _resolve(request["recipe"], request["root"])
        with contextlib.ExitStack() as stack:  # closed here only when the start fails
            value = stack.enter_context(recipe(**request["kwargs"]))
            json.dumps(value)  # a value the run cannot receive is the recipe's mistake: say so here
            self.kept[key] = _Kept(request["fingerprint"], value, stack.pop_all())
        return value, False

    def drop(self, key: str) -> None:
        kept = self.kept.pop(key, None)
        if kept is not None:
            kept.stack.close()

    def close(self) -> None:
        # the newest first: a server may need one kept before it (Vite its backend)
        for key in reversed(list(self.kept)):
            with contextlib.suppress(Exception):
                self.drop(key)


def _resolve(name: str, root: str) -> Callable:
    module_name, _, qualname = name.partition(":")
    if root not in sys.path:
        sys.path.append(root)
    target = importlib.import_module(module_name)
    for part in qualname.split("."):
        target = getattr(target, part)
    return target
