"""Children that die with the process that started them, however it ends.

Every process the engine starts for a check goes through spawn() (or fork()): the check's
pytest process, the warm helper and its forks, PostgreSQL, Redis and the learner's
servers. Nothing they start may outlive a check that ended by Ctrl-C, SIGTERM or SIGKILL.
Three layers see to it:

1. Graceful first. Every child leads a process group of its own; stop() sends the child's
   stop signal to the whole group (a server and its workers), waits, then kills the group.
   In a process that called install_handlers(), SIGINT, SIGTERM and SIGHUP all take that
   path (stop every child, then KeyboardInterrupt), so servers shut down cleanly.
2. The kernel (Linux). Each child asks for SIGKILL when its parent dies (PR_SET_PDEATHSIG),
   set after any change of user, since a credential change clears it. The signal follows
   the *thread* that started the child, so children are started from the main thread or
   from one spawner thread that lives as long as the process.
3. Trees. A child started with tree=True (a check run) carries a marker in its environment
   that every process it starts inherits, even one that leaves its process group or
   session (a gunicorn worker whose master was killed, a check's own subprocess). When the
   run ends the owner kills every marked process, and a tiny watchdog process (this file,
   run as a script) does it if the owner dies first, even by SIGKILL: it notices because
   its stdin, a pipe from the owner, closes.

Elsewhere (macOS) there is no parent-death signal and no /proc to find marked processes:
the watchdog and stop() kill the process group of each run instead, so there a process
that leaves its run's process group survives an owner killed with SIGKILL.

This file also runs as the watchdog (`python -I -S lifeline.py --watch`): keep its
top-level imports to the standard library.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

# The environment variable that carries the markers of every tree a process belongs to.
MARKER = "SHIPLINGS_LIFELINE"
# How long a child may take to stop after its stop signal before it is killed.
GRACE = 5.0

LINUX = sys.platform.startswith("linux")
PR_SET_PDEATHSIG = 1


class Stopping(KeyboardInterrupt):
    """This process is shutting down (it got SIGINT, SIGTERM or SIGHUP): it starts nothing new."""


@dataclass
class _Child:
    pid: int
    stop_signal: int
    marker: str | None = None
    process: subprocess.Popen | None = None  # None for a fork, waited for by pid


_children: dict[int, _Child] = {}
_guards: set[str] = set()  # markers of trees whose members this process must kill on the way out
_lock = threading.RLock()  # re-entrant: a signal handler may run while the main thread holds it
_closing = False
_watchdog: _Watchdog | None = None
_spawner = None  # the one thread that starts children for other threads (see _in_lasting_thread)
_prctl = None


# --- starting --------------------------------------------------------------------------

def spawn(argv: list[str], *, stop_signal: int = signal.SIGTERM, tree: bool = False,
          env: dict[str, str] | None = None, **popen) -> subprocess.Popen:
    """subprocess.Popen(argv, ...) for a child that dies with this process; stop it with stop().

    stop_signal is what asks it to shut down cleanly (SIGINT for PostgreSQL's fast
    shutdown and for pytest). tree=True marks it and everything it starts, even processes
    that leave its process group, so that all of them die with it (see the module doc).
    """
    if _closing:
        raise Stopping("shiplings is stopping: nothing new is started")
    env = dict(os.environ if env is None else env)
    marker = None
    if tree:
        marker = _new_marker()
        env[MARKER] = f"{env.get(MARKER, '')} {marker}".strip()
        _tell("+", marker)  # before the child exists: no moment is unguarded
    # a tree gets a session of its own (one process group per server inside it); a server
    # gets a process group, so that stop() reaches its workers and Ctrl-C in a terminal
    # reaches only the owner, which stops everything in order
    placement = {"start_new_session": True} if tree else {"process_group": 0}
    preexec = _death_signal_setter() if LINUX else None

    def start() -> subprocess.Popen:
        return subprocess.Popen(argv, env=env, preexec_fn=preexec, **placement, **popen)

    try:
        process = _in_lasting_thread(start)
    except BaseException:
        if marker:
            _tell("-", marker)
        raise
    if marker:
        _tell("+", marker, process.pid)  # its session, for systems without /proc
    with _lock:
        _children[process.pid] = _Child(process.pid, stop_signal, marker, process)
    return process


def run(argv: list[str], **popen) -> subprocess.CompletedProcess:
    """Like subprocess.run(argv, capture_output=True, check=True), for a child that dies with us."""
    process = spawn(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, **popen)
    try:
        output, errors = process.communicate()
    finally:
        stop(process)
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, argv, output, errors)
    return subprocess.CompletedProcess(argv, process.returncode, output, errors)


def fork(*, stop_signal: int = signal.SIGINT) -> int:
    """os.fork() for a run in a forked process: 0 in the child, its pid in this process.

    The child gets a session of its own, dies with this process, and carries a marker
    that every process it starts inherits (a tree, as with spawn(tree=True)).
    """
    if _closing:
        raise Stopping("shiplings is stopping: nothing new is started")
    marker = _new_marker()
    _tell("+", marker)
    set_death_signal = _death_signal_setter() if LINUX else None  # prepared here, not in every fork
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if set_death_signal:
            set_death_signal()
        os.environ[MARKER] = f"{os.environ.get(MARKER, '')} {marker}".strip()
        return 0
    _tell("+", marker, pid)
    with _lock:
        _children[pid] = _Child(pid, stop_signal, marker)
    return pid


def _death_signal_setter() -> Callable[[], None]:
    """The function a new child runs (after fork, after any change of user) to die with us."""
    global _prctl
    if _prctl is None:
        import ctypes

        _prctl = ctypes.CDLL(None, use_errno=True).prctl  # loaded here: never between fork and exec
    prctl = _prctl
    parent = os.getpid()

    def set_death_signal() -> None:
        prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the line above: no signal will come
            os._exit(1)

    return set_death_signal


def _in_lasting_thread(start: Callable[[], subprocess.Popen]) -> subprocess.Popen:
    """Run start() in a thread that lives as long as this process.

    The kernel's parent-death signal fires when the thread that started the child ends: a
    server started from a short-lived thread (a pool that starts two servers side by side)
    would be killed as soon as that thread finished.
    """
    global _spawner
    if threading.current_thread() is threading.main_thread():
        return start()
    with _lock:
        if _spawner is None:
            from concurrent.futures import ThreadPoolExecutor

            _spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shiplings-spawner")
        spawner = _spawner
    return spawner.submit(start).result()


def _new_marker() -> str:
    return f"{os.getpid()}-{secrets.token_hex(6)}"


# --- stopping --------------------------------------------------------------------------

def stop(child: subprocess.Popen | int, grace: float = GRACE, sig: int | None = None) -> None:
    """Stop a child and everything it started: its stop signal, `grace` seconds, then SIGKILL.

    Safe to call more than once, and on a child that already ended (its workers and any
    marked process it left behind are still killed).
    """
    pid = child if isinstance(child, int) else child.pid
    with _lock:
        known = _children.pop(pid, None)
    if known is None:
        known = _Child(pid, signal.SIGTERM, None, None if isinstance(child, int) else child)
    _stop_all([known], grace, sig)


def stop_all(grace: float = GRACE) -> None:
    """Stop every child this process started, side by side, and every tree it guards."""
    with _lock:
        children = list(_children.values())
        _children.clear()
        markers = list(_guards)
    _stop_all(children, grace)
    for marker in markers:
        kill_marked(marker)


def _stop_all(children: list[_Child], grace: float, sig: int | None = None) -> None:
    for child in children:
        if not _exited(child):
            _signal_group(child.pid, sig or child.stop_signal)
    deadline = time.monotonic() + grace
    for child in children:
        _wait_until(child, deadline)
        if not _exited(child):
            _signal_group(child.pid, signal.SIGKILL)
            _wait_until(child, time.monotonic() + 1)
        # what outlived its leader (a gunicorn's workers, a check's own subprocesses), while
        # the leader is not yet reaped, so that no new process can have taken its number
        _signal_group(child.pid, signal.SIGKILL)
        if child.marker:
            kill_marked(child.marker, session=child.pid)
            if not LINUX:
                _signal_session(child.pid)
            _tell("-", child.marker)
        _reap(child)


def _exited(child: _Child) -> bool:
    """True once the child has ended; it is left unreaped where the system allows."""
    if child.process is not None and child.process.returncode is not None:
        return True
    try:
        return os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:  # reaped already (by Popen, in another thread)
        return True


def _reap(child: _Child) -> None:
    # poll, never a blocking wait: a signal handler may have interrupted a wait() on this
    # very process, which holds Popen's lock until it returns (and then reaps it itself)
    if child.process is not None:
        child.process.poll()
    else:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(child.pid, os.WNOHANG)


def _wait_until(child: _Child, deadline: float) -> None:
    while not _exited(child) and time.monotonic() < deadline:
        time.sleep(0.01)


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _signal_session(sid: int) -> None:
    """Where /proc is missing: every process of a run's session, found with pgrep -s."""
    import shutil

    pgrep = shutil.which("pgrep")
    if pgrep is None:
        return
    found = subprocess.run([pgrep, "-s", str(sid)], capture_output=True, text=True, check=False).stdout
    for pid in (int(word) for word in found.split() if word.isdigit()):
        if pid != os.getpid():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def guarded() -> Iterator[dict[str, str]]:
    """A marker for processes started by someone else (a Jupyter kernel, say).

    Yields the environment variables to give them; when the block ends, or this process
    dies, every process that carries them is killed.
    """
    marker = _new_marker()
    _tell("+", marker)
    with _lock:
        _guards.add(marker)
    try:
        yield {MARKER: f"{os.environ.get(MARKER, '')} {marker}".strip()}
    finally:
        with _lock:
            _guards.discard(marker)
        kill_marked(marker)
        _tell("-", marker)


