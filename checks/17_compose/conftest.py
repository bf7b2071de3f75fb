"""Fixtures of the lesson 17 checks: the learner's compose.yaml, read by compose and run for real.

The fixtures live in support/compose_stack.py, shared with lesson 18, which runs the same stack:

- `project`: a copy of the workspace to run compose in, with a .env made from the learner's
  .env.example (fresh random secrets: the learner's own .env is never read)
- `resolved`: `docker compose config --format json` of that copy: the static checks read it
- `docker_engine` (checks/conftest.py): the learner's Docker Engine, or a private one for this run
- `stack`: the whole stack, up once per run, `down --volumes` however the run ends
"""

from __future__ import annotations

import pytest

from support.compose_stack import project, resolved, stack  # noqa: F401 - fixtures


@pytest.fixture(scope="session")
def stack_lesson() -> str:
    """Whose stack it is: the label on its containers, the prefix of its compose project."""
    return "17_compose"
