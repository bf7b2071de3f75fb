"""Lesson 11: the production server runs the app in several worker processes.

The checks read the learner's gunicorn.conf.py the way gunicorn does, then run it for
real on loopback ports: count its workers, load it, stop it mid-request, and start a plain
`gunicorn` that nobody told it is production.
"""

import asyncio
import contextlib
import difflib
import logging
import os
import signal
import subprocess
import threading
import time
import types
from pathlib import Path

import h11
import httpx
import pytest

from shiplings import services
from shiplings.testing import final_error
from support.metrics import requests_counted

CONFIG = "gunicorn.conf.py"
MAINTAINED = "uvicorn_worker.UvicornWorker"
DEPRECATED = "uvicorn.workers.UvicornWorker"
# what a production platform waits between SIGTERM and SIGKILL (docker stop, compose)
STOP_TIMEOUT = 10
# the longest a request of this app waits for another service by default (lesson 05)
UPSTREAM_TIMEOUT = 5
REQUESTS, CONNECTIONS, LOAD_SECONDS = 200, 32, 30
REQUEST_TIMEOUT = 10  # seconds, for one request of the load
# what the metrics file an earlier run left claims (see conftest.py: leave_stale_metrics)
STALE_COUNT = 100_000


def misspelled(names: dict, wanted: str) -> str:
    """A sentence about a near miss of the gunicorn setting `wanted` in the file, else ''."""
    from gunicorn.config import Config

    known = Config().settings
    near = [
        name for name, value in names.items()
        if not name.startswith("_") and name not in known
        and not isinstance(value, (types.ModuleType, types.FunctionType, type))
        and difflib.get_close_matches(name, [wanted], n=1, cutoff=0.8)
    ]
    if not near:
        return ""
    return (f" Your file sets `{near[0]}`, which gunicorn does not know, so it ignores it "
            f"without a word: the setting is spelled `{wanted}`.")


def test_worker_class_is_maintained(gunicorn_config):
    config, names = gunicorn_config()
    chosen = config.worker_class_str
    if chosen.startswith("uvicorn.workers."):
        why = (
            f"`{chosen}` is deprecated: uvicorn moved its gunicorn workers to their own package, "
            "`uvicorn-worker`, and the old ones only warn (a warning Python hides by default) until "
            "they are removed."
        )
    elif chosen == "asgi":
        why = (
            "\"asgi\" is gunicorn's own ASGI worker (new in gunicorn 24). It works, but this course runs "
            "uvicorn in the workers: the same server the app runs on in development and under "
            "`uvicorn --workers`."
        )
    elif chosen == "sync":
        why = (
            "Your config leaves worker_class at gunicorn's default, \"sync\": a worker for WSGI apps, "
            "one request at a time. The app is ASGI (async def routes), so every request would fail."
            + misspelled(names, "worker_class")
        )
    else:
        why = f"Your config sets worker_class = {chosen!r}."
    assert chosen in (MAINTAINED, "uvicorn_worker.UvicornH11Worker"), (
        f"gunicorn should run the app in uvicorn workers from the maintained package: worker_class = "
        f"\"{MAINTAINED}\" in {CONFIG}. {why}"
    )


def test_workers_follow_cpu_count(gunicorn_config):
    counts = {cpus: gunicorn_config(cpus=cpus)[0].workers for cpus in (1, 2, 8)}
    names = gunicorn_config()[1]
    seen = ", ".join(f"{cpus} CPU(s) -> {workers}" for cpus, workers in counts.items())
    assert counts[8] > counts[1] and all(1 <= workers <= 2 * cpus + 1 for cpus, workers in counts.items()), (
        f"{CONFIG} should set `workers` from the machine's CPU count (one per core for async workers, "
        "at most gunicorn's classic 2 x cores + 1), so the same file fits a laptop and a 16-core "
        f"server; with WEB_CONCURRENCY unset it gives {seen}. Count the cores with "
        "os.sched_getaffinity(0) (the CPUs this process may use) or os.cpu_count()."
        + misspelled(names, "workers")
    )
    extra = {cpus: workers for cpus, workers in counts.items() if workers > cpus}
    assert not extra, (
        f"{CONFIG} should start one uvicorn worker per core; with WEB_CONCURRENCY unset it gives {seen}. "
        "gunicorn's classic 2 x cores + 1 is for its sync workers, which serve one request at a time "
        "each; a uvicorn worker's event loop already serves many at once, so the extra processes only "
        f"add memory (a copy of the app each) and context switches. Look at how {CONFIG} sets "
        "`workers`: one per core, unless WEB_CONCURRENCY says otherwise."
    )
    overridden = gunicorn_config(cpus=8, env={"WEB_CONCURRENCY": "3"})[0].workers
    assert overridden == 3, (
        "WEB_CONCURRENCY (the variable gunicorn, uvicorn and hosting platforms agree on) should win "
        f"over the CPU count, so an operator can size the server without editing {CONFIG}; with "
        f"WEB_CONCURRENCY=3 on 8 CPUs your config asks for {overridden} workers. Look at how {CONFIG} "
        "sets `workers`: WEB_CONCURRENCY, when it is set, comes before the CPU count."
    )