# --- finding marked processes ----------------------------------------------------------

def marked(marker: str, session: int = 0) -> list[int]:
    """Every live process (but this one) of a tree, found in /proc (Linux).

    A process belongs to the tree when its environment carries the marker, or when it is in
    the tree's session: Redis, PostgreSQL and gunicorn's workers write their process title
    over their environment, but only a deliberate setsid() leaves a session.
    """
    if not os.path.isdir("/proc"):
        return []
    needle = marker.encode()
    prefix = MARKER.encode() + b"="
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            state, its_session = _state_and_session(name)
            if state == "Z":  # ended already, only waiting to be reaped
                continue
            if session and its_session == session:
                found.append(int(name))
                continue
            with open(f"/proc/{name}/environ", "rb") as handle:
                environ = handle.read()
        except (OSError, IndexError, ValueError):  # gone already, or not ours to read
            continue
        if needle not in environ:
            continue
        for entry in environ.split(b"\0"):
            if entry.startswith(prefix) and needle in entry[len(prefix):].split():
                found.append(int(name))
                break
    return found


def _state_and_session(pid: str) -> tuple[str, int]:
    with open(f"/proc/{pid}/stat", "rb") as handle:
        stat = handle.read()
    # after the command name in parentheses (which may hold spaces): state ppid pgrp session
    fields = stat[stat.rfind(b")") + 2:].split()
    return fields[0].decode(), int(fields[3])


