"""Integration tests of GET /holidays/{year} (app/api/routes/holidays.py).

These tests must never call the real holidays service: over the internet a test is
slow, fails whenever the network or the service does, and cannot make the service time
out on demand. tests/conftest.py gives the app a fake instead (tests/fakes.py): write
the app fixture's TODO first. The `upstream` fixture is that fake; a test can change
what it answers before it sends its request.
"""

import pytest


async def test_lists_the_holidays_the_upstream_knows(client, upstream):
    pytest.skip(
        "TODO(06): GET /holidays/2026?country=DE answers 200 with the fake's two holidays "
        '({"date", "name", "local_name"} each); upstream.requests shows what the app asked'
    )


async def test_an_upstream_timeout_is_a_504(client, upstream):
    pytest.skip(
        'TODO(06): set upstream.fail_with = httpx.ReadTimeout("too slow"), then GET '
        '/holidays/2026?country=DE answers 504 with the error code "upstream_timeout"'
    )


async def test_an_unreachable_upstream_is_a_502(client, upstream):
    pytest.skip(
        'TODO(06): with upstream.fail_with = httpx.ConnectError("refused"), the answer is 502 '
        'with the error code "upstream_error"'
    )