def test_shutdown_and_recycling_settings(gunicorn_config):
    config, names = gunicorn_config()
    graceful = config.graceful_timeout
    assert UPSTREAM_TIMEOUT <= graceful < STOP_TIMEOUT, (
        f"graceful_timeout (how long a stopping worker may finish its requests before the master kills "
        f"it) should be at least {UPSTREAM_TIMEOUT} s, the longest a request of this app may wait for the "
        f"holidays service, and less than {STOP_TIMEOUT} s, what `docker stop` and compose wait before "
        f"they SIGKILL the whole server; {CONFIG} gives {graceful} s"
        + (" (gunicorn's default)." if "graceful_timeout" not in names else ".")
        + misspelled(names, "graceful_timeout")
    )
    requests, jitter = config.max_requests, config.max_requests_jitter
    assert requests > 0 and 0 < jitter < requests, (
        "Each worker should be replaced after a number of requests (max_requests, e.g. 10_000) with a "
        "random extra below it (max_requests_jitter, e.g. 1_000), so that a slow memory leak never grows "
        "for months and the workers do not all restart at the same moment; "
        f"{CONFIG} gives max_requests = {requests}, max_requests_jitter = {jitter}."
        + misspelled(names, "max_requests") + misspelled(names, "max_requests_jitter")
    )
    structured = config.accesslog is not None and str(config.access_log_format).lstrip().startswith("{")
    assert config.accesslog is None or structured, (
        f"gunicorn's access log should stay off (accesslog = None): the app already writes one JSON line "
        f"per request (lesson 10), and a second, plain-text line per request costs throughput and "
        f"breaks a log pipeline that expects JSON; {CONFIG} sets accesslog = {config.accesslog!r}."
    )
    stuck = config.timeout
    assert 0 < stuck <= 60, (
        "timeout (how long a worker's event loop may go without reporting before the master kills "
        "and replaces it) should be set, and short: 30 s. A blocking call in an async def freezes "
        f"every request of that worker until it is replaced; {CONFIG} gives timeout = {stuck}"
        + (" (0 turns the watchdog off: a stuck worker is never replaced)." if stuck <= 0 else " s.")
        + misspelled(names, "timeout")
    )
    assert config.keepalive >= 5, (
        "keepalive (how long an idle keep-alive connection stays open) should be at least 5 s: "
        "gunicorn's default of 2 s closes connections a proxy or load balancer still wants to reuse, "
        "and the next request on such a connection fails; behind a proxy, make it longer than the "
        f"proxy's own idle timeout. {CONFIG} gives keepalive = {config.keepalive}"
        + (" (gunicorn's default)." if "keepalive" not in names else ".") + misspelled(names, "keepalive")
    )
    hosted, hosted_names = gunicorn_config(env={"PORT": "9123"})
    addresses = hosted.bind if "bind" in hosted_names else ["127.0.0.1:8000 (gunicorn's default)"]
    assert addresses and all(address in ("0.0.0.0:9123", "[::]:9123") for address in addresses), (
        "gunicorn should listen on every interface, on the port the platform names in PORT, so that "
        "a container, a VM or a hosting platform can reach it: with PORT=9123 the bind should be "
        f"0.0.0.0:9123; {CONFIG} binds {', '.join(addresses)}. Only 127.0.0.1 is reachable from "
        "inside the container alone, and a fixed port ignores the platform's."
        + misspelled(names, "bind")
    )
    assert config.errorlog == "-", (
        "gunicorn's own messages (workers started, killed, timed out) should go to stderr (errorlog = \"-\", "
        "gunicorn's default), where a container's log driver, systemd or a platform collects them beside the "
        f"app's JSON lines; {CONFIG} writes them to {config.errorlog!r}, a file inside the container or server "
        "that nobody reads and that grows until the disk is full." + misspelled(names, "errorlog")
    )
    trusted = config.forwarded_allow_ips
    assert "*" not in trusted, (
        "forwarded_allow_ips names the addresses whose X-Forwarded-For and X-Forwarded-Proto gunicorn believes; "
        f"{CONFIG} trusts {', '.join(trusted)}. With \"*\" any client can write its own X-Forwarded-For, and "
        "the app then sees whatever address the client chose: the rate limit of lesson 09, counted per "
        "address, is gone (one header per request, a new address each time), and so is the address in the "
        "logs. Trust only the proxy in front of the app; with no proxy yet, gunicorn's default (loopback only)."
    )
    assert config.control_socket_disable, (
        "gunicorn's control socket should be off (control_socket_disable = True): gunicorn 27 otherwise "
        "opens one at $XDG_RUNTIME_DIR/gunicorn.ctl or ~/.gunicorn/gunicorn.ctl, and a second gunicorn "
        f"on the same machine (a test run, a second app) fights over it. {CONFIG} leaves it on."
        + misspelled(names, "control_socket_disable")
    )