def kill_marked(marker: str, session: int = 0) -> None:
    """SIGKILL every process of the tree; again, while forks race the first pass.

    `session` is the session the tree's first process leads; pass it only while that
    process is not yet reaped (its number cannot have been given to another process).
    """
    for _ in range(5):
        pids = marked(marker, session)
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.01)


# --- signals ---------------------------------------------------------------------------

def install_handlers() -> None:
    """SIGINT, SIGTERM and SIGHUP stop every child cleanly, then raise KeyboardInterrupt.

    For processes shiplings owns (the CLI, a check run, the warm helper), not for a host
    such as a notebook kernel. A second signal while children stop kills them at once.
    Only the main thread can set handlers; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    for number in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if number is not None and signal.getsignal(number) is not _on_signal:
            signal.signal(number, _on_signal)
    global _next_excepthook, _next_unraisablehook
    if sys.excepthook is not _quiet_when_stopped:
        _next_excepthook = sys.excepthook
        sys.excepthook = _quiet_when_stopped
    if sys.unraisablehook is not _quiet_when_stopped_late:
        _next_unraisablehook = sys.unraisablehook
        sys.unraisablehook = _quiet_when_stopped_late


_next_excepthook = sys.__excepthook__
_next_unraisablehook = sys.__unraisablehook__


def _quiet_when_stopped_late(unraisable) -> None:
    """A signal while Python already shuts down (waiting for its threads) cannot be raised
    anywhere; the children are stopped by then, so there is nothing to report."""
    if isinstance(unraisable.exc_value, Stopping):
        return
    _next_unraisablehook(unraisable)


def _quiet_when_stopped(kind, error, traceback) -> None:
    """Stopped before anything could catch it (Ctrl-C while the CLI still loads): one line."""
    if issubclass(kind, Stopping):
        print(f"\nshiplings: {error}; everything it started was stopped too.", file=sys.stderr)
        return
    _next_excepthook(kind, error, traceback)


def stopping() -> bool:
    """True once this process got SIGINT, SIGTERM or SIGHUP."""
    return _closing


def _on_signal(number: int, frame) -> None:
    global _closing
    again = _closing
    _closing = True
    stop_all(grace=0 if again else GRACE)
    raise Stopping(f"stopped by {signal.Signals(number).name}")


# --- the watchdog ----------------------------------------------------------------------

class _Watchdog:
    """The owner's side: a pipe to the watchdog, one line per tree to guard or to forget."""

    def __init__(self) -> None:
        env = {key: value for key, value in os.environ.items() if key != MARKER}
        # its own session: Ctrl-C in a terminal or `timeout` signalling our group never reach it
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-S", os.path.abspath(__file__), "--watch"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, env=env,
        )

    def tell(self, line: str) -> None:
        try:
            self.process.stdin.write(line.encode())
            self.process.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass  # the watchdog is gone; stop() and the kernel's death signal still act


