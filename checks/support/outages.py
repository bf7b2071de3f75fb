"""Outages on demand: a PostgreSQL that hangs (frozen with SIGSTOP), for checks and tests.

A stopped server refuses connections at once, which any timeout-less app survives by
luck. A frozen one is the outage that hurts: the kernel still accepts connections on its
port, and nobody ever answers them, as with an overloaded or half-dead server.

An outage check proves two things: the learner's limits (module constants such as
STATEMENT_TIMEOUT_SECONDS) make sense, which limits_of() reads without waiting; and the
app keeps to them when a real server hangs and stops. For the second, shortened_limits()
sets the constants to a fraction of a second for the check, so the outage costs the check
that, not the seconds a production setting asks for (shortened_close_grace() does the same
for the library's own wait: SQLAlchemy's polite close of a connection a timeout cut short).
EarlyPostgres starts the server an outage check freezes while the checks before it run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType

from shiplings import services
from shiplings.patience import machine_factor
from shiplings.testing import DATABASE_URL_VARIABLE, final_error, workspace
from support.apps import selected

# How much longer than on an idle machine a shortened limit may get on a busy one: beyond
# that, the check would wait about as long as the learner's own limits.
MOST_STRETCH = 3.0


def postgres_processes(port: int) -> list[int]:
    """The pids of the PostgreSQL server listening on `port`: the postmaster and its children."""
    processes: dict[int, tuple[list[bytes], int]] = {}
    if Path("/proc").is_dir():
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                arguments = (entry / "cmdline").read_bytes().split(b"\0")
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            processes[int(entry.name)] = (arguments, parent)
    else:  # macOS: ps says the same
        listing = subprocess.run(["ps", "-A", "-o", "pid=,ppid=,args="], capture_output=True, text=True).stdout
        for line in listing.splitlines():
            pid, ppid, *arguments = line.split()
            processes[int(pid)] = ([argument.encode() for argument in arguments], int(ppid))
    masters = [
        pid for pid, (arguments, _) in processes.items()
        if arguments and arguments[0].endswith(b"postgres") and str(port).encode() in arguments
    ]
    return masters + [pid for pid, (_, parent) in processes.items() if parent in masters]


@contextlib.contextmanager
def frozen_postgres(port: int) -> Iterator[list[int]]:
    """PostgreSQL frozen (SIGSTOP) for the block: it accepts connections and answers nothing."""
    pids = postgres_processes(port)  # the postmaster first: stopped, it forks no new backend
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):  # a backend whose client just left
            os.kill(pid, signal.SIGSTOP)
    try:
        yield pids
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


# --- the learner's limits ------------------------------------------------------------------

def source_file(module: ModuleType) -> str:
    """app/core/db.py for the module app.core.db: where the learner reads and changes it."""
    return module.__name__.replace(".", "/") + ".py"


def limits_of(module: ModuleType, names: Iterable[str]) -> dict[str, float]:
    """{name: seconds} of the module's constants; a constant missing or not a number fails the check."""
    limits = {}
    for name in names:
        value = getattr(module, name, None)
        assert isinstance(value, int | float) and not isinstance(value, bool), (
            f"{source_file(module)} should define {name}, a number of seconds; "
            + ("it defines no such name." if value is None else f"it is {value!r}.")
        )
        limits[name] = float(value)
    return limits


def shortened_limits(module: ModuleType, limits: dict[str, float], monkeypatch) -> dict[str, float]:
    """Set the module's constants to `limits` (seconds on an idle machine) for this check; what was set.

    A busy machine gets up to MOST_STRETCH times as long (shiplings.patience.machine_factor), so
    that a healthy database still answers within them; a constant never gets longer than the
    learner's own value. Only code that reads the constant after this sees it: shorten before the
    app (or engine) that reads it is built.
    """
    own = limits_of(module, limits)
    stretch = min(MOST_STRETCH, machine_factor())
    short = {name: min(own[name], seconds * stretch) for name, seconds in limits.items()}
    for name, seconds in short.items():
        monkeypatch.setattr(module, name, seconds)
    return short


