"""The learner's compose stack without a Docker Engine (JupyterHub, Binder): lessons 17 and 18.

Where no engine answers (or SHIPLINGS_STACK=native asks for it), the `stack` fixture runs the
compose model's topology on this machine instead, each service on a free loopback port, from
what the learner's files say:

- db: a PostgreSQL of the run's own, with the db service's POSTGRES_USER, _PASSWORD and _DB
- redis: a Redis of the run's own
- migrate: its command, once, in the backend's build context, with its environment
- backend: its command (or its Dockerfile's CMD) and its environment, bound to a free port
- frontend: the learner's build (support.spa) under nginx with frontend/nginx.conf
- proxy: nginx with the config file the proxy service mounts, its other mounts in place

A service's name and port in an environment, a command or a config (`db:5432`,
`http://frontend`) become that service's loopback address. The proxy's fixed address becomes
127.0.0.2, and nginx connects to the backend from there (proxy_bind): so the backend tells the
proxy from other clients as it does in the stack, and 127.0.0.3 plays another container.

What only containers show (healthchecks, restart policies, port bindings, named volumes) is
not proven here: a check calls `stack.container_only(what)` after the part it could prove, and
ends as "cannot run on this machine", never as a pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from shiplings import lifeline, npm, services
from shiplings.net import free_port
from shiplings.patience import machine_factor
from shiplings.testing import workspace
from support import compose, spa

NATIVE_VARIABLE = "SHIPLINGS_STACK"  # "native": run the stack natively even where an engine answers
PROXY_ADDRESS = "127.0.0.2"  # the proxy's fixed address in the stack, natively
NEIGHBOUR_ADDRESS = "127.0.0.3"  # another container of the stack, natively
# the port each service listens on inside its container, as the course's files name them
INNER_PORTS = {"db": 5432, "redis": 6379, "backend": 8000, "frontend": 80, "proxy": 80}
# the services that run natively: those of lesson 17's topology
NATIVE = ("db", "redis", "migrate", "backend", "frontend", "proxy")
# the learner's environment must not leak into the stack's: these the services set themselves
HOST_ONLY = re.compile(r"^(TASKS_\w+|WEB_CONCURRENCY|FORWARDED_ALLOW_IPS|PORT|PROMETHEUS_MULTIPROC_DIR)$")
MIGRATE_SECONDS = 180


class ContainerOnly(services.ServiceUnavailable):
    """What a check cannot prove without a Docker Engine: "cannot run", never a pass."""

    def __init__(self, what: str, reason: str, ran_here: bool = True) -> None:
        super().__init__("docker")
        proven = ("What this check could prove without one, on the same services run here from your compose.yaml, "
                  "passed." if ran_here else "What this check could read without one passed.")
        self.args = (
            f"cannot run here: {what} shows only on a Docker Engine, and {reason}. {proven} Get an engine with: "
            f"{self.fix}  (`shiplings doctor` checks everything the course needs), then check again.",
        )


class NoLoopbackAliases(services.ServiceUnavailable):
    """The native stack needs the proxy's and a neighbour's own loopback addresses; macOS has only 127.0.0.1."""

    def __init__(self, missing: list[str], reason: str) -> None:
        super().__init__("docker")
        aliases = " && ".join(f"sudo ifconfig lo0 alias {address} up" for address in missing)
        self.args = (
            f"cannot run here: without a Docker Engine ({reason}) the checks run your stack's services on this "
            f"machine, and the proxy and a second client need loopback addresses of their own ({', '.join(missing)}), "
            f"which this machine does not have. This says nothing about your code. On macOS: `{aliases}` (until the "
            f"next restart); or get an engine: {self.fix}  (`shiplings doctor` checks everything the course needs).",
        )


def missing_loopback_aliases(addresses: tuple[str, ...] = (PROXY_ADDRESS, NEIGHBOUR_ADDRESS)) -> list[str]:
    """The addresses of `addresses` this machine cannot bind (Linux answers on all of 127.0.0.0/8)."""
    missing = []
    for address in addresses:
        with socket.socket() as probe:
            try:
                probe.bind((address, 0))
            except OSError:
                missing.append(address)
    return missing


def forced_reason() -> str | None:
    """Why the stack runs natively even though an engine may answer; None when nothing forces it."""
    if os.environ.get(NATIVE_VARIABLE, "").strip().lower() == "native":
        return f"this run was asked to run the stack without one ({NATIVE_VARIABLE}=native)"
    return None


# --- the model, moved to this machine ----------------------------------------------------------

def fixed_proxy_address(model: dict) -> str | None:
    """The proxy's fixed address on its network (ipv4_address), if the file gives it one."""
    for network in (((model.get("services") or {}).get("proxy") or {}).get("networks") or {}).values():
        if (network or {}).get("ipv4_address"):
            return network["ipv4_address"]
    return None