def test_metrics_hooks_tidy_up(gunicorn_config, tmp_path, monkeypatch):
    """child_exit forgets only a dead worker's live gauges; a folder on_starting made leaves with on_exit."""
    _, names = gunicorn_config()
    server = types.SimpleNamespace(log=logging.getLogger("gunicorn.error"))
    child_exit = names.get("child_exit")
    assert callable(child_exit), (
        f"{CONFIG} has no child_exit(server, worker) hook, which gunicorn calls in the master after a "
        "worker exits (a crash, max_requests, a stop). Without it, the gauges a dead worker kept "
        "(requests in progress, say) stay in /metrics forever, frozen at their last value."
        + misspelled(names, "child_exit")
    )
    folder = tmp_path / "metrics"
    folder.mkdir()
    dead, alive = 4242, 4343
    for pid in (dead, alive):  # the files prometheus_client's multiprocess mode writes per process
        for kind in ("counter", "histogram", "gauge_livesum", "gauge_all"):
            (folder / f"{kind}_{pid}.db").write_bytes(b"")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    child_exit(server, types.SimpleNamespace(pid=dead))
    left = sorted(path.name for path in folder.iterdir())
    assert f"gauge_livesum_{dead}.db" not in left, (
        f"After child_exit for worker {dead}, its live gauge file gauge_livesum_{dead}.db should be gone "
        f"(it holds values only a running worker can vouch for, such as requests in progress); the folder "
        f"still holds it. Look at child_exit() in {CONFIG}: prometheus_client's multiprocess module has a "
        "function for exactly this."
    )
    kept = {f"counter_{dead}.db", f"histogram_{dead}.db", f"gauge_all_{dead}.db"} | {
        f"{kind}_{alive}.db" for kind in ("counter", "histogram", "gauge_livesum", "gauge_all")}
    lost = sorted(kept - set(left))
    assert not lost, (
        f"child_exit for worker {dead} should remove only that worker's live gauges; it also removed "
        f"{', '.join(lost)}. A dead worker's counters and histograms are requests it really served: "
        f"without their files /metrics counts backwards, and Prometheus reads a drop as a restart. Look "
        f"at child_exit() in {CONFIG}."
    )
    on_starting, on_exit = names.get("on_starting"), names.get("on_exit")
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    if callable(on_starting):
        on_starting(server)
    made = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if made and Path(made).is_dir():  # the hook made a folder of its own: it must not outlive the server
        if callable(on_exit):
            on_exit(server)
        assert not Path(made).exists(), (
            f"With no PROMETHEUS_MULTIPROC_DIR set, on_starting in {CONFIG} made the folder {made}, and it "
            "is still there after the server stopped (on_exit). Every start would leave another folder "
            f"of metrics files behind. Look at on_exit(server) in {CONFIG}."
        )


