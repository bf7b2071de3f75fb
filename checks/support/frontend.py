"""Helpers for the front-end lessons' checks: tool output as a learner reads it, Vitest's report."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


def tail(text: str, lines: int = 30, limit: int = 2500) -> str:
    """The last lines of a tool's output, without colour codes and without JavaScript stack frames."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
    kept = [line for line in plain.strip().splitlines() if not line.strip().startswith("at ")]
    return "\n".join(kept[-lines:])[-limit:]


@dataclass
class VitestReport:
    returncode: int
    output: str
    files: list[dict] = field(default_factory=list)

    def tests(self) -> list[dict]:
        return [test for file in self.files for test in file.get("assertionResults", [])]

    def passed(self) -> list[dict]:
        return [test for test in self.tests() if test.get("status") == "passed"]

    def failed(self) -> list[dict]:
        return [test for test in self.tests() if test.get("status") == "failed"]

    def broken_files(self) -> list[tuple[str, str]]:
        """Test files that failed before any test ran (an import that fails, a syntax error)."""
        return [(file["name"], file.get("message", "")) for file in self.files
                if file.get("status") == "failed" and not file.get("assertionResults")]


def first_failure(test: dict) -> str:
    """The first lines of a failed test's message, without the stack."""
    message = tail("\n".join(test.get("failureMessages", [])), lines=200)
    kept = [line for line in message.splitlines() if not line.strip().startswith("at ")]
    return "\n".join(kept[:12])
