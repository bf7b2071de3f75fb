"""Slow is not hung: how long to wait for a process on this machine, as it is right now.

A time limit written for an idle machine fails correct work on a loaded one (a shared
JupyterHub with half a CPU, a CI runner, two lessons proved side by side). So a wait has:

- a budget: the limit as written, times machine_factor(), which grows with the load per
  usable CPU and with a CPU quota below one CPU;
- a progress test at the end of the budget: did the process (and everything it started)
  use CPU in the last few seconds? A process stuck in a blocking sleep, on a lock or on a
  connection that never answers uses none: it is hung, and waiting longer will not help.
  One that is still computing gets more time...
- ...up to a ceiling (a multiple of the budget), so an endless busy loop still ends.

Patience(seconds, pid) holds that policy; its look() says whether to keep waiting.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

# The factor never goes beyond this: a machine that much slower needs a human decision.
MAX_FACTOR = 10.0
# The last seconds of CPU use that decide whether a process is still working.
WINDOW = 2.0
# The share of one CPU above which a process counts as working. Idle servers (uvicorn's
# tick, Redis' cron, a rate limiter's timer thread) stay well below it; a process starved
# of CPU on a machine ten times overloaded still gets above it.
WORKING = 0.05


def cgroup_cpu_quota(root: Path = Path("/sys/fs/cgroup")) -> float | None:
    """The CPUs this container may use (cgroup v2 cpu.max or v1 cfs quota); None if unlimited."""
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period = int((root / "cpu" / "cpu.cfs_period_us").read_text())
        return None if quota <= 0 else quota / period
    except (OSError, ValueError):
        return None


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


def machine_factor(load: float | None = None, cpus: int | None = None, quota: float | None = None) -> float:
    """How many times longer than on an idle machine work takes here now (1 to MAX_FACTOR).

    Load beyond the CPUs shares them out (a load of 10 on 2 CPUs: a fifth of a CPU each);
    a quota under one CPU stretches even a lone process. SHIPLINGS_TIMEOUT_FACTOR, when
    set, is used instead of measuring.
    """
    if chosen := os.environ.get("SHIPLINGS_TIMEOUT_FACTOR"):
        return max(1.0, float(chosen))
    if load is None:
        try:
            load = os.getloadavg()[0]
        except OSError:
            load = 0.0
    cpus = cpus or usable_cpus()
    quota = cgroup_cpu_quota() if quota is None else quota
    contention = max(1.0, load / cpus)
    shortfall = max(1.0, 1.0 / quota) if quota else 1.0
    return min(MAX_FACTOR, contention * shortfall)


def load_now(seconds: float = 0.2, samples: int = 8, stat: Path = Path("/proc/stat")) -> float | None:
    """How many other processes run or wait for a CPU right now (the kernel's run queue, averaged
    over `seconds`); None where the kernel does not say (macOS).

    The load average remembers the last minute: right after a heavy check run it still counts
    that run, and a check started next (watch mode, a learner checking again) would think the
    machine busy because of its own predecessor. This asks about the present only.
    """
    counts = []
    for sample in range(samples):
        if sample:
            time.sleep(seconds / samples)
        try:
            line = next(line for line in stat.read_text().splitlines() if line.startswith("procs_running "))
        except (OSError, StopIteration):
            return None
        counts.append(int(line.split()[1]) - 1)  # less the process asking
    return max(0.0, sum(counts) / len(counts))


def cpu_seconds(pid: int) -> float | None:
    """CPU time used so far by pid and every live process below it; None where unknown."""
    if os.path.isdir("/proc"):
        return _cpu_seconds_from_proc(pid)
    try:  # macOS and others: psutil comes with ipykernel
        import psutil
    except ImportError:
        return None
    try:
        root = psutil.Process(pid)
        total = 0.0
        for process in (root, *root.children(recursive=True)):
            times = process.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
        return total
    except psutil.Error:
        return None


def _cpu_seconds_from_proc(root: int) -> float | None:
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    used: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        # the command name, in parentheses, may hold spaces: the fields follow its last ")"
        fields = stat[stat.rfind(b")") + 2:].split()
        pid = int(name)
        parents[pid] = int(fields[1])
        # utime, stime, and the same of children it has already waited for
        used[pid] = sum(int(value) for value in fields[11:15])
    if root not in used:
        return None
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += used.get(pid, 0)
        todo += children.get(pid, [])
    return total / ticks


@dataclass(frozen=True)
class Verdict:
    """Why a wait ended without the awaited event."""

    kind: str  # "hung": no CPU used lately | "busy": still working at the ceiling | "unknown"
    waited: float  # seconds
    allowed: float  # the limit as written, for an idle machine
    factor: float  # how much longer this machine was given
    window: float  # the seconds of CPU history the verdict looked at

    def explain(self, subject: str = "it") -> str:
        """Half a sentence for a learner: why waiting longer would not have helped."""
        if self.kind == "hung":
            return f"{subject} used no CPU in the last {self.window:.0f} s, so it is waiting on something"
        if self.kind == "busy":
            return f"{subject} kept the CPU busy the whole {self.waited:.0f} s, so it is computing without end"
        return ""

    @property
    def slow_machine(self) -> str:
        """A note when the machine was given extra time, else ''."""
        if self.factor < 1.2:
            return ""
        return f" (This computer is busy right now, so the check waited {self.factor:.1f} times longer than usual.)"


class Patience:
    """Wait `seconds` (times the machine factor) for a process, longer while it works.

    Call look() whenever convenient (a polling loop, a timer at next_look()): it returns
    None to keep waiting, or the Verdict that ends the wait.
    """

    def __init__(self, seconds: float, pid: int | None = None, ceiling: float = 3.0,
                 factor: float | None = None) -> None:
        self.allowed = seconds
        self.factor = machine_factor() if factor is None else factor
        self.budget = seconds * self.factor
        self.ceiling = self.budget * max(1.0, ceiling)
        self.pid = pid or os.getpid()
        self.window = min(WINDOW, self.budget / 2)
        self.started = time.monotonic()
        self.samples: list[tuple[float, float]] = []

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def look(self) -> Verdict | None:
        now = self.elapsed()
        if now < self.budget - self.window:
            return None
        cpu = self._sample(now)
        if now < self.budget:
            return None
        if cpu is None:
            return self._verdict("unknown", now)
        if now >= self.ceiling:
            return self._verdict("busy", now)
        if self._working(now, cpu):
            return None
        return self._verdict("hung", now)

    def next_look(self) -> float:
        """Seconds from now until look() can say something new (for timers)."""
        now = self.elapsed()
        if now < self.budget - self.window:
            return self.budget - self.window - now
        if now < self.budget:
            return max(0.01, self.budget - now)
        return max(0.01, min(self.window / 2, self.ceiling - now))

    def _sample(self, now: float) -> float | None:
        if self.samples and now - self.samples[-1][0] < 0.1:
            return self.samples[-1][1]
        cpu = cpu_seconds(self.pid)
        if cpu is not None:
            self.samples.append((now, cpu))
            # keep what the window needs, and one sample older than it
            while len(self.samples) > 2 and self.samples[1][0] <= now - self.window:
                self.samples.pop(0)
        return cpu

    def _working(self, now: float, cpu: float) -> bool:
        then, used = self.samples[0]
        if now - then < self.window * 0.9:
            return True  # not enough history yet: decide a moment later
        return (cpu - used) / (now - then) >= WORKING

    def _verdict(self, kind: str, now: float) -> Verdict:
        return Verdict(kind, now, self.allowed, self.factor, self.window)
