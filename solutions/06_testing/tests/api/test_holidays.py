"""Integration tests of GET /holidays/{year} (app/api/routes/holidays.py).

These tests must never call the real holidays service: over the internet a test is
slow, fails whenever the network or the service does, and cannot make the service time
out on demand. tests/conftest.py gives the app a fake instead (tests/fakes.py). The
`upstream` fixture is that fake; a test can change what it answers before it sends its
request, and make it fail in every way the real one might.
"""

import httpx
import pytest


async def test_lists_the_holidays_the_upstream_knows(client, upstream):
    response = await client.get("/holidays/2026", params={"country": "de"})

    assert response.status_code == 200
    assert response.json() == [
        {"date": "2026-01-01", "name": "New Year's Day", "local_name": "Neujahr"},
        {"date": "2026-10-03", "name": "German Unity Day", "local_name": "Tag der Deutschen Einheit"},
    ]
    # one request to the upstream, the country code in capitals as Nager.Date wants it
    assert [request.url.path for request in upstream.requests] == ["/api/v3/PublicHolidays/2026/DE"]


async def test_an_unknown_country_is_404(client):
    response = await client.get("/holidays/2026", params={"country": "XX"})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("query", ["/holidays/2026?country=DEU", "/holidays/1066?country=DE"])
async def test_invalid_requests_never_reach_the_upstream(client, upstream, query):
    response = await client.get(query)

    assert response.status_code == 422
    assert upstream.requests == []


async def test_an_upstream_timeout_is_a_504(client, upstream):
    upstream.fail_with = httpx.ReadTimeout("the fake upstream is too slow")

    response = await client.get("/holidays/2026", params={"country": "DE"})

    assert response.status_code == 504
    assert response.json()["error"]["code"] == "upstream_timeout"


async def test_an_unreachable_upstream_is_a_502(client, upstream):
    upstream.fail_with = httpx.ConnectError("connection refused")

    response = await client.get("/holidays/2026", params={"country": "DE"})

    assert response.status_code == 502
    assert response.json()["error"]["code"] == "upstream_error"


async def test_an_upstream_error_is_a_502(client, upstream):
    upstream.status_code = 503

    response = await client.get("/holidays/2026", params={"country": "DE"})

    assert response.status_code == 502
    assert response.json()["error"]["code"] == "upstream_error"
    assert "fake upstream" not in response.text  # the upstream's words stay on our side


async def test_an_unreadable_answer_is_a_502(client, upstream):
    upstream.holidays[(2026, "DE")] = [{"what": "not a holiday"}]

    response = await client.get("/holidays/2026", params={"country": "DE"})

    assert response.status_code == 502
