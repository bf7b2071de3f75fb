"""The learner's production build, and nginx in front of it, for the checks of lesson 14 on.

- built_dist(frontend, node): frontend/dist as `vite build` makes it from the learner's
  sources, built once per content of the front end (a cache under the state folder:
  a second check run, or a mutant that changes only the backend, reuses it) and never
  written into the workspace, where `npm run build` output belongs to the learner
- serving(app): an app this process already imported, under uvicorn in a thread of this
  process, on a free loopback port: a real server for Chromium and nginx, without the
  seconds a new process spends importing the app (the checks import it anyway)
- nginx_site(conf, dist, backend_url, folder): the learner's frontend/nginx.conf under a
  real nginx (the machine's own, unprivileged: its own prefix, pid and logs in `folder`)
  on a free loopback port, with its `root` pointed at `dist` and its `proxy_pass` at the
  backend the check started; where nginx is missing, ServiceUnavailable ("cannot run")
- running_nginx(site_conf, ...): any site config under that nginx, `nginx -t` first (the native
  stack's proxy runs lesson 17's proxy/nginx.conf with it: support/native_stack.py)

The nginx.conf contract (lesson 16's image copies the same file): a server block that
works when included from an http {} block, serving `root /usr/share/nginx/html;` and
forwarding to `http://backend:8000`; those two and `listen` are all the check rewrites.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

from shiplings import lifeline, npm, services, tools
from shiplings.locks import exclusive
from shiplings.net import DidNotStart, free_port, serving_in_thread
from shiplings.paths import state_dir
from support.frontend import tail

IMAGE_ROOT = "/usr/share/nginx/html"
IMAGE_BACKEND = "http://backend:8000"
NGINX_CONF = "frontend/nginx.conf"
# what a build never reads: installed packages, earlier output, the checks' own specs
NOT_SOURCES = {"node_modules", "dist", ".vite", "coverage", "__shiplings__", ".git"}
BUILDS_KEPT = 4


def sources_key(frontend: Path, node: npm.Node) -> str:
    """What decides the build: every source file of the front end, VITE_* variables, Node's major version."""
    digest = hashlib.sha256(f"node {node.version[0]}\0".encode())
    for name, value in sorted(os.environ.items()):
        if name.startswith("VITE_"):
            digest.update(f"{name}={value}\0".encode())
    files = []
    for folder, subfolders, names in os.walk(frontend):
        subfolders[:] = [name for name in subfolders if name not in NOT_SOURCES]  # never walk node_modules
        files += [Path(folder, name) for name in names]
    for path in sorted(files):
        digest.update(path.relative_to(frontend).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:24]


