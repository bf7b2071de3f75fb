"""Fixtures of the lesson 18 checks.

The CI workflow and the alert rules are read from the workspace and need no engine: the
workflow is validated with check-jsonschema's copy of the GitHub workflow schema, the rules
with the real promtool (on traffic the checks make up: support/prometheus.py). The backup and
the incident drills run the learner's scripts on the learner's stack, up once per run: the
fixtures of lesson 17 (support/compose_stack.py), under a project of this lesson, its model
read with the `monitoring` profile: Prometheus is in it, and starts only when a check asks.
"""

from __future__ import annotations

import pytest

from shiplings import containers
from support import compose
from support.compose_stack import project, stack  # noqa: F401 - fixtures

# Prometheus's service is in this profile (part 6): started only when its checks ask for it
MONITORING = "monitoring"


@pytest.fixture(scope="session")
def resolved(project):  # noqa: F811 - lesson 17's, with the monitoring profile's services in the model
    folder, env = project
    return compose.resolve(folder, containers.compose_binary(), env, profiles=(MONITORING,))


@pytest.fixture(scope="session")
def stack_lesson() -> str:
    """Whose stack it is: the label on its containers, the prefix of its compose project."""
    return "18_deploy"
