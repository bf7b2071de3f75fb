"""Lesson 18, parts 3 to 5: the backup, the incident drill and a rolling update, on the learner's stack.

The learner's own scripts run as an operator would run them, from the workspace (a copy of it,
the one the stack runs from), with a plain `docker compose` reaching the stack this run started
(COMPOSE_PROJECT_NAME and COMPOSE_FILE point at it). The checks judge what the stack does, not
what the scripts print: the tasks are read back through the proxy after the restore, and after
the learner's drill the check stops the database once more and watches /ready, /health and the
API itself. What each script says is read first: one that does not even call pg_dump fails in a
second, without an engine.

Backup first (it ends with a new, restored database), then the outage drill, then the rolling
update: the check builds the next release of the backend (the workspace's code with one line
changed) under the tag the stack runs, and runs the learner's scripts/rolling-update.sh while
clients call the API through the proxy without a pause, as users would. It judges the order of
what the engine did (`docker events`: the old backend stopped only once the new one was healthy),
what the clients saw (every answer during the update) and what runs afterwards (one backend, from
the new image). The order comes first: the clients alone miss a gap when the machine is slow
enough that the old backend's graceful stop outlasts the new one's start.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from shiplings import lifeline
from shiplings.patience import machine_factor
from shiplings.testing import workspace
from support.accounts import LEARNER_PASSWORD
from support.compose_stack import running_stack

STACK = pytest.mark.timeout(1800)
BACKUP, RESTORE, DRILL = "scripts/backup.sh", "scripts/restore.sh", "scripts/drill.sh"
UPDATE = "scripts/rolling-update.sh"
CLIENTS = 4  # the update's traffic: clients calling the API through the proxy without a pause
# pg_dump's custom format starts with these bytes
CUSTOM_FORMAT = b"PGDMP"
# how soon /ready must say the database is gone (from the start of `docker compose stop db`, which
# waits for PostgreSQL to shut down), and how long the app may take to recover
READY_503_WITHIN, RECOVERED_WITHIN = 10, 60


def script(name: str, *patterns: str) -> str:
    """The text of a script of the workspace; fails when it does not say each of `patterns` (what it must run)."""
    path = workspace() / name
    assert path.is_file(), f"There is no {name} in your workspace: the starter has one to complete."
    text = path.read_text()
    commands = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    for pattern, what in patterns:
        assert re.search(pattern, commands), f"{name} does not {what} yet (outside its comments): write it first."
    return text


def the_stack(request, resolved, container_only: str):
    return running_stack(request, resolved, " (lesson 17's stack).", container_only)


def run_script(stack, folder: Path, name: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """A learner's script, run with bash from the project copy, its `docker compose` reaching this run's stack."""
    env = {**stack.script_env, "TASKS_URL": stack.url}
    try:
        return subprocess.run(["bash", name, *args], cwd=folder, env=env, capture_output=True, text=True,
                              timeout=timeout * min(machine_factor(), 3), check=False)
    except subprocess.TimeoutExpired as error:
        said = (error.stdout or b"").decode(errors="replace") + (error.stderr or b"").decode(errors="replace")
        raise AssertionError(f"{name} did not finish within {timeout:.0f} s. It printed:\n{said[-1500:]}") from None


def said(done: subprocess.CompletedProcess) -> str:
    return (done.stdout + done.stderr).strip()[-1500:] or "(nothing)"


def new_account(api: httpx.Client) -> dict[str, str]:
    """Sign up and in through the proxy; the Authorization header."""
    email = f"drill-{secrets.token_hex(4)}@example.com"
    signed_up = api.post("/auth/register", json={"email": email, "password": LEARNER_PASSWORD})
    assert signed_up.status_code == 201, (
        f"Signing up through the proxy (POST /api/auth/register) answered {signed_up.status_code} "
        f"{signed_up.text[:300]!r}: lesson 17's stack should work before it is operated."
    )
    token = api.post("/auth/token", data={"username": email, "password": LEARNER_PASSWORD})
    assert token.status_code == 200, f"Signing in through the proxy answered {token.status_code} {token.text[:300]!r}."
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def titles(api: httpx.Client, auth: dict[str, str]) -> list[str] | str:
    """The titles of the signed-in user's tasks, or what the API answered instead."""
    answer = api.get("/tasks", headers=auth)
    if answer.status_code != 200:
        return f"{answer.status_code} {answer.text[:200]!r}"
    found = answer.json()
    return [task.get("title") for task in (found if isinstance(found, list) else found.get("items", []))]


