"""Tests of CORS (app/main.py, app/core/config.py): which web pages may call the API.

A browser asks before a cross-origin request with a JSON body or an Authorization header:
an OPTIONS "preflight" naming the page's origin, the method and the headers. These tests
send what the browser would send and read the answer the way it reads it.
"""

import pytest
from pydantic import ValidationError

from app.core.config import Settings

SPA = "http://localhost:5173"  # the Vue dev server: the default allowed origin


async def preflight(client, origin: str, method: str = "POST"):
    return await client.options("/tasks", headers={
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization, content-type",
    })


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
async def test_the_spa_may_call_with_credentials(anonymous_client, method):
    pytest.skip("TODO(08): delete this line once CORSMiddleware in app/main.py takes its origins from the settings")
    response = await preflight(anonymous_client, SPA, method)

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == SPA  # never "*"
    assert response.headers["access-control-allow-credentials"] == "true"


async def test_answers_name_the_spa_and_vary_by_origin(client):
    pytest.skip("TODO(08): delete this line once CORSMiddleware in app/main.py takes its origins from the settings")
    response = await client.get("/tasks", headers={"Origin": SPA})

    assert response.headers["access-control-allow-origin"] == SPA
    assert "Origin" in response.headers["vary"]


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://localhost:5173.evil.example"])
async def test_an_unlisted_origin_is_never_named(client, origin):
    pytest.skip("TODO(08): delete this line once CORSMiddleware in app/main.py no longer allows \"*\"")
    assert "access-control-allow-origin" not in (await preflight(client, origin)).headers
    response = await client.get("/tasks", headers={"Origin": origin})

    assert response.status_code == 200  # CORS does not stop the request: the browser hides the answer
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("origins", [["*"], [SPA, "*"], ["https://*.example.com"], ["null"]])
def test_wildcards_and_null_are_refused(origins):
    pytest.skip("TODO(08): delete this line once the cors_origins validator in app/core/config.py refuses \"*\"")
    with pytest.raises(ValidationError):
        Settings(_env_file=None, cors_origins=origins)


def test_origins_are_written_the_way_browsers_send_them():
    pytest.skip("TODO(08): delete this line if your cors_origins validator strips the trailing slash")
    settings = Settings(_env_file=None, cors_origins=["https://Tasks.Example.com/"])

    assert settings.cors_origins == ["https://tasks.example.com"]