def shortened_close_grace(monkeypatch, seconds: float = 0.2) -> float:
    """Give an asyncpg connection at most `seconds` (stretched on a busy machine) to close gracefully.

    When a timeout cuts a query short, SQLAlchemy invalidates the connection and first tries to
    close it politely, waiting up to 2 s (`close(timeout=2)`) before it drops it; against a frozen
    server it always waits them all, inside the request that timed out. That grace is the
    library's, not the learner's, so an outage check shortens it as it shortens the learner's
    limits: what is left to measure is the limit the learner set. Only closes that already have a
    timeout are shortened. Returns the grace it set.
    """
    import asyncpg

    original = asyncpg.connection.Connection.close
    grace = seconds * min(MOST_STRETCH, machine_factor())

    async def close(self, *, timeout=None):
        return await original(self, timeout=timeout if timeout is None else min(timeout, grace))

    monkeypatch.setattr(asyncpg.connection.Connection, "close", close)
    return grace


# --- a private PostgreSQL, started early ---------------------------------------------------

class EarlyPostgres:
    """The PostgreSQL of one outage check, started and migrated in a background thread.

    Starting a server and running Alembic on it take 1-3 s; begun with the lesson's first
    check, that overlaps the checks before the outage check. The outage check take()s the
    server and stops it itself (stopping it is part of the outage). A failed start or
    migration is raised by take(), in that check, as if the check had started the server.
    """

    def __init__(self) -> None:
        # read now, in the main thread: the checks change os.environ while the thread runs
        self.env = dict(os.environ)
        self.folder = workspace()
        self.server: contextlib.AbstractContextManager | None = None
        self.postgres: services.Postgres | None = None
        self.failure: BaseException | None = None
        self.taken = False
        self.thread = threading.Thread(target=self._start, name="early-postgres", daemon=True)

    def start(self) -> EarlyPostgres:
        self.thread.start()
        return self

    def _start(self) -> None:
        try:
            server = services.postgres()
            self.postgres = server.__enter__()
            self.server = server
            self._migrate(self.postgres.url())
        except BaseException as error:  # the check that takes the server gets it
            self.failure = error

    def _migrate(self, database_url: str) -> None:
        """`alembic upgrade head` on the new server, as shiplings.testing.run_migrations runs it."""
        result = subprocess.run(
            [sys.executable, "-m", "alembic", "upgrade", "head"],
            cwd=self.folder, env={**self.env, DATABASE_URL_VARIABLE: database_url},
            capture_output=True, text=True, timeout=60,
        )
        assert result.returncode == 0, (
            "`alembic upgrade head` failed in your workspace, so the checks have no database "
            "schema to work with. It ended with:\n" + final_error(result.stdout + result.stderr)
        )

    def take(self) -> tuple[contextlib.AbstractContextManager, services.Postgres]:
        """(the server's context, whose __exit__ stops it; the server), once started and migrated."""
        assert not self.taken, "The outage check's PostgreSQL was taken twice."
        self.thread.join()
        self.taken = True
        if self.failure is not None:
            self._stop()
            raise self.failure
        return self.server, self.postgres

    def close(self) -> None:
        """At the end of the run: stop the server if no check took it."""
        self.thread.join()
        if not self.taken:
            self._stop()

    def _stop(self) -> None:
        server, self.server = self.server, None
        if server is not None:
            server.__exit__(None, None, None)


@contextlib.contextmanager
def early_postgres(session, check: str) -> Iterator[EarlyPostgres | None]:
    """For a lesson's autouse session fixture: the EarlyPostgres of `check`, started now.

    None when the run did not select that check (a run of other checks, a mutant's). Every
    process it starts dies with the check run, however the run ends (shiplings.lifeline).
    """
    if not selected(session, check):
        yield None
        return
    early = EarlyPostgres().start()
    try:
        yield early
    finally:
        early.close()