def ignored_by_git(folder: Path, path: str) -> bool:
    """Whether `git add` would leave the file out: the workspace's .gitignore files, as git reads them."""
    if not (folder / ".git").exists():
        subprocess.run(["git", "init", "--quiet", str(folder)], capture_output=True, check=True, timeout=60)
    return subprocess.run(["git", "-C", str(folder), "check-ignore", "--quiet", path],
                          capture_output=True, timeout=60, check=False).returncode == 0


@STACK
def test_backup_restores_the_tasks(resolved, project, request):
    script(BACKUP, (r"pg_dump", "run pg_dump"), (r"compose\s+exec", "run it with `docker compose exec -T db`"))
    script(RESTORE, (r"pg_restore", "run pg_restore"), (r"--clean|-c\b", "restore with --clean"))
    stack = the_stack(request, resolved, "that your backup and restore scripts bring the tasks back (they run "
                                         "`docker compose exec` on the stack's containers)")
    folder, _ = project
    wanted = [f"Backed up {secrets.token_hex(3)} #{number}" for number in range(3)]
    with httpx.Client(base_url=stack.url + "/api", timeout=30) as api:
        auth = new_account(api)
        for title in wanted:
            created = api.post("/tasks", json={"title": title}, headers=auth)
            assert created.status_code == 201, f"Creating a task through the proxy answered {created.status_code}."

    backed_up = run_script(stack, folder, BACKUP)
    assert backed_up.returncode == 0, (
        f"{BACKUP} exited with {backed_up.returncode} on the running stack:\n{said(backed_up)}"
    )
    lines = backed_up.stdout.strip().splitlines()
    dump = folder / lines[-1].strip() if lines else folder
    assert lines and dump.is_file(), (
        f"{BACKUP} should print the path of the backup it wrote, alone on its last line (backups/tasks-....dump); "
        f"it printed:\n{said(backed_up)}"
    )
    content = dump.read_bytes()
    wrong = "an empty file is no backup" if not content else "pg_restore cannot read it"
    assert content.startswith(CUSTOM_FORMAT), (
        f"The backup {lines[-1].strip()} is {len(content)} bytes and not in pg_dump's custom format "
        f"(it starts with {content[:20]!r}): {wrong}. pg_dump --format=custom, inside the db container: "
        "`docker compose exec -T db sh -c 'pg_dump --format=custom --username=\"$POSTGRES_USER\" "
        "--dbname=\"$POSTGRES_DB\"' > \"$file\"` (-T: no terminal that would mangle the bytes)."
    )
    relative = dump.relative_to(folder).as_posix() if dump.is_relative_to(folder) else str(dump)
    assert ignored_by_git(folder, relative), (
        f"git would commit the backup {relative}: a dump holds every user's data and password hashes. Keep "
        "backups/ out of git: a backups/.gitignore holding `*` (and `!.gitignore`), or `backups/` in .gitignore."
    )

    down = stack.compose("down", "--volumes", "--timeout", "5")
    assert down.returncode == 0, f"`docker compose down --volumes` failed: {down.stderr[-500:]}"
    up = stack.up_again()
    assert up.returncode == 0, (
        f"After `docker compose down --volumes`, `up --wait` should bring an empty stack up; it said:\n"
        f"{(up.stdout + up.stderr)[-800:]}\n{stack.states()}"
    )
    restored = run_script(stack, folder, RESTORE, relative)
    assert restored.returncode == 0, (
        f"`{RESTORE} {relative}` exited with {restored.returncode} on a new, empty stack (the migrations ran, the "
        f"tables are empty):\n{said(restored)}\nRestore with pg_restore --clean --if-exists, reading the dump from "
        "standard input (docker compose exec -T db ... < \"$file\")."
    )
    with httpx.Client(base_url=stack.url + "/api", timeout=30) as api:
        found = titles(api, auth)
    assert isinstance(found, list), (
        f"Once `{RESTORE} {relative}` had ended, GET /api/tasks answered {found}: the API should serve again as "
        f"soon as the restore is done, and the backend does not ({stack.states()})."
    )
    missing = [title for title in wanted if title not in found]
    assert not missing, (
        f"The drill: 3 tasks, `{BACKUP}`, `docker compose down --volumes`, `up`, `{RESTORE}`; then GET /api/tasks "
        f"(as the same user) answered {found!r}, without {', '.join(missing)}. The restore should bring back "
        "every table of the dump, users and tasks alike, over what the migrations made (--clean --if-exists)."
    )