def pointed(text: str, ports: dict[str, int], proxy_fixed: str | None = None) -> str:
    """text with every service's address moved to its loopback port, and the proxy's fixed address to 127.0.0.2."""
    for name, port in ports.items():
        inner = INNER_PORTS[name]
        text = re.sub(rf"(?<![\w.-]){re.escape(name)}:{inner}(?!\d)", f"127.0.0.1:{port}", text)
        if inner == 80:  # http://frontend, http://frontend/ : port 80 unsaid
            text = re.sub(rf"(?<=://){re.escape(name)}(?=[/;\s\"']|$)", f"127.0.0.1:{port}", text)
    if proxy_fixed:
        text = re.sub(rf"(?<![\d.]){re.escape(proxy_fixed)}(?![\d.])", PROXY_ADDRESS, text)
    return text


def dockerfile_command(dockerfile: Path) -> list[str]:
    """The last CMD of a Dockerfile, as the image would run it ([] when it has none)."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text()) if dockerfile.is_file() else ""
    found = re.findall(r"^\s*CMD\s+(.+)$", text, re.MULTILINE | re.IGNORECASE)
    if not found:
        return []
    with contextlib.suppress(json.JSONDecodeError):
        exec_form = json.loads(found[-1])
        if isinstance(exec_form, list):
            return [str(part) for part in exec_form]
    return ["/bin/sh", "-c", found[-1].strip()]


def bound_to(command: list[str], port: int) -> list[str]:
    """The server command listening on 127.0.0.1:port (the command line wins over a config file)."""
    program = Path(command[0]).name if command else ""
    if program == "gunicorn":
        return [*command, "--bind", f"127.0.0.1:{port}"]
    if program in ("uvicorn", "fastapi"):
        return [*command, "--host", "127.0.0.1", "--port", str(port)]
    return command  # a shell form: it reads PORT, or it does not run here


def environment(service: dict, ports: dict[str, int], proxy_fixed: str | None) -> dict[str, str | None]:
    """The service's environment moved to this machine, over the host's minus what the stack sets itself."""
    moved = {name: pointed(str(value), ports, proxy_fixed)
             for name, value in compose.environment(service).items() if value is not None}
    bin_dir = str(Path(sys.executable).parent)
    cleared: dict[str, str | None] = {name: None for name in os.environ if HOST_ONLY.match(name)}
    return {**cleared, **moved, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}


def resolved_program(command: list[str]) -> list[str]:
    """The command with its program from this Python environment when it has one (alembic, gunicorn)."""
    own = Path(sys.executable).parent / command[0]
    return [str(own), *command[1:]] if command and "/" not in command[0] and own.is_file() else command


def build_context(services_: dict[str, dict], name: str, project: Path) -> Path:
    """Where a service's code lives: its build context, or that of the service that builds its image."""
    service = services_.get(name) or {}
    if service.get("build"):
        return Path(service["build"]["context"])
    for other in services_.values():
        if other.get("build") and other.get("image") and other.get("image") == service.get("image"):
            return Path(other["build"]["context"])
    return project


def runnable_model(model: dict) -> tuple[dict, list[str]]:
    """(the model with the services that run natively, the names of those that do not)."""
    kept, left = {}, []
    for name, service in (model.get("services") or {}).items():
        if service.get("profiles"):
            continue  # started only when a check asks for it: not part of the stack that comes up
        (kept.__setitem__(name, service) if name in NATIVE else left.append(name))
    return {**model, "services": kept}, left


# --- one service ---------------------------------------------------------------------------

@dataclass
class Service:
    name: str
    state: str = "created"  # running | exited
    exit_code: int = 0
    log: Path | None = None
    output: str = ""

    def tail(self, lines: int) -> str:
        text = self.output or (self.log.read_text(errors="replace") if self.log and self.log.exists() else "")
        return "\n".join(text.strip().splitlines()[-lines:]) or "(nothing)"


