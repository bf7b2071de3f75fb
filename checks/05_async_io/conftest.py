"""A fake holidays service for the lesson 05 checks, and the app pointed at it.

`upstream` is support.upstream.FakeUpstream: a tiny HTTP/1.1 server on a free loopback
port that answers like Nager.Date (GET .../PublicHolidays/{year}/{country}) after
`upstream.delay` seconds and counts what it saw (see there).

The `app_env` here extends the one of checks/conftest.py: TASKS_HOLIDAYS_API_URL points at the fake and
TASKS_UPSTREAM_TIMEOUT_SECONDS is UPSTREAM_TIMEOUT (not the default, so the checks can
tell whether the app uses the setting).
"""

from __future__ import annotations

import pytest

from support.upstream import FakeUpstream


@pytest.fixture
def upstream():
    """The fake holidays service, answering at once until a check sets its delay."""
    with FakeUpstream() as server:
        yield server


# TASKS_UPSTREAM_TIMEOUT_SECONDS of the checks' apps: not the default (5.0), so a check can
# tell whether the app uses the setting; longer than the fake's usual delay under load.
UPSTREAM_TIMEOUT = 3.0


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "upstream_timeout(seconds): TASKS_UPSTREAM_TIMEOUT_SECONDS for this check's app"
    )


@pytest.fixture
def upstream_timeout(request) -> float:
    """TASKS_UPSTREAM_TIMEOUT_SECONDS in the check's app: UPSTREAM_TIMEOUT unless a check
    marks another (a check that waits for the timeout need not wait 3 s)."""
    marker = request.node.get_closest_marker("upstream_timeout")
    return float(marker.args[0]) if marker else UPSTREAM_TIMEOUT


@pytest.fixture
def app_env(app_env, upstream, upstream_timeout, monkeypatch) -> dict[str, str]:
    """The checks' app environment (checks/conftest.py), with the holidays service pointed at the fake."""
    extra = {
        "TASKS_HOLIDAYS_API_URL": upstream.url,
        "TASKS_UPSTREAM_TIMEOUT_SECONDS": str(upstream_timeout),
    }
    for key, value in extra.items():
        monkeypatch.setenv(key, value)
    return {**app_env, **extra}
