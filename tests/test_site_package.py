"""The site package stays below the CLI: no import cycle with shiplings.cli or shiplings.commands.

`shiplings site build` imports shiplings.site.build, so no module of shiplings.site may import
the CLI back, not even inside a function: the command reference gets the Typer app handed in
(shiplings.site.guides.Sources, filled by the MkDocs hook).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
CLI = ("shiplings.cli", "shiplings.commands")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports(path: Path, modules: set[str]) -> set[str]:
    """The shiplings modules a file imports, at its top or inside any function (not under TYPE_CHECKING)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {module for module in found if module in modules}


def import_graph() -> dict[str, set[str]]:
    files = {module_name(path): path for path in (SRC / "shiplings").rglob("*.py")}
    return {name: imports(path, set(files)) for name, path in files.items()}


def chain(graph: dict[str, set[str]], start: str, goal) -> list[str] | None:
    """The shortest import chain from start to a module that goal accepts (start itself excluded)."""
    seen, queue = {start}, [[start]]
    while queue:
        path = queue.pop(0)
        for module in sorted(graph[path[-1]]):
            if goal(module):
                return [*path, module]
            if module not in seen:
                seen.add(module)
                queue.append([*path, module])
    return None


def test_no_module_of_the_site_imports_the_cli_or_sits_on_an_import_cycle():
    graph = import_graph()
    site = sorted(name for name in graph if name.startswith("shiplings.site."))
    assert "shiplings.site.build" in site and "shiplings.site.reference" in site
    for module in site:
        to_cli = chain(graph, module, lambda name: name.startswith(CLI))
        assert to_cli is None, "the site imports the CLI, which imports the site: " + " -> ".join(to_cli)
        back = chain(graph, module, lambda name, module=module: name == module)
        assert back is None, "an import cycle: " + " -> ".join(back)
    # the other direction is what `shiplings site` needs, and it is there (the CLI imports each
    # command's module by name, when that command runs)
    assert chain(graph, "shiplings.commands.site", lambda name: name == "shiplings.site.build")


def test_importing_every_site_module_loads_no_cli():
    script = (
        "import importlib, pkgutil, sys\n"
        "import shiplings.site as site\n"
        "for module in pkgutil.iter_modules(site.__path__, 'shiplings.site.'):\n"
        "    importlib.import_module(module.name)\n"
        f"print(sorted(name for name in sys.modules if name.startswith({CLI!r})))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"importing shiplings.site loaded {done.stdout.strip()}"