@pytest.mark.timeout(90)
def test_starts_n_worker_processes(three_workers, workers_of):
    server = three_workers
    workers = workers_of(server.process.pid, 3)
    control = server.runtime / "gunicorn.ctl"
    assert len(workers) == 3, (
        f"`WEB_CONCURRENCY=3 gunicorn -c {CONFIG} app.main:app` should run 3 worker processes under "
        f"its master; it runs {len(workers)}. Look at how {CONFIG} sets `workers`: WEB_CONCURRENCY, "
        "when it is set, decides; the CPU count only otherwise. What gunicorn printed:\n"
        + server.output()[-1200:]
    )
    assert not control.exists(), (
        f"gunicorn opened its control socket ({control}); it should stay off, or a second gunicorn on "
        f"the same machine fights over it. Look at control_socket_disable in {CONFIG}."
    )


async def _answer(connection: h11.Connection, reader, writer) -> tuple[int, bytes]:
    """Send GET /health on the connection; the status and body of its answer."""
    writer.write(connection.send(h11.Request(method="GET", target="/health", headers=[("Host", "127.0.0.1")]))
                 + connection.send(h11.EndOfMessage()))
    status, body = None, b""
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            connection.receive_data(await reader.read(65536))
        elif isinstance(event, h11.Response):
            status = event.status_code
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
            break
    if status is None:
        raise ConnectionError("the server closed the connection without an answer")
    return status, body


async def _ask_health(port: int, left: list[int], answers: list) -> None:
    """One connection of the load: GET /health again as soon as an answer is in, while requests are left.

    h11 (the HTTP/1.1 inside httpx and uvicorn) without httpx's pool on top: with 32 requests
    waiting on it, the pool spends more CPU per request than the server does, and the load
    would mostly measure the client.
    """
    reader = writer = connection = None
    while left:
        left.pop()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                connection = h11.Connection(h11.CLIENT)
            answers.append(await asyncio.wait_for(_answer(connection, reader, writer), REQUEST_TIMEOUT))
            if connection.our_state is h11.DONE and connection.their_state is h11.DONE:
                connection.start_next_cycle()  # keep-alive: the next request on the same connection
                continue
        except (OSError, TimeoutError, h11.ProtocolError) as error:
            answers.append(f"no answer ({type(error).__name__}: {error})")
        if writer is not None:  # the server closes this connection (Connection: close), or it broke
            writer.close()
        writer = None
    if writer is not None:
        writer.close()


async def _load(port: int) -> list:
    """REQUESTS requests to GET /health over CONNECTIONS connections at once: each one's (status, body),
    or what went wrong."""
    left, answers = list(range(REQUESTS)), []
    await asyncio.gather(*(_ask_health(port, left, answers) for _ in range(CONNECTIONS)))
    return answers


def health_count(http: httpx.Client) -> int | None:
    """What one read of /metrics counts for GET /health (None: no request counter)."""
    response = http.get("/metrics")
    count = requests_counted(response.text, "/health") if response.status_code == 200 else None
    return int(count) if count is not None else None


def signal_all(pids: list[int], number: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):  # a worker that was replaced meanwhile
            os.kill(pid, number)


def count_of_each_worker(http: httpx.Client, workers: list[int]) -> list[int | None]:
    """What /metrics counts for GET /health, read from each worker in turn.

    Which worker accepts a new connection is the kernel's choice, and one worker may take
    nearly all of them, so while one worker is read the others are frozen (SIGSTOP): only
    it can answer. They are thawed (SIGCONT) at once, long before gunicorn's timeout would
    take them for stuck. `http` asks on a new connection each time (Connection: close).
    """
    counts = []
    for worker in workers:
        others = [pid for pid in workers if pid != worker]
        signal_all(others, signal.SIGSTOP)
        try:
            counts.append(health_count(http))
        finally:
            signal_all(others, signal.SIGCONT)
    return counts


def counts_before_load(http: httpx.Client, workers: list[int]) -> list[int | None]:
    """Each worker's /health count, once they agree and a second round of reads says the same
    (at most about 1 s of reads): probes the server queued while its workers booted may be
    counted a moment after it first answered."""
    previous, counts = None, count_of_each_worker(http, workers)
    deadline = time.monotonic() + 1.0
    while (counts != previous or len(set(counts)) > 1) and time.monotonic() < deadline:
        time.sleep(0.05)
        previous, counts = counts, count_of_each_worker(http, workers)
    return counts


