"""The learner's side of the class board: every check, next and doctor reports, never at the learner's cost.

`shiplings join` keeps the board's URL and the learner's token in <state>/board.json.
From then on each report is appended to <state>/board-outbox.jsonl, and a detached
process (`python -m shiplings.board.outbox`) sends what is queued. The command that made
the report never waits for the network: an unreachable or slow board costs it the append
and the start of that process, a few milliseconds.

What is not sent stays queued and goes with the next report. Each report has its own
idempotency key: the board stores a key once, and a report leaves the outbox only when
the board has acknowledged it, so nothing is lost and nothing counts twice.

A report holds the lesson, each check's test name, outcome and duration, the total
duration and pass/fail: never the learner's code, the checks' messages or any output.

This module is imported on every check: standard library only, and nothing but a stat
of board.json happens for a learner who has not joined a board.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from shiplings.paths import state_dir

try:
    import fcntl
except ImportError:  # Windows: appends stay whole lines; the sender is the only one that rewrites
    fcntl = None

MEMBERSHIP = "board.json"
OUTBOX = "board-outbox.jsonl"
REJECTED = "board-rejected.jsonl"
REMOVED = "board-removed.json"  # the instructor removed this learner: what the board said, for `shiplings join`
BATCH = 50  # reports per request: the board takes at most 50
REQUEST_SECONDS = 5.0  # one request's budget: a slow board is left for the next report
SEND_SECONDS = 30.0  # the whole background send
PROBLEM = "(the app did not load)"  # the board's name for a run whose checks could not run


def membership() -> dict | None:
    """The board this learner joined ({url, token, learner_id, name}), or None."""
    try:
        return json.loads((state_dir() / MEMBERSHIP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def report_run(kind: str, result, now_on: str | None = None) -> None:
    """Queue the report of a check or next run (a runner.RunResult) and send it in the background."""
    if not (state_dir() / MEMBERSHIP).is_file():
        return
    checks = [{"test": check.test, "outcome": check.outcome, "duration": round(check.duration, 3)}
              for check in result.checks if not check.retired]
    if result.problem and not checks:
        checks = [{"test": PROBLEM, "outcome": "error", "duration": 0.0}]
    _queue({"kind": kind, "lesson": result.lesson, "now_on": now_on, "passed": result.passed,
            "duration": round(result.duration, 3), "checks": checks})


def report_doctor(findings, passed: bool) -> None:
    """Queue the doctor's findings (what was checked, and whether it was found) and send them."""
    if not (state_dir() / MEMBERSHIP).is_file():
        return
    checks = [{"test": finding.what, "outcome": "passed" if finding.ok else "failed"} for finding in findings]
    _queue({"kind": "doctor", "lesson": None, "passed": passed, "duration": 0.0, "checks": checks})


def _queue(report: dict) -> None:
    import uuid  # only for a learner who joined: its import costs milliseconds on every check

    try:
        report |= {"key": uuid.uuid4().hex, "at": time.time()}
        with _locked(OUTBOX):
            with open(state_dir() / OUTBOX, "a", encoding="utf-8") as outbox:
                outbox.write(json.dumps(report) + "\n")
        start_sender()
    except Exception:  # the board must never fail a learner's command
        pass


def start_sender() -> None:
    """Start the background sender, detached: it outlives this command and never holds it up."""
    options: dict = {"start_new_session": True} if os.name == "posix" else {
        "creationflags": subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP}
    env = dict(os.environ, SHIPLINGS_STATE=str(state_dir()))
    subprocess.Popen([sys.executable, "-m", "shiplings.board.outbox"], stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, close_fds=True, **options)


def queued() -> list[dict]:
    """The reports waiting in the outbox, oldest first."""
    try:
        lines = (state_dir() / OUTBOX).read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    reports = []
    for line in lines:
        try:
            reports.append(json.loads(line))
        except ValueError:  # a line cut short by a crash: nothing can send it
            continue
    return reports


def send_queued(deadline_seconds: float = SEND_SECONDS) -> int:
    """Send what is queued until the outbox is empty, the board fails, or time is up; returns how many left it.

    One sender at a time (a lock): a sender started while another runs waits for it, then
    sends what is left, so a report queued during a send never waits for the next check.
    """
    import httpx

    joined = membership()
    if joined is None:
        return 0
    deadline = time.monotonic() + deadline_seconds
    sent = 0
    # joined through a hub: the server's hub token, which changes with each start, is read now
    token = joined["token"] or os.environ.get("JUPYTERHUB_API_TOKEN", "")
    with _locked("board-sender.lock"):
        with httpx.Client(base_url=joined["url"], headers={"Authorization": f"Bearer {token}"},
                          timeout=REQUEST_SECONDS) as client:
            while time.monotonic() < deadline:
                batch = queued()[:BATCH]
                if not batch:
                    break
                try:
                    response = client.post("/api/reports", json={"reports": batch})
                except httpx.HTTPError:  # unreachable or slow: the next report tries again
                    break
                if response.status_code == 200:
                    _remove({each["key"] for each in batch})
                    sent += len(batch)
                elif response.status_code == 422:  # the board will never take these: keep them aside
                    _remove({each["key"] for each in batch}, keep_in=REJECTED)
                elif response.status_code == 410:  # the instructor removed this learner: stop reporting
                    note_removed(joined, response)
                    break
                else:  # 401 (the board forgot this learner), 429, 5xx: keep them for later
                    break
    return sent


def note_removed(joined: dict, response) -> None:
    """Keep what the board said for `shiplings join` to tell, put the queue aside and stop reporting."""
    try:
        said = response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        said = "The instructor removed you from this board."
    note = {"url": joined["url"], "name": joined["name"], "message": said, "at": time.time()}
    (state_dir() / REMOVED).write_text(json.dumps(note), encoding="utf-8")
    _remove({each["key"] for each in queued()}, keep_in=REJECTED)
    (state_dir() / MEMBERSHIP).unlink(missing_ok=True)  # no later check queues or starts a sender


def removal() -> dict | None:
    """What the board said when it removed this learner ({url, name, message, at}), or None."""
    try:
        return json.loads((state_dir() / REMOVED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _remove(keys: set[str], keep_in: str | None = None) -> None:
    with _locked(OUTBOX):
        reports = queued()
        if keep_in:
            with open(state_dir() / keep_in, "a", encoding="utf-8") as aside:
                aside.writelines(json.dumps(each) + "\n" for each in reports if each["key"] in keys)
        path = state_dir() / OUTBOX
        temporary = path.with_name(f"{OUTBOX}.{os.getpid()}.tmp")
        temporary.write_text("".join(json.dumps(each) + "\n" for each in reports if each["key"] not in keys),
                             encoding="utf-8")
        os.replace(temporary, path)


@contextmanager
def _locked(name: str):
    folder = state_dir()
    folder.mkdir(parents=True, exist_ok=True)
    if fcntl is None:
        yield
        return
    with open(folder / f"{name}.lock" if not name.endswith(".lock") else folder / name, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def save_membership(url: str, token: str | None, learner_id: int, name: str) -> Path:
    path = state_dir() / MEMBERSHIP
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # the token is a secret
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        json.dump({"url": url.rstrip("/"), "token": token, "learner_id": learner_id, "name": name}, stream)
    os.replace(path.with_suffix(".tmp"), path)
    return path


if __name__ == "__main__":
    send_queued()
