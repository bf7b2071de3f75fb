"""shiplings doctor: is this machine ready for the course? Says how to fix what is not."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from dataclasses import asdict, dataclass
from typing import Annotated

import typer
from rich.table import Table

from shiplings import containers, npm, tools
from shiplings.commands import common

MIN_FREE_DISK_GB = 2.0


@dataclass
class Finding:
    what: str
    ok: bool
    detail: str
    fix: str = ""
    needed_by: str = ""


def version_of(command: list[str]) -> str:
    try:
        output = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (output.stdout or output.stderr).strip().splitlines()[0] if (output.stdout or output.stderr) else ""


def examine() -> list[Finding]:
    findings: list[Finding] = []
    python_ok = sys.version_info >= (3, 11)
    findings.append(Finding(
        "Python", python_ok, sys.version.split()[0],
        "" if python_ok else "Install Python 3.11 or newer (python.org, pyenv, or your package manager).",
        "all lessons",
    ))
    uv = shutil.which("uv")
    findings.append(Finding(
        "uv or pip", True, f"uv at {uv}" if uv else "pip (uv not found; installs are slower)",
        "" if uv else "Optional: `python3 -m pip install uv` makes set-up ten times faster.",
        "set-up",
    ))
    for name, tool in tools.TOOLS.items():
        needed = [lesson.number for lesson in tools.lessons_needing(common.course(), name)]
        path = tools.find(name)
        detail = ""
        ok = bool(path)
        if path:
            flag = "-v" if name == "nginx" else "--version"
            detail = version_of([path, flag]) or path
        if name == "node" and path and not npm.new_enough(npm.node_version(path)):
            ok = False  # Debian 12's and Ubuntu 24.04's own Node (18) is too old for Vite
            detail += f" (Vite needs {'.'.join(map(str, npm.MINIMUM_NODE))} or newer)"
        if name == "docker":  # an engine that answers counts, wherever it runs (Docker Desktop, colima)
            ok, detail = containers.status()
        findings.append(Finding(
            name, ok, detail or "not found",
            "" if ok else tools.fix_for(name),
            ("lessons " + ", ".join(needed)) if needed else f"optional: {tool.why}",
        ))
    findings.append(_loopback_ports())
    findings.append(_disk())
    return findings


def _loopback_ports() -> Finding:
    try:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        return Finding("free loopback ports", True, f"127.0.0.1:{port} was free", needed_by="all lessons")
    except OSError as error:
        return Finding("free loopback ports", False, str(error),
                       "Another program holds the ports, or loopback is blocked; restart the machine.",
                       "all lessons")


def _disk() -> Finding:
    free = shutil.disk_usage(common.root()).free / 1e9
    ok = free >= MIN_FREE_DISK_GB
    return Finding("free disk", ok, f"{free:.1f} GB free",
                   "" if ok else f"Free at least {MIN_FREE_DISK_GB} GB (npm packages and databases need room).",
                   "all lessons")


def install_missing(names: set[str]) -> list[str]:
    """apt-get the Debian packages of the named tools that are missing (Debian/WSL, root).

    Returns what it installed; an empty list when nothing was missing or it cannot install.
    """
    missing = sorted(name for name in names if name in tools.TOOLS and tools.find(name) is None
                     and not (name == "docker" and containers.status()[0]))
    packages = sorted({pkg for name in missing for pkg in tools.TOOLS[name].debian.split()})
    if not packages or tools.platform_name() not in ("debian", "wsl") or not tools.is_root():
        return []
    common.console.print(f"Installing with apt-get: {' '.join(packages)}")
    tools.apt_install(packages)
    return packages


def required(finding: Finding) -> bool:
    return not finding.needed_by.startswith("optional")


def doctor(
    as_json: Annotated[bool, typer.Option("--json", help="Print a machine-readable report.")] = False,
    install: Annotated[bool, typer.Option("--install", help="apt-get what is missing (Debian, root).")] = False,
) -> None:
    """Check Python, Node, Chromium, PostgreSQL, Redis, nginx, Docker, ports and disk; say how to fix each."""
    findings = examine()
    missing = {f.what for f in findings if not f.ok and f.what in tools.TOOLS and required(f)}
    if install and missing:
        if install_missing(missing):
            findings = examine()
        else:
            common.console.print("--install works on Debian/Ubuntu as root; run the fixes below instead.")
    if as_json:
        typer.echo(json.dumps([asdict(f) for f in findings], indent=1))
    else:
        table = Table("", "Check", "Found", "Needed by", "How to fix")
        for f in findings:
            mark = "[green]✓[/]" if f.ok else ("[red]✗[/]" if required(f) else "[yellow]-[/]")
            table.add_row(mark, f.what, f.detail, f.needed_by, f.fix)
        common.console.print(table)
        common.console.print(f"Platform: {tools.platform_name()}")
    problems = [f for f in findings if not f.ok and required(f)]
    from shiplings.board.outbox import report_doctor  # stdlib only; returns at once unless you joined a board
    report_doctor(findings, passed=not problems)
    if problems and not as_json:
        common.console.print(f"[bold red]{len(problems)} thing(s) to fix[/] before the lessons that need them.")
    elif not as_json:
        common.console.print("[bold green]This machine is ready for the course.[/]")
    raise typer.Exit(1 if problems else 0)
