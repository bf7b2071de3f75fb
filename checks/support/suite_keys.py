"""What each test of a pytest suite reads, by content: after a change, run again only what it can touch.

A test's verdict depends on its own function and on everything around it: its module's
imports, helpers, constants and fixtures, conftest.py, the suite's other modules, pytest's
configuration. `suite_keys` splits a suite's folder that way:

- `tests`: each top-level `def test...` of a test module (test_*.py, *_test.py), by its
  syntax tree. Comments, blank lines and code moved within the file change no key;
- `shared`: everything else. Each module with those functions left out, by its syntax
  tree; every other file of the folder and the `also` files, by their bytes.

A change to one test's function changes its key alone; a change anywhere else changes
`shared`, and a verdict kept by these keys includes `shared` in its key. A test function
whose name appears anywhere else in the suite (called, imported, named in a string) counts
as shared: other code reads it. A module that does not parse is shared by its bytes (pytest
reports it). Tests pytest finds another way (methods of a Test class, a conftest's own
collector) have no key of their own: they are part of `shared`, and the caller runs them.

What this takes for granted is what pytest-testmon and `pytest --lf` take for granted:
tests that do not depend on each other, so that a test's verdict does not depend on which
tests ran before it.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

TEST_MODULES = ("test_*.py", "*_test.py")  # pytest's python_files


@dataclass(frozen=True)
class SuiteKeys:
    shared: str
    # "e2e/test_path.py::test_a" (relative to the root, without parameters) -> its function's key
    tests: dict[str, str] = field(default_factory=dict)

    def of(self, test: str) -> str:
        """The key of a test's verdict: its own, or `shared` for a test without one."""
        return self.tests.get(test, self.shared)


def test_id(name: str) -> str:
    """A test's id without its parameters: "e2e/t.py::test_a[chromium]" -> "e2e/t.py::test_a"."""
    return name.partition("[")[0]


def suite_keys(root: Path, folder: str, also: Iterable[Path] = (), salt: str = "") -> SuiteKeys:
    """The keys of the suite in root/folder; `also` (files read by every test, such as pytest's
    configuration) and `salt` (a tool's version, say) go into `shared`."""
    shared = hashlib.sha256(salt.encode() + b"\0")
    modules: list[tuple[str, ast.Module]] = []
    top = root / folder
    files = sorted(path for path in top.rglob("*") if path.is_file() and "__pycache__" not in path.parts)
    for path in [*files, *also]:
        try:
            data = path.read_bytes()
        except OSError:
            data = b"(none)"
        name = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        if path.suffix == ".py" and path.is_relative_to(top):
            try:
                modules.append((name, ast.parse(data)))
                continue
            except (SyntaxError, ValueError):
                pass
        shared.update(name.encode() + b"\0" + data + b"\0")

    named = names_used(tree for _, tree in modules)
    tests: dict[str, str] = {}
    for name, tree in modules:
        own = []
        if any(fnmatch(name.rpartition("/")[2], pattern) for pattern in TEST_MODULES):
            own = [node for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                   and node.name.startswith("test") and node.name not in named]
        for node in own:
            tests[f"{name}::{node.name}"] = hashlib.sha256(ast.dump(node).encode()).hexdigest()[:32]
        rest = ast.Module(body=[node for node in tree.body if node not in own], type_ignores=[])
        shared.update(name.encode() + b"\0" + ast.dump(rest).encode() + b"\0")
    return SuiteKeys(shared.hexdigest()[:32], tests)


def names_used(trees: Iterable[ast.AST]) -> set[str]:
    """Every name the code reads, imports or spells out in a string."""
    found = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                found.add(node.id)
            elif isinstance(node, ast.Attribute):
                found.add(node.attr)
            elif isinstance(node, ast.alias):
                found.update(filter(None, [node.name.rpartition(".")[2], node.asname]))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.update(node.value.replace(":", " ").replace(",", " ").split())
    return found