async def _database_for(port: int, user: str, password: str, database: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(host="127.0.0.1", port=port, user="postgres", database="postgres")
    try:
        if user != "postgres":
            await admin.execute(f"CREATE ROLE \"{user}\" LOGIN PASSWORD '{password.replace(chr(39), '')}'")
        if database != "postgres":
            await admin.execute(f'CREATE DATABASE "{database}" OWNER "{user}"')
    finally:
        await admin.close()


def run_once(command: list[str], cwd: Path, env: dict[str, str | None], log: Path,
             timeout: float) -> int:
    """Run a one-off command (migrate) to its end; its exit code (124: it did not end in time)."""
    with open(log, "w") as out:
        process = lifeline.spawn(resolved_program(command), cwd=cwd, env=services.merged_env(env), stdout=out,
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return 124
        finally:
            services.stop(process, grace=3)


@contextlib.contextmanager
def proxy_site(service: dict, ports: dict[str, int], proxy_fixed: str | None, port: int,
               folder: Path) -> Iterator[str]:
    """nginx with the config the proxy mounts, its other mounts in place, on 127.0.0.1:port; yields its URL."""
    text, where = compose.proxy_config({"proxy": service})
    assert text, (
        "The proxy mounts no nginx config of yours: mount proxy/nginx.conf as /etc/nginx/conf.d/default.conf "
        "(volumes: [\"./proxy/nginx.conf:/etc/nginx/conf.d/default.conf:ro\"])."
    )
    mirror = folder / "root"  # the container's file system, as far as the proxy's mounts make it
    for mount in service.get("volumes") or []:
        if mount.get("type") == "bind" and mount.get("source") != where and mount.get("target", "").startswith("/"):
            place = mirror / mount["target"].lstrip("/")
            place.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileExistsError):
                place.symlink_to(mount["source"])
    text = pointed(text, ports, proxy_fixed)
    # an upstream server's `resolve` (nginx 1.27.3 on) means nothing for an address, and older nginx refuses it
    text = re.sub(r"(\bserver\s+[^;{]*?)\s+resolve(?=[\s;])", r"\1", text)
    text = re.sub(r"\b(root|alias)(\s+)(/[^;\s]*)", lambda found: f"{found[1]}{found[2]}{mirror}{found[3]}", text)
    text = re.sub(r"^\s*listen\s+[^;]*;", "", text, flags=re.MULTILINE)
    text = re.sub(r"(\bserver\s*\{)", rf"\1\n    listen 127.0.0.1:{port};", text, count=1)
    name = os.path.basename(where)
    # as the stack's proxy: it reaches the backend from its own address, which the backend trusts
    with spa.running_nginx(text, name, f"nginx refused the proxy's config ({name}):", folder, port,
                           http_extra=f"proxy_bind {PROXY_ADDRESS};") as url:
        yield url


# --- the stack -------------------------------------------------------------------------------

@dataclass
class NativeStack:
    """The learner's stack run on this machine; the same questions as support.compose_stack.Stack."""

    model: dict
    reason: str  # why there is no engine, for the checks' "cannot run"
    folder: Path
    project: Path
    not_run: list[str] = field(default_factory=list)
    url: str = ""
    problem: str = ""  # why the stack did not come up, in the learner's words
    ports: dict[str, int] = field(default_factory=dict)
    running: dict[str, Service] = field(default_factory=dict)
    up_seconds: float = 0.0
    native = True
    _services: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    _backend: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    def container_only(self, what: str) -> None:
        raise ContainerOnly(what, self.reason)

    def require_up(self) -> None:
        assert not self.problem, (
            f"Run without a Docker Engine (the same services, from your compose.yaml, on this machine), the stack "
            f"did not come up: {self.problem}"
        )

    def ps(self) -> list[dict]:
        return [{"Service": name, "State": service.state, "Health": "", "ExitCode": service.exit_code, "ID": name}
                for name, service in self.running.items()]

    def container(self, service: str) -> str:
        return service if service in self.running else ""

    def logs(self, service: str, lines: int = 15) -> str:
        return self.running[service].tail(lines) if service in self.running else "(nothing)"

    def states(self) -> str:
        return "\n".join(f"{name}: {service.state}" + (f", exit code {service.exit_code}" if service.state == "exited"
                                                        else "") for name, service in self.running.items())

    def address(self, url: str) -> str:
        """A URL inside the stack (http://backend:8000/...) as this machine reaches it."""
        return pointed(url, self.ports)

    def neighbour(self) -> httpx.Client:
        """A client that speaks from another container's address: not the proxy's, not the test's own."""
        return httpx.Client(transport=httpx.HTTPTransport(local_address=NEIGHBOUR_ADDRESS), timeout=30)

    # the backend stops and starts again on its own port: the one thing the checks take down natively
    def stop_service(self, name: str) -> None:
        assert name == "backend", f"natively only the backend stops, not {name}"
        self._backend.close()
        self.running["backend"].state = "exited"

    def start_service(self, name: str) -> None:
        assert name == "backend", f"natively only the backend starts again, not {name}"
        self._backend = contextlib.ExitStack()
        self._start_backend()

    def _start_backend(self) -> None:
        services_ = self.model["services"]
        service = services_["backend"]
        context = build_context(services_, "backend", self.project)
        command = [pointed(str(part), self.ports, fixed_proxy_address(self.model))
                   for part in service.get("command") or dockerfile_command(context / "Dockerfile")]
        assert command, "the backend has no command: neither compose.yaml nor its Dockerfile (CMD) gives one."
        env = {**environment(service, self.ports, fixed_proxy_address(self.model)), "PORT": str(self.ports["backend"])}
        entry = self.running.setdefault("backend", Service("backend"))
        try:
            app = self._backend.enter_context(services.app_server(
                bound_to(command, self.ports["backend"]), context, env, port=self.ports["backend"],
                ready_path="/health", timeout=60))
        except (services.AppStopped, TimeoutError) as error:
            entry.state, entry.output = "exited", str(error)
            raise AssertionError(f"the backend ({' '.join(command)}) did not answer GET /health: {error}") from None
        entry.state, entry.log = "running", app.log

    def start(self) -> None:
        """Every service, in the order compose's depends_on gives them; `problem` says what did not start."""
        services_ = self.model["services"]
        fixed = fixed_proxy_address(self.model)
        started = time.monotonic()
        try:
            if "db" in services_:
                pg = self._services.enter_context(services.postgres())
                env = compose.environment(services_["db"])
                user = env.get("POSTGRES_USER") or "postgres"
                asyncio.run(_database_for(pg.port, user, env.get("POSTGRES_PASSWORD") or "",
                                          env.get("POSTGRES_DB") or user))
                self.ports["db"] = pg.port
                self.running["db"] = Service("db", "running")
            if "redis" in services_:
                url = self._services.enter_context(services.redis())
                self.ports["redis"] = int(url.rsplit(":", 1)[1].split("/")[0])
                self.running["redis"] = Service("redis", "running")
            for name in ("backend", "proxy"):  # the frontend's nginx picks its own
                if name in services_:
                    self.ports[name] = free_port()
            if "migrate" in services_:
                service = services_["migrate"]
                command = service.get("command") or []
                log = self.folder / "migrate.log"
                code = run_once(command, build_context(services_, "migrate", self.project),
                                environment(service, self.ports, fixed), log,
                                MIGRATE_SECONDS * min(machine_factor(), 3)) if command else 1
                self.running["migrate"] = Service("migrate", "exited", code, log,
                                                  "" if command else "migrate has no command")
                assert code == 0, (f"migrate (`{' '.join(command)}`) ended with exit code {code}; it printed:\n"
                                   f"{self.logs('migrate')}")
            if "backend" in services_:
                self._start_backend()
            if "frontend" in services_:
                self._start_frontend(services_)
            if "proxy" in services_:
                folder = self.folder / "proxy"
                folder.mkdir()
                self.url = self._services.enter_context(
                    proxy_site(services_["proxy"], self.ports, fixed, self.ports["proxy"], folder))
                self.running["proxy"] = Service("proxy", "running", log=folder / "error.log")
        except AssertionError as problem:
            self.problem = str(problem)
        self.up_seconds = time.monotonic() - started

    def _start_frontend(self, services_: dict[str, dict]) -> None:
        context = build_context(services_, "frontend", self.project)
        # the learner's own folder: its node_modules (installed once per lock file) and its build cache
        frontend = workspace() / context.relative_to(self.project) if context.is_relative_to(self.project) else context
        conf = frontend / "nginx.conf"
        assert conf.is_file(), f"the frontend image's nginx config ({spa.NGINX_CONF}) is missing."
        dist = spa.built_dist(frontend, npm.require_node())
        folder = self.folder / "frontend"
        folder.mkdir()
        backend = f"http://127.0.0.1:{self.ports.get('backend', 8000)}"
        url = self._services.enter_context(spa.nginx_site(conf.read_text(), dist, backend, folder))
        self.ports["frontend"] = int(url.rsplit(":", 1)[1])
        self.running["frontend"] = Service("frontend", "running", log=folder / "error.log")

    def close(self) -> None:
        self._backend.close()
        self._services.close()


@contextlib.contextmanager
def native_stack(resolved: compose.Resolved, project: Path, reason: str, folder: Path) -> Iterator[NativeStack]:
    model, not_run = runnable_model(resolved.require())
    if missing := missing_loopback_aliases():
        raise NoLoopbackAliases(missing, reason)
    running = NativeStack(model, reason, folder, project, not_run)
    try:
        running.start()
        yield running
    finally:
        running.close()
        shutil.rmtree(folder, ignore_errors=True)