def outage_answer(answer: httpx.Response) -> str:
    """What is wrong with an API answer while the database is down ("" when it is the 503 envelope)."""
    if answer.status_code != 503 or "Traceback" in answer.text:
        return f"{answer.status_code} {answer.text[:300]!r}"
    try:
        body = answer.json()
    except ValueError:
        body = None
    if not (isinstance(body, dict) and isinstance(body.get("error"), dict)):
        return f"503 without the error envelope: {answer.text[:300]!r}"
    return ""


@STACK
def test_database_outage_drill(resolved, project, request):
    script(DRILL, (r"\b(stop|kill)\b[^\n]*\bdb\b", "stop the database (docker compose stop db)"),
           (r"\bstart\b[^\n]*\bdb\b", "start the database again (docker compose start db)"))
    stack = the_stack(request, resolved, "the database outage drill (your script stops and starts the db "
                                         "container)")
    folder, _ = project
    backend = stack.container("backend")
    with httpx.Client(base_url=stack.url + "/api", timeout=30) as api:
        auth = new_account(api)
    try:
        drilled = run_script(stack, folder, DRILL, timeout=240)
    finally:
        stack.compose("start", "db", timeout=120)  # whatever the script did
    assert drilled.returncode == 0, f"{DRILL} exited with {drilled.returncode}:\n{said(drilled)}"

    # the drill again, watched by the check: what the script reported must hold
    limit = READY_503_WITHIN * min(machine_factor(), 3)
    with httpx.Client(base_url=stack.url + "/api", timeout=30) as api:
        ready = api.get("/ready")
        assert ready.status_code == 200, f"After {DRILL}, /api/ready answers {ready.status_code} {ready.text[:300]!r}."
        stopping = time.monotonic()
        try:
            stack.compose("stop", "db", timeout=120)
            while (ready := api.get("/ready")).status_code != 503 and time.monotonic() - stopping < limit:
                time.sleep(0.2)
            took = time.monotonic() - stopping
            health = api.get("/health")
            during = api.post("/tasks", json={"title": "In the outage"}, headers=auth)
        finally:
            stack.compose("start", "db", timeout=120)
        assert ready.status_code == 503, (
            f"With the database stopped, /api/ready still answered {ready.status_code} {ready.text[:300]!r} after "
            f"{took:.0f} s: a load balancer keeps sending requests to an instance that cannot serve them "
            "(app/api/routes/health.py: /ready asks the database, with a time limit)."
        )
        assert health.status_code == 200, (
            f"With the database stopped, /api/health answered {health.status_code} {health.text[:200]!r}: liveness "
            "must not depend on the database, or every orchestrator restarts a healthy backend in every database "
            "outage (app/api/routes/health.py)."
        )
        wrong = outage_answer(during)
        assert not wrong, (
            "With the database stopped, POST /api/tasks should answer 503 in the API's error envelope "
            f"({{\"error\": {{...}}}}, with Retry-After); it answered {wrong} (app/core/db.py, outage_is_503)."
        )
        deadline = time.monotonic() + RECOVERED_WITHIN * min(machine_factor(), 3)
        while (ready := api.get("/ready")).status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert ready.status_code == 200, (
            f"{RECOVERED_WITHIN} s after the database came back, /api/ready still answers {ready.status_code} "
            f"{ready.text[:300]!r}: the app does not recover by itself."
        )
        created = api.post("/tasks", json={"title": "After the outage"}, headers=auth)
    assert stack.container("backend") == backend, (
        "After the drill the backend is another container: something restarted or recreated it. The app must "
        "recover by itself (its connection pool replaces dead connections: pool_pre_ping)."
    )
    assert created.status_code == 201, (
        f"After the database came back, creating a task answered {created.status_code} {created.text[:300]!r}."
    )


