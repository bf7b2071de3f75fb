"""Outages on demand: a PostgreSQL that hangs (frozen with SIGSTOP), for checks and tests.

A stopped server refuses connections at once, which any timeout-less app survives by
luck. A frozen one is the outage that hurts: the kernel still accepts connections on its
port, and nobody ever answers them, as with an overloaded or half-dead server.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path


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