def built_dist(frontend: Path, node: npm.Node) -> Path:
    """The learner's front end built by `vite build` (cached by content); AssertionError when it fails."""
    try:
        npm.ensure_dependencies(frontend, node)
    except npm.InstallFailed as failure:
        raise AssertionError(failure.learner_message("frontend/")) from None
    root = state_dir() / "cache" / "builds"
    cached = root / sources_key(frontend, node)
    root.mkdir(parents=True, exist_ok=True)
    with exclusive(cached.with_suffix(".lock")):
        if (cached / "index.html").is_file():
            os.utime(cached)  # recently used: kept by the pruning below
            return cached
        staging = cached.with_name(f"{cached.name}.{os.getpid()}.part")
        shutil.rmtree(staging, ignore_errors=True)
        vite = frontend / "node_modules" / "vite" / "bin" / "vite.js"
        # through lifeline: a check run killed outright takes the build with it
        build = lifeline.spawn([node.node, str(vite), "build", "--outDir", str(staging), "--emptyOutDir"],
                               cwd=frontend, env=node.env({"CI": "1", "NO_COLOR": "1"}), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
        try:
            printed, _ = build.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            printed = "(it did not finish within 300 s)"
        finally:
            services.stop(build)
        if build.returncode != 0 or not (staging / "index.html").is_file():
            shutil.rmtree(staging, ignore_errors=True)
            raise AssertionError(
                "The checks build your front end as `npm run build` does (`vite build` in frontend/), to serve "
                f"what production serves; the build failed. Vite printed:\n{tail(printed or '', 15)}"
            )
        staging.replace(cached)
    builds = sorted((path for path in root.iterdir() if path.is_dir() and not path.name.endswith(".part")),
                    key=lambda path: path.stat().st_mtime, reverse=True)
    for old in builds[BUILDS_KEPT:]:
        shutil.rmtree(old, ignore_errors=True)
        old.with_suffix(".lock").unlink(missing_ok=True)
    return cached


def hashed_assets(dist: Path) -> list[str]:
    """The build's hashed files as URL paths: /assets/index-Da8pEyXM.js, ..."""
    return sorted(f"/assets/{path.name}" for path in (dist / "assets").iterdir() if path.is_file())


@contextlib.contextmanager
def serving(app, timeout: float = 60.0) -> Iterator[str]:
    """`app` under uvicorn in a thread of this process until the block ends; yields its URL.

    The thread dies with the check's process, like every server a check starts.
    AssertionError (a learner's message) when the app does not start: its lifespan failed.
    """
    try:
        with serving_in_thread(app, timeout=timeout, log_level="warning") as url:
            yield url
    except DidNotStart:
        raise AssertionError(
            "Your app should start under uvicorn and answer; it did not (its lifespan failed, or it never "
            "listened). Start it yourself with `uvicorn app.main:app` and read what it prints."
        ) from None


# --- nginx ----------------------------------------------------------------------------------

def nginx_binary() -> str:
    found = tools.find("nginx")
    if found is None:
        raise services.ServiceUnavailable("nginx")
    return found


def mime_types(binary: str) -> str:
    """The mime.types next to the nginx's own nginx.conf (Debian: /etc/nginx/mime.types)."""
    printed = subprocess.run([binary, "-V"], capture_output=True, text=True, timeout=30).stderr
    found = re.search(r"--conf-path=(\S+)", printed)
    return str(Path(found.group(1) if found else "/etc/nginx/nginx.conf").parent / "mime.types")


def pointed_here(conf: str, dist: Path, backend_url: str, port: int) -> str:
    """The learner's site config with its root, backend and port moved to this machine's.

    AssertionError (a learner's message) when the file does not name the image's root or
    backend, which lesson 16's image relies on.
    """
    root = re.compile(r"\broot\s+" + re.escape(IMAGE_ROOT) + r"/?\s*;")
    assert root.search(conf), (
        f"{NGINX_CONF} should serve the build from `root {IMAGE_ROOT};`: that is where the frontend image "
        "(lesson 16) puts dist/, and the one line the check points at its own build. No such line was found."
    )
    assert IMAGE_BACKEND in conf, (
        f"{NGINX_CONF} should forward the API to the backend at {IMAGE_BACKEND} (`proxy_pass {IMAGE_BACKEND}/;`): "
        "`backend` is the backend's service name in lesson 17's compose file, and the address the check points "
        "at the backend it started. It was not found in the file."
    )
    conf = root.sub(f"root {dist};", conf)
    conf = conf.replace(IMAGE_BACKEND, backend_url)
    listens = re.compile(r"^\s*listen\s+[^;]*;", re.MULTILINE)
    conf = listens.sub("", conf)
    return re.sub(r"(\bserver\s*\{)", rf"\1\n    listen 127.0.0.1:{port};", conf, count=1)


def main_conf(folder: Path, site: Path, binary: str, http_extra: str = "") -> str:
    """An nginx.conf of the check's own that includes the learner's site from its http {} block.

    http_extra: more directives for that block, before the site (the native stack's proxy_bind).
    """
    as_root = "user root;\n" if hasattr(os, "geteuid") and os.geteuid() == 0 else ""  # the scratch dist is 0700
    temp = folder / "temp"
    return f"""{as_root}worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 256; }}
http {{
    include {mime_types(binary)};
    default_type application/octet-stream;
    access_log {folder}/access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;{http_extra and chr(10) + "    " + http_extra}
    include {site};
}}
"""


@contextlib.contextmanager
def nginx_site(conf: str, dist: Path, backend_url: str, folder: Path) -> Iterator[str]:
    """The learner's site config under a real nginx on a free loopback port; yields its URL."""
    nginx_binary()  # without nginx the check cannot run, whatever the file says
    port = free_port()
    refused = (f"nginx should accept {NGINX_CONF} (included from an http {{}} block, as the nginx image does); "
               "`nginx -t` refused it:")
    with running_nginx(pointed_here(conf, dist, backend_url, port), NGINX_CONF, refused, folder, port) as url:
        yield url


@contextlib.contextmanager
def running_nginx(site_conf: str, shown_as: str, refused: str, folder: Path, port: int,
                  http_extra: str = "") -> Iterator[str]:
    """A site config (listening on `port`) under the machine's nginx, unprivileged, its prefix `folder`; its URL.

    `nginx -t` first: where it refuses the config, AssertionError with `refused` and nginx's last
    words, the scratch path of the file shown as `shown_as` (the learner's name for it).
    """
    binary = nginx_binary()
    (folder / "temp").mkdir(parents=True, exist_ok=True)
    (folder / "logs").mkdir(exist_ok=True)  # nginx opens <prefix>/logs/error.log before reading the config
    site = folder / "site.conf"
    site.write_text(site_conf)
    main = folder / "nginx.conf"
    main.write_text(main_conf(folder, site, binary, http_extra))
    tested = subprocess.run([binary, "-t", "-q", "-c", str(main), "-p", str(folder)], capture_output=True,
                            text=True, timeout=30)
    if tested.returncode != 0:
        said = "\n".join(line.replace(str(site), shown_as) for line in tested.stderr.strip().splitlines()[-6:])
        raise AssertionError(f"{refused}\n{said}")
    log = open(folder / "nginx.out", "w")  # noqa: SIM115 - closed in finally
    process = lifeline.spawn([binary, "-c", str(main), "-p", str(folder), "-g", "daemon off;"],
                             stop_signal=signal.SIGQUIT, stdout=log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL)
    try:
        services.wait_for_port(port, process, what="nginx")
        yield f"http://127.0.0.1:{port}"
    finally:
        services.stop(process, grace=5.0)
        log.close()
