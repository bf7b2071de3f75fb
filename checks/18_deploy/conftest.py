"""Fixtures of the lesson 18 checks.

The CI workflow and the alert rules are read from the workspace and need no engine: the
workflow is validated with check-jsonschema's copy of the GitHub workflow schema, the rules
with the real promtool (on traffic the checks make up: support/prometheus.py). The backup and
the incident drills run the learner's scripts on the learner's stack, up once per run: the
fixtures of lesson 17 (support/compose_stack.py), under a project of this lesson.
"""

from __future__ import annotations

import pytest

from support.compose_stack import project, resolved, stack  # noqa: F401 - fixtures


@pytest.fixture(scope="session")
def stack_lesson() -> str:
    """Whose stack it is: the label on its containers, the prefix of its compose project."""
    return "18_deploy"