# what the update's clients ask, without a pause: the routes lesson 09 leaves without a rate limit
# (one address asking /tasks this often would meet the 120 a minute); /ready asks the database too
TRAFFIC_PATHS = ("/health", "/ready")


@dataclass
class Traffic:
    """Clients calling the API through the proxy until stopped: what each request got."""

    url: str
    answers: list[tuple[float, str, float]] = field(default_factory=list)  # (when, what, seconds)
    stopping: threading.Event = field(default_factory=threading.Event)

    def client(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as api:
            while not self.stopping.is_set():
                for path in TRAFFIC_PATHS:
                    started = time.monotonic()
                    try:
                        answer = api.get(path)
                        what = f"{answer.status_code} {path}" + (
                            f" {answer.text[:120]!r}" if answer.status_code != 200 else "")
                    except httpx.HTTPError as error:
                        what = f"no answer to {path}: {type(error).__name__}"
                    self.answers.append((started, what, time.monotonic() - started))

    def failures(self) -> list[tuple[float, str, float]]:
        return [answer for answer in self.answers if not answer[1].startswith("200 ")]


def new_image(stack, tag: str, tmp_path) -> str:
    """The backend built again under `tag` from the workspace's code with one line changed: its id."""
    context = tmp_path / "next-release"
    shutil.copytree(stack.file.parent, context, symlinks=True,
                    ignore=shutil.ignore_patterns("node_modules", ".git", ".venv", "frontend"))
    main = context / "app" / "main.py"
    main.write_text(main.read_text() + f"\n# the next release ({secrets.token_hex(4)})\n")
    built = stack.engine.build(context, tag, "--file", str(context / "Dockerfile"))
    assert built.returncode == 0, (
        "The check could not build the next release of the backend (your Dockerfile, one line of app/main.py "
        f"changed):\n{(built.stdout + built.stderr).strip()[-800:]}"
    )
    return stack.engine.docker("image", "inspect", "--format", "{{.Id}}", tag).stdout.strip()


@contextlib.contextmanager
def container_events(stack) -> Iterator[list[dict]]:
    """What the engine does to the stack's containers while the block runs (`docker events`), as it happens."""
    seen: list[dict] = []
    watching = lifeline.spawn(["docker", "events", "--filter", f"label=com.docker.compose.project={stack.name}",
                               "--filter", "type=container", "--format", "{{json .}}"],
                              env=stack.engine.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              stdin=subprocess.DEVNULL, text=True)

    def read() -> None:
        for line in watching.stdout:
            with contextlib.suppress(ValueError):
                seen.append(json.loads(line))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    time.sleep(0.5)  # connected before the first event that counts
    try:
        yield seen
    finally:
        time.sleep(0.5)  # the last events on their way
        lifeline.stop(watching, grace=2, sig=signal.SIGTERM)
        reader.join(timeout=5)


def first_event(events: list[dict], container: str, *actions: str) -> float | None:
    """When (seconds since the epoch) `container` (an id, or the start of one, as `compose ps` shows it) first
    did one of `actions`, or None."""
    times = [event.get("timeNano", 0) / 1e9 for event in events
             if container and event.get("id", "").startswith(container) and event.get("Action") in actions]
    return min(times) if times else None


@STACK
def test_rolling_update_fails_no_request(request, resolved, tmp_path):
    # only that it is written: how it replaces the backend is judged by the engine and the clients
    script(UPDATE, (r"\bdocker\b", "run docker"))
    stack = running_stack(request, resolved, " (lesson 17's stack).",
                          "a rolling update of the backend container behind the proxy")
    tag = stack.model["services"]["backend"]["image"]
    before = stack.container("backend")
    image = new_image(stack, tag, tmp_path)
    traffic = Traffic(stack.url + "/api")
    clients = [threading.Thread(target=traffic.client, daemon=True) for _ in range(CLIENTS)]
    started = time.monotonic()
    for client in clients:
        client.start()
    try:
        with container_events(stack) as events:
            done = run_script(stack, stack.file.parent, UPDATE, timeout=400)
            time.sleep(2)  # and a moment after it: the stack as it is left
    finally:
        traffic.stopping.set()
        for client in clients:
            client.join(timeout=40)
    seconds = time.monotonic() - started

    backends = [entry for entry in stack.ps() if entry["Service"] == "backend"]
    running = [entry for entry in backends if entry["State"] == "running"]
    new = next((entry["ID"] for entry in running if entry["ID"] != before), None)
    stopped = first_event(events, before, "kill", "stop", "die")
    healthy = first_event(events, new, "health_status: healthy") if new else None
    if stopped is not None and new is not None:
        early = f"{healthy - stopped:.1f} s before its healthcheck passed" if healthy else \
            "its healthcheck had not passed when the update ended"
        assert healthy is not None and healthy <= stopped, (
            f"During the update, {UPDATE} stopped the old backend before the new one was healthy ({early}). Until "
            "the new one is healthy and the proxy knows its address, the old one is all that serves: every request "
            f"in that gap fails (here {len(traffic.failures())} of the {len(traffic.answers)} the check's "
            "clients sent did; on a slower or busier machine, more). Stop the old container only after the new "
            "one is healthy, and after the proxy's next DNS lookup. The script printed:\n" + said(done)
        )

    failed = traffic.failures()
    assert not failed, (
        f"While {UPDATE} ran ({seconds:.0f} s), {len(failed)} of the {len(traffic.answers)} requests that "
        f"{CLIENTS} clients sent through the proxy failed during the update; the first, "
        f"{failed[0][0] - started:.1f} s in: {failed[0][1]}. Users saw those. The old backend must keep "
        "serving until a new one is healthy and the proxy knows its address (nginx looks the name up again "
        "every 5 s: `server backend:8000 resolve` and resolver valid=5s in proxy/nginx.conf). The script "
        "printed:\n" + said(done)
    )
    assert done.returncode == 0, (
        f"{UPDATE} should end with exit status 0; it ended with {done.returncode}:\n{said(done)}")
    assert len(backends) == 1 and len(running) == 1, (
        f"After {UPDATE}, one backend container should be left, running; there are {len(backends)} "
        f"({len(running)} running):\n{stack.states()}\nThe old one is stopped and removed once the new one serves."
    )
    serving = stack.engine.docker("inspect", "--format", "{{.Image}}", running[0]["ID"]).stdout.strip()
    assert serving == image and running[0]["ID"] != before, (
        f"After {UPDATE}, the backend should run the image just built (the check built the next release "
        f"under {tag}); it runs {serving[:19]}, not {image[:19]}"
        + (", in the same container as before: nothing was replaced." if running[0]["ID"] == before else ".")
    )
    assert len(traffic.answers) >= 20, (
        f"The check's clients got only {len(traffic.answers)} answers in {seconds:.0f} s: the proxy was too slow "
        "to tell whether the update fails requests."
    )