def _tell(action: str, marker: str, session: int = 0) -> None:
    """Tell the watchdog to guard ("+") or forget ("-") a tree; started on the first guard."""
    global _watchdog
    with _lock:
        if _watchdog is None or _watchdog.process.poll() is not None:
            if action == "-":
                return
            _watchdog = _Watchdog()
        _watchdog.tell(f"{action} {marker} {session}\n")


def watch(lines) -> None:
    """The watchdog's life: remember the trees the owner guards; when it is gone, kill them.

    `lines` is the pipe from the owner: "+ MARKER SESSION" to guard a tree (SESSION is 0
    until its first process exists), "- MARKER 0" to forget it. It ends when the owner
    closes it or dies.
    """
    trees: dict[str, int] = {}
    for raw in lines:
        parts = raw.decode(errors="replace").split()
        if len(parts) != 3 or not parts[2].isdigit():
            continue
        action, marker, session = parts
        if action == "+":
            trees[marker] = int(session) or trees.get(marker, 0)
        else:
            trees.pop(marker, None)
    for marker, session in trees.items():
        # the owner died a moment ago: its runs' sessions are still held by their members
        kill_marked(marker, session)
        if not LINUX and session:
            _signal_group(session, signal.SIGKILL)
            _signal_session(session)


def _forget_parent_state() -> None:
    """In a forked child: the parent's children, guards and watchdog pipe are not ours.

    This also runs between fork and exec of every spawn() child (preexec_fn), where another
    thread of the parent may have held a lock: so no locking call here, only a raw close.
    """
    global _watchdog, _spawner, _closing, _lock
    _lock = threading.RLock()  # the parent's may have been held by a thread the child lacks
    _children.clear()
    _guards.clear()
    if _watchdog is not None:
        # the watchdog must see the pipe close when the parent dies, not when the child does;
        # the file object is kept, never closed, so that its finalizer cannot close the number
        # again once something else got it
        _abandoned.append(_watchdog)
        with contextlib.suppress(OSError):
            os.close(_watchdog.process.stdin.fileno())
    _watchdog = None
    _spawner = None
    _closing = False


_abandoned: list[_Watchdog] = []


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_parent_state)


if __name__ == "__main__" and sys.argv[1:] == ["--watch"]:
    for number in (signal.SIGINT, getattr(signal, "SIGHUP", None)):
        if number is not None:
            signal.signal(number, signal.SIG_IGN)
    watch(sys.stdin.buffer)
