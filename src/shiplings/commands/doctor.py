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

from shiplings import tools
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


def lessons_needing(service: str) -> list[str]:
    return [lesson.number for lesson in common.course().lessons if service in lesson.services]


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
        needed = lessons_needing(name)
        if name == "node":
            needed = sorted(set(needed) | set(lessons_needing("chromium")))
        path = tools.find(name)
        detail = ""
        if path:
            flag = "-v" if name == "nginx" else "--version"
            detail = version_of([path, flag]) or path
        findings.append(Finding(
            name, bool(path), detail or "not found",
            "" if path else tools.fix_for(name),
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


def required(finding: Finding) -> bool:
    return not finding.needed_by.startswith("optional")


def doctor(
    as_json: Annotated[bool, typer.Option("--json", help="Print a machine-readable report.")] = False,
    install: Annotated[bool, typer.Option("--install", help="apt-get what is missing (Debian, root).")] = False,
) -> None:
    """Check Python, Node, Chromium, PostgreSQL, Redis, nginx, ports and disk; say how to fix each."""
    findings = examine()
    missing = [f for f in findings if not f.ok and f.what in tools.TOOLS and required(f)]
    if install and missing:
        packages = sorted({pkg for f in missing for pkg in tools.TOOLS[f.what].debian.split()})
        if tools.platform_name() in ("debian", "wsl") and tools.is_root() and packages:
            common.console.print(f"Installing with apt-get: {' '.join(packages)}")
            tools.apt_install(packages)
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
    if problems and not as_json:
        common.console.print(f"[bold red]{len(problems)} thing(s) to fix[/] before the lessons that need them.")
    elif not as_json:
        common.console.print("[bold green]This machine is ready for the course.[/]")
    raise typer.Exit(1 if problems else 0)
