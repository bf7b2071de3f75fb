"""How production runs the Tasks API: gunicorn supervising uvicorn workers.

Run it from the folder that holds app/ (gunicorn reads ./gunicorn.conf.py by itself):

    gunicorn                                  # the app named by wsgi_app below
    gunicorn -c gunicorn.conf.py app.main:app # the same, spelled out
    WEB_CONCURRENCY=4 PORT=9000 gunicorn      # another size, another port

The other way, with no file (the one FastAPI's documentation teaches today):

    uvicorn app.main:app --host 0.0.0.0 --port 8000 --workers 2 --no-access-log
    fastapi run app/main.py --workers 2       # needs the fastapi[standard] extra

Development stays `uvicorn app.main:app --reload`: one process that restarts on every save.

gunicorn runs this file as Python when it starts and reads the names it knows; it
ignores every other name without a word, so a misspelled setting is simply not set.
See every setting with `gunicorn --print-config` (run from this folder).
gunicorn runs on Linux and macOS (and WSL), not on Windows itself.
"""

import os
import shutil
import tempfile
from pathlib import Path


def cpu_cores() -> int:
    """The CPUs this process may run on (a container or `taskset` may allow fewer than exist)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS has no sched_getaffinity
        return os.cpu_count() or 1


# --- the environment ----------------------------------------------------------------------

# gunicorn is how production runs the app, so it runs it as production unless told
# otherwise. Settings then refuses to start without a strong TASKS_SECRET_KEY, where
# development would let every worker invent a signing key of its own (a token one worker
# signed, the others refuse). `TASKS_ENVIRONMENT=development gunicorn` still works.
os.environ.setdefault("TASKS_ENVIRONMENT", "production")

# --- what to run, and where ---------------------------------------------------------------

wsgi_app = "app.main:app"  # the ASGI app, when the command line names none
# Every interface, as a container needs; PORT is the convention hosting platforms use.
# A laptop that should not expose the app to its network: gunicorn --bind 127.0.0.1:8000
bind = [f"0.0.0.0:{os.environ.get('PORT', '8000')}"]

# Whose X-Forwarded-For and X-Forwarded-Proto to believe: loopback only, as gunicorn's default,
# unless FORWARDED_ALLOW_IPS (the variable gunicorn itself reads) names the proxy in front.
# Never "*": with "*" every client can choose the address the app sees, and a rate limit
# counted per address is gone.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# --- the workers ------------------------------------------------------------------------

# One process per core: each uvicorn worker runs an event loop that already serves many
# requests at once while they wait for I/O. gunicorn's classic 2 x cores + 1 is for its
# sync workers, one request at a time each; for async workers it only adds memory and
# context switches. WEB_CONCURRENCY, which gunicorn, uvicorn and hosting platforms all
# read, lets an operator size the server without editing this file.
workers = int(os.environ.get("WEB_CONCURRENCY") or cpu_cores())
# uvicorn's worker for gunicorn, from the `uvicorn-worker` package. The old
# "uvicorn.workers.UvicornWorker" still imports, but is deprecated and will go.
worker_class = "uvicorn_worker.UvicornWorker"

# --- timeouts ---------------------------------------------------------------------------

# A worker whose event loop has not ticked for this long is stuck (a blocking call in an
# async def, say): the master kills it and starts a fresh one.
timeout = 30
# On SIGTERM (what `docker stop` sends) each worker stops accepting connections and
# finishes the requests it holds, for at most this long; then the master kills it. At least
# the longest request the app lets run (TASKS_UPSTREAM_TIMEOUT_SECONDS, 5 s), and below the
# 10 s that docker stop and compose wait before they SIGKILL everything.
graceful_timeout = 8
# How long an idle keep-alive connection stays open. Behind a proxy or load balancer that
# keeps connections to the app, make it longer than the proxy's own idle timeout.
keepalive = 5

# --- recycling --------------------------------------------------------------------------

# Replace each worker after about 10,000 requests, so that a slow memory leak (in our code
# or in a library) never grows for months. A new worker first imports the whole app (a
# second or more), so keep a worker alive for minutes at peak load: the 1,000 that many
# guides copy was sized for sync workers serving a few requests a second. The jitter
# (0-1,000 more) keeps the workers from all restarting at the same moment.
max_requests = 10_000
max_requests_jitter = 1_000

# --- logging ----------------------------------------------------------------------------

# No access log: the app writes one JSON line per request itself (app/core/logging.py),
# with the request id; a second, plain-text line per request would cost throughput and
# confuse the log pipeline. gunicorn's own messages go to stderr.
accesslog = None
errorlog = "-"

# --- the control socket -----------------------------------------------------------------

# gunicorn 27 opens a control socket for `gunicornc` at $XDG_RUNTIME_DIR/gunicorn.ctl or
# ~/.gunicorn/gunicorn.ctl: a second gunicorn on the same machine (another app, a test run)
# would fight over it. We manage the server through signals and the orchestrator instead.
control_socket_disable = True


# --- hooks: gunicorn calls these functions in the master ----------------------------------

# Prometheus metrics across workers: every worker writes its counts to files in
# the folder PROMETHEUS_MULTIPROC_DIR names, and /metrics adds up all the files.
_metrics_folder_made_here = False


def on_starting(server):
    """Once, in the master, before any worker exists: an empty folder for the metrics files.

    Files left there by an earlier run (a restarted container, a folder reused on a laptop)
    would be added to the new counts. Without PROMETHEUS_MULTIPROC_DIR a private temporary
    folder is used, so that /metrics still counts every worker's requests; the workers,
    forked after this hook, inherit the variable.
    """
    global _metrics_folder_made_here
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        folder = tempfile.mkdtemp(prefix="tasks-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
        _metrics_folder_made_here = True
    Path(folder).mkdir(parents=True, exist_ok=True)
    for leftover in Path(folder).glob("*.db"):
        leftover.unlink()
    server.log.info("Prometheus multiprocess folder: %s", folder)


def child_exit(server, worker):
    """In the master, after a worker exited (a crash, max_requests, a stop): drop its live gauges."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """In the master, as it exits: remove the metrics folder if on_starting made it."""
    if _metrics_folder_made_here:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
