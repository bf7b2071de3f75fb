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


def cpu_cores() -> int:
    """The CPUs this process may run on (a container or `taskset` may allow fewer than exist)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS has no sched_getaffinity
        return os.cpu_count() or 1


# --- the environment ----------------------------------------------------------------------

# TODO(11): a plain `gunicorn` must run the app as production, without anybody having to
#   remember TASKS_ENVIRONMENT=production: set that variable here unless it is already set
#   (os.environ.setdefault). Without it the app starts in development, and every worker
#   invents its own signing key: a token signed by one worker is refused by the others.

# --- what to run, and where ---------------------------------------------------------------

wsgi_app = "app.main:app"  # the ASGI app, when the command line names none
# Every interface, as a container needs; PORT is the convention hosting platforms use.
# A laptop that should not expose the app to its network: gunicorn --bind 127.0.0.1:8000
bind = [f"0.0.0.0:{os.environ.get('PORT', '8000')}"]

# --- the workers ------------------------------------------------------------------------

# TODO(11): as many workers as the machine has cores (cpu_cores() above), unless the
#   WEB_CONCURRENCY environment variable says how many (gunicorn, uvicorn and hosting
#   platforms all read it). Why not gunicorn's classic 2 x cores + 1? See the notebook.
workers = 1

# TODO(11): worker_class: which worker runs the app in each process. gunicorn's default,
#   "sync", speaks WSGI, one request at a time; our app is ASGI. The seed article writes
#   "uvicorn.workers.UvicornWorker": that one is deprecated. Use the class from the
#   `uvicorn-worker` package (the import name is uvicorn_worker).

# --- timeouts ---------------------------------------------------------------------------

# TODO(11): timeout: after how many seconds of silence the master replaces a stuck worker
#   (30 is a sane value for async workers).
# TODO(11): graceful_timeout: on SIGTERM, how long each worker may finish the requests it
#   holds. At least the longest request the app lets run (TASKS_UPSTREAM_TIMEOUT_SECONDS,
#   5 s), and below the 10 s that `docker stop` waits before it kills everything.
#   gunicorn's default is 30 s.
# TODO(11): keepalive: seconds an idle keep-alive connection stays open (5 is uvicorn's own default).

# --- recycling --------------------------------------------------------------------------

# TODO(11): max_requests and max_requests_jitter: replace each worker after that many
#   requests (plus a random 0..jitter), so a slow memory leak cannot grow forever and the
#   workers do not all restart at once. Size it so a worker lives minutes at peak load.

# --- logging ----------------------------------------------------------------------------

# TODO(11): accesslog: the app already writes one JSON line per request (lesson 10). Keep
#   gunicorn's own access log off.
errorlog = "-"

# --- the control socket -----------------------------------------------------------------

# TODO(11): gunicorn 27 opens a control socket at $XDG_RUNTIME_DIR/gunicorn.ctl or
#   ~/.gunicorn/gunicorn.ctl, and a second gunicorn on the same machine fights over it.
#   Turn it off (the setting behind the --no-control-socket flag; --print-config names it).


# --- hooks: gunicorn calls these functions in the master ----------------------------------

# Prometheus metrics across workers: every worker writes its counts to files in
# the folder PROMETHEUS_MULTIPROC_DIR names, and /metrics adds up all the files.


def on_starting(server):
    """Once, in the master, before any worker exists."""
    # TODO(11): make the PROMETHEUS_MULTIPROC_DIR folder empty: files an earlier run left
    #   there would be added to the new counts. (Without the variable, you may create a
    #   temporary folder and set it in os.environ: the workers, forked later, inherit it.)


def child_exit(server, worker):
    """In the master, after a worker exited (a crash, max_requests, a stop)."""
    # TODO(11): tell prometheus_client the worker is gone:
    #   multiprocess.mark_process_dead(worker.pid), from prometheus_client.
