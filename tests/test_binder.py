"""binder/ (repo2docker): the course as a Binder or a hub's single-user image, validated statically.

Building the image needs a registry for repo2docker's base image and minutes of CI: these tests
prove instead that the files parse, that the set-up is the README's own, that apt.txt names what
the lessons' services need, and that the proxy entries match the lessons' ports.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from traitlets.config.loader import PyFileConfigLoader

from shiplings import tools
from shiplings.manifest import load_course

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
# Debian names with no package on Ubuntu 24.04 (repo2docker's base), and why
NOT_FROM_APT = {
    "docker.io": "no Docker Engine runs in a single-user pod: Part III's checks take the native path",
    "chromium": "Ubuntu 24.04 has Chromium only as a snap: postBuild installs Playwright's Chromium",
}


def apt_packages() -> list[str]:
    lines = (BINDER / "apt.txt").read_text(encoding="utf-8").splitlines()
    return [line.partition("#")[0].strip() for line in lines if line.partition("#")[0].strip()]


def commands(script: str) -> list[str]:
    """A shell script's command lines, comments and blank lines left out."""
    return [line.strip() for line in (BINDER / script).read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.strip().startswith("#")]


def server_config(monkeypatch: pytest.MonkeyPatch, **env: str):
    for name in ("SHIPLINGS_HOME", "SHIPLINGS_WORKSPACE", "REPO_DIR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return PyFileConfigLoader("jupyter_server_config.py", path=str(BINDER)).load_config()


def test_the_files_parse() -> None:
    for script in ("postBuild", "start"):
        checked = subprocess.run(["bash", "-n", str(BINDER / script)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        assert (BINDER / script).stat().st_mode & 0o111, f"binder/{script} is not executable"
        assert commands(script)[0] == "set -euo pipefail", f"binder/{script} would go on after a failed step"
    assert commands("start")[-1] == 'exec "$@"'  # repo2docker: start hands over to the server
    # the class board: joined in the background, never holding up the start (shiplings.board.hub)
    assert '(timeout 30 "${REPO_DIR}/.venv/bin/shiplings" join --hub > /dev/null 2>&1 &)' in commands("start")
    runtime = (BINDER / "runtime.txt").read_text(encoding="utf-8").strip()
    assert re.fullmatch(r"python-3\.\d+", runtime)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    requires = SpecifierSet(re.search(r'requires-python = "([^"]+)"', pyproject).group(1))
    assert runtime.removeprefix("python-") + ".0" in requires
    names = {Requirement(line).name for line in commands("requirements.txt")}
    assert {"jupyterlab", "jupyter-server-proxy", "jupyterhub"} <= names
    assert all(re.fullmatch(r"[a-z0-9.+-]+", package) for package in apt_packages())  # what repo2docker accepts


def test_post_build_sets_up_with_the_readme_s_first_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_command = re.search(r"```bash\n(\S+)", readme).group(1)
    assert first_command == "./shiplings"
    steps = commands("postBuild")
    assert any(step.split()[0] == first_command for step in steps)
    # the install logic lives in ./shiplings alone
    assert not [step for step in steps if re.search(r"\buv (sync|pip|venv)\b|pip install|npm (ci|install)", step)]
    assert ".venv/bin/python binder/prepare.py" in steps  # the workspace and npm's cache, through the engine
    assert ".venv/bin/python -m playwright install chromium" in steps


def test_apt_lists_every_package_the_lessons_services_need() -> None:
    course = load_course(ROOT)
    services = sorted({service for lesson in course.lessons for service in lesson.services})
    needed = {package for service in services for package in tools.TOOLS[service].debian.split()}
    assert needed, "no lesson names a service with a Debian package"
    listed = set(apt_packages())
    assert needed - set(NOT_FROM_APT) <= listed, f"apt.txt misses {sorted(needed - set(NOT_FROM_APT) - listed)}"
    assert not listed & set(NOT_FROM_APT)
    # what Playwright's Chromium needs on Ubuntu 24.04, from Playwright's own table
    bundle = next(Path(sys.prefix).glob("lib/python3*/site-packages/playwright/driver/package/lib/coreBundle.js"))
    table = bundle.read_text(encoding="utf-8")
    ubuntu = table[table.index('"ubuntu24.04-x64": {'):]
    chromium = ubuntu[ubuntu.index("chromium: ["):]
    chromium_libraries = set(re.findall(r'"([^"]+)"', chromium[:chromium.index("]")]))
    assert "libnss3" in chromium_libraries
    assert chromium_libraries <= listed
    assert listed == (needed - set(NOT_FROM_APT)) | chromium_libraries, "apt.txt lists a package nothing needs"


def test_jupyterlab_opens_on_lesson_one_in_the_workspace(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = server_config(monkeypatch, REPO_DIR=str(ROOT))
    first = load_course(ROOT).lessons[0].id
    assert config.ServerApp.default_url == f"/lab/tree/notebooks/{first}.ipynb"
    assert config.LabApp.default_url == config.JupyterNotebookApp.default_url == config.ServerApp.default_url
    assert config.ServerApp.root_dir == str(ROOT / "workspace")
    assert (ROOT / "lessons" / first / "lesson.ipynb").is_file()
    rcfile = Path(config.ServerApp.terminado_settings["shell_command"][-1])
    assert rcfile.is_file() and "SHIPLINGS_SCRIPTS" in rcfile.read_text(encoding="utf-8")
    # a hub image: the learner's workspace in their home (binder/start sets it)
    hub = server_config(monkeypatch, SHIPLINGS_HOME=str(ROOT), SHIPLINGS_WORKSPACE=str(tmp_path / "workspace"))
    assert hub.ServerApp.root_dir == str(tmp_path / "workspace")


def test_the_proxy_entries_point_at_the_lessons_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    servers = server_config(monkeypatch, REPO_DIR=str(ROOT)).ServerProxy.servers
    # the app: where the lessons' Vite proxy sends /api by default
    vite_config = (ROOT / "solutions/12_vue_vite/frontend/vite.config.ts").read_text(encoding="utf-8")
    app_port = int(re.search(r"BACKEND_URL \?\? 'http://127\.0\.0\.1:(\d+)'", vite_config).group(1))
    # Vite: the page's origin the app's CORS settings allow (lesson 08 on)
    settings = sorted(ROOT.glob("solutions/*/app/core/config.py"))[-1].read_text(encoding="utf-8")
    vite_port = int(re.search(r'cors_origins: list\[str\] = \["http://localhost:(\d+)"\]', settings).group(1))
    assert (servers["tasks-app"]["port"], servers["vite"]["port"]) == (app_port, vite_port) == (8000, 5173)
    assert not servers["tasks-app"].get("command") and not servers["vite"].get("command")  # the learner starts them
    # Vite keeps the whole path, and serves the page at exactly that path: the one binder/start exports
    assert servers["vite"]["absolute_url"] is True
    start = (BINDER / "start").read_text(encoding="utf-8")
    assert 'VITE_DEV_BASE="${JUPYTERHUB_SERVICE_PREFIX:-/}vite/"' in start
    # the app sees its own paths (/docs, /tasks), as on a laptop
    assert servers["tasks-app"]["absolute_url"] is False


def test_prepare_fills_npm_s_cache_for_every_front_end_lock_file() -> None:
    sys.path.insert(0, str(BINDER))
    try:
        from prepare import front_ends
    finally:
        sys.path.remove(str(BINDER))
    found = [path.relative_to(ROOT).as_posix() for path in front_ends(ROOT)]
    assert "lessons/12_vue_vite/starter/frontend" in found
    locks = {(ROOT / each / "package-lock.json").read_bytes() for each in found}
    assert len(locks) == len(found)  # one install per distinct lock file


def test_a_hub_s_first_start_makes_the_learner_s_workspace_in_their_home(tmp_path: Path) -> None:
    """binder/start on a hub image: the course stays in the image, the workspace and progress go to the home."""
    home = tmp_path / "home"
    home.mkdir()
    env = {"REPO_DIR": str(ROOT), "HOME": str(home), "PATH": "/usr/bin:/bin",
           "JUPYTERHUB_SERVICE_PREFIX": "/user/ada/"}
    started = subprocess.run(["bash", str(BINDER / "start"), "env"], env=env, capture_output=True, text=True,
                             timeout=120)
    assert started.returncode == 0, started.stderr
    seen = dict(line.split("=", 1) for line in started.stdout.splitlines() if "=" in line)
    assert seen["SHIPLINGS_WORKSPACE"] == str(home / "shiplings" / "workspace")
    assert seen["SHIPLINGS_SCRIPTS"] == str(ROOT / ".venv" / "bin")
    assert seen["VITE_DEV_BASE"] == "/user/ada/vite/"
    first = load_course(ROOT).lessons[0].id
    assert (home / "shiplings" / "workspace" / "notebooks" / f"{first}.ipynb").is_file()
    assert "TODO(01)" in (home / "shiplings" / "workspace" / "main.py").read_text(encoding="utf-8")
    # npm's cache stays the image's, filled at build time
    assert (home / "shiplings" / ".shiplings" / "cache" / "npm").resolve() == ROOT / ".shiplings" / "cache" / "npm"


def test_a_local_build_leaves_this_machine_s_state_out_of_the_image() -> None:
    """repo2docker reads binder/.dockerignore: a copied .venv would point at this machine's Python."""
    ignored = set(commands(".dockerignore"))
    gitignored = [line.strip("/") for line in commands("../.gitignore")]
    for state in (".venv", "workspace", ".shiplings"):
        assert state in gitignored and state in ignored, state
    assert {"**/node_modules", "**/__pycache__"} <= ignored