def counts_after_load(http: httpx.Client, workers: list[int], expected: int | None) -> list[int | None]:
    """Each worker's /health count, once every one says `expected` (at most about 2 s of reads).

    A worker counts a request just after it sent the answer, so the last few may land a
    moment after the load ended (later on a busy machine, where a worker may be paused in
    between). With no `expected` (the workers disagreed already), one round of reads.
    """
    counts = count_of_each_worker(http, workers)
    deadline = time.monotonic() + 2.0
    while expected is not None and counts != [expected] * len(workers) and time.monotonic() < deadline:
        time.sleep(0.05)
        counts = count_of_each_worker(http, workers)
    return counts


@pytest.mark.timeout(90)
def test_serves_concurrent_load(three_workers, workers_of):
    server = three_workers
    workers = workers_of(server.process.pid, 3)
    with httpx.Client(base_url=server.url, headers={"Connection": "close"}, timeout=10) as http:
        before = counts_before_load(http, workers)
        answers = asyncio.run(asyncio.wait_for(_load(server.port), LOAD_SECONDS))
        failed = [answer for answer in answers if isinstance(answer, str) or answer[0] >= 300]
        example = failed[0] if failed else None
        if isinstance(example, tuple):
            example = f"{example[0]} {example[1][:200].decode(errors='replace')}"
        assert not failed, (
            f"{REQUESTS} requests to GET /health over {CONNECTIONS} connections at once should all answer 2xx "
            f"from `WEB_CONCURRENCY=3 gunicorn -c {CONFIG} app.main:app`; {len(failed)} did not, for example: "
            f"{example}. A 500 for every request usually means the worker class cannot run an ASGI app "
            f"(worker_class = \"{MAINTAINED}\"). What gunicorn printed:\n" + server.output()[-1200:]
        )
        one_count = None not in before and len(set(before)) == 1
        after = counts_after_load(http, workers, before[0] + REQUESTS if one_count else None)
    counted = [count for count in before + after if count is not None]
    assert counted, (
        "GET /metrics should answer 200 with a request counter under gunicorn, as it does under uvicorn "
        f"(lesson 10); it answered without one (read from each of the {len(workers)} workers, before "
        "and after the load)."
    )
    stale = max((count for count in before if count is not None), default=0)
    assert stale < STALE_COUNT, (
        f"Before any load, /metrics already counted {stale:,} GET /health requests: the {STALE_COUNT:,} "
        "that the metrics file of an earlier run claims (the check left one in the folder "
        "PROMETHEUS_MULTIPROC_DIR names, as a restarted container finds it). Empty that folder in the "
        f"on_starting(server) hook of {CONFIG}: gunicorn calls it once, in the master, before any worker starts."
    )
    assert one_count and after == [before[0] + REQUESTS] * len(workers), (
        f"/metrics should count the requests of every worker, whichever worker answers: after {REQUESTS} "
        f"requests to GET /health through {len(workers)} workers, each should count {REQUESTS} more than "
        f"before. Read from each worker in turn, /metrics counted {before} before the load and {after} after "
        "it (None: no request counter at all). Each worker counts only its own requests unless all of them "
        "write to the folder PROMETHEUS_MULTIPROC_DIR names (the check sets it, as a production image does): "
        f"make sure {CONFIG} does not replace or drop that variable, in the master or in a worker's hook."
    )


@pytest.mark.timeout(90)
def test_sigterm_finishes_in_flight_requests(three_workers, slow_upstream, gunicorn_config):
    config, _ = gunicorn_config()
    server = three_workers  # this check stops it: it comes last of the checks that share it
    answer: dict[str, object] = {}

    def ask() -> None:
        try:
            answer["response"] = httpx.get(server.url + "/holidays/2025?country=DE", timeout=20)
        except httpx.HTTPError as error:
            answer["error"] = error

    asking = threading.Thread(target=ask)
    asking.start()
    deadline = time.monotonic() + 10
    while asking.is_alive() and not slow_upstream.reached.is_set() and time.monotonic() < deadline:
        slow_upstream.reached.wait(0.05)
    reached = slow_upstream.reached.is_set()
    if not reached:
        asking.join(5)
    response = answer.get("response")
    assert reached, (
        "GET /holidays/2025?country=DE should reach the holidays service (a fake one that answers "
        f"after {slow_upstream.delay} s) while gunicorn serves the app; it never did. The app answered: "
        f"{response.status_code if response is not None else answer.get('error')!r}. Check worker_class in "
        f"{CONFIG}. What gunicorn printed:\n" + server.output()[-1200:]
    )
    stopped_at = time.monotonic()
    os.kill(server.process.pid, signal.SIGTERM)
    asking.join(config.graceful_timeout + 10)
    try:
        code = server.process.wait(timeout=config.graceful_timeout + 5)
    except subprocess.TimeoutExpired:
        code = None
    took = time.monotonic() - stopped_at
    response = answer.get("response")
    assert response is not None and response.status_code == 200 and "Fake Upstream Day" in response.text, (
        "A request in flight when gunicorn gets SIGTERM (what `docker stop` sends) should still get its "
        f"answer: the workers stop taking new connections and finish what they hold, for up to "
        f"graceful_timeout ({config.graceful_timeout} s in your {CONFIG}). The request waiting "
        f"{slow_upstream.delay} s for the holidays service got "
        f"{show_answer(answer)} instead. What gunicorn printed:\n" + server.output()[-1500:]
    )
    assert code == 0 and took <= config.graceful_timeout + 3, (
        f"After SIGTERM, the gunicorn master should exit cleanly (status 0) once its workers finished, "
        f"within graceful_timeout ({config.graceful_timeout} s); it "
        + (f"exited with status {code} after {took:.1f} s." if code is not None else
           f"was still running after {took:.1f} s.")
        + " What gunicorn printed:\n" + server.output()[-1500:]
    )


def show_answer(answer: dict) -> str:
    response = answer.get("response")
    if response is not None:
        return f"{response.status_code} {response.text[:200]}"
    error = answer.get("error")
    return f"no answer ({type(error).__name__}: {error})" if error else "no answer at all"


# --- a plain `gunicorn` runs the app as production ----------------------------------------
#
# Run with neither TASKS_ENVIRONMENT nor TASKS_SECRET_KEY, the server must refuse to start,
# saying which setting is missing; started in development instead, every worker would invent
# a signing key of its own, and a token signed by one worker would be refused by the others.

def tokens_across_workers(url: str, attempts: int = 12) -> list[int]:
    """Sign up, sign in, then ask GET /users/me with the token on fresh connections."""
    email, password = "plain-gunicorn@example.com", "correct horse battery staple"
    httpx.post(url + "/auth/register", json={"email": email, "password": password}, timeout=30)
    token = httpx.post(url + "/auth/token", data={"username": email, "password": password}, timeout=30)
    if token.status_code != 200:
        return [token.status_code]
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    # a new connection each time, so the requests spread over the workers
    return [httpx.get(url + "/users/me", headers=headers, timeout=30).status_code for _ in range(attempts)]


@pytest.mark.timeout(120)
def test_plain_gunicorn_runs_as_production(plain_gunicorn, workers_of):
    try:
        server = plain_gunicorn.result()
    except services.AppStopped as refused:  # it stopped before it answered: what production must do
        # each worker prints its traceback: the reason is in the first one, not at the end
        printed = refused.output
        assert "TASKS_SECRET_KEY" in printed, (
            f"With no TASKS_ENVIRONMENT and no TASKS_SECRET_KEY, `gunicorn -c {CONFIG} app.main:app` "
            "stopped, which is right, but what it printed does not name TASKS_SECRET_KEY, the "
            f"setting an operator has to add:\n{printed[-1500:]}"
        )
        return
    statuses = tokens_across_workers(server.url)
    workers = len(workers_of(server.process.pid, 2))  # WEB_CONCURRENCY=2, unless the config ignores it
    if len(statuses) > 1:
        seen = f"GET /users/me with one token answered {statuses} across {workers} worker(s)"
    else:  # it did not even sign in: what the server said is more use than the status
        seen = f"signing in answered {statuses[0]}; the server said: {final_error(server.output(), 300)}"
    raise AssertionError(
        f"With no TASKS_ENVIRONMENT and no TASKS_SECRET_KEY in the environment, `gunicorn -c {CONFIG} "
        "app.main:app` started the app in development mode, where each worker invents its own signing "
        f"key ({seen}). gunicorn is how "
        "production runs, so a plain `gunicorn` should run the app as production, which refuses to "
        f"start without a strong TASKS_SECRET_KEY. In {CONFIG}, set TASKS_ENVIRONMENT to production "
        "unless it is already set."
    )
