"""Lesson 14, the alternative: the learner's frontend/nginx.conf under a real nginx, in front of the backend.

The same promises as the app's own serving, kept by nginx: the SPA fallback, a 404 for a
missing file, cache headers, the CSP, gzip, and /api/ forwarded to the backend without the
prefix, with the refresh cookie's path mapped to /api/auth (as Vite's dev proxy does).
"""

import secrets
from http.cookies import SimpleCookie

import httpx
import pytest

from support.accounts import LEARNER_PASSWORD
from support.spa import NGINX_CONF, hashed_assets

LOOK = f"Look at {NGINX_CONF}."


def said(response) -> str:
    kind = response.headers.get("content-type", "no content type")
    return f"{response.status_code} ({kind}): {response.text[:120]!r}"


@pytest.mark.timeout(120)
def test_nginx_serves_the_same(nginx_stack, dist):
    index = (dist / "index.html").read_bytes()
    with httpx.Client(base_url=nginx_stack.url, timeout=30) as http:
        pages = {path: http.get(path) for path in ("/", "/login", "/tasks/7")}
        for path, page in pages.items():
            assert page.status_code == 200 and page.content == index, (
                f"Through nginx, GET {path} should answer the built index.html (for /login and /tasks/7, views of "
                f"the page's router, that is the SPA fallback: try_files); nginx answered {said(page)}. {LOOK}"
            )
        for path, page in pages.items():
            assert "no-cache" in page.headers.get("cache-control", ""), (
                f"Through nginx, index.html (GET {path}) should say Cache-Control: no-cache, so every visit asks "
                f"whether a deploy changed it; nginx sent {page.headers.get('cache-control', 'none')}. {LOOK}"
            )
            assert page.headers.get("content-security-policy"), (
                f"Through nginx, the page (GET {path}) should come with the same Content-Security-Policy as the app "
                f"sends (add_header ... always); it came without one. {LOOK}"
            )
        for path in hashed_assets(dist):
            asset = http.get(path, headers={"Accept-Encoding": "gzip"})
            control = asset.headers.get("cache-control", "")
            assert asset.status_code == 200 and "immutable" in control and "31536000" in control, (
                f"Through nginx, the hashed file {path} should say Cache-Control: public, max-age=31536000, "
                f"immutable; nginx answered {asset.status_code} with Cache-Control: {control or 'none'}. (An "
                f"add_header inside a location drops every add_header of the server block.) {LOOK}"
            )
        largest = max(hashed_assets(dist), key=lambda path: (dist / path.lstrip("/")).stat().st_size)
        compressed = http.get(largest, headers={"Accept-Encoding": "gzip"})
        assert compressed.headers.get("content-encoding") == "gzip", (
            f"Through nginx, {largest} should be sent compressed to a browser that accepts gzip (gzip on; with "
            f"gzip_types naming JavaScript and CSS); it came {compressed.headers.get('content-encoding', 'as it is')}"
            f". {LOOK}"
        )
        missing = http.get("/assets/nope.js")
        assert missing.status_code == 404 and missing.content != index, (
            "Through nginx, a missing file (GET /assets/nope.js) should answer 404, never the page: the fallback "
            f"to index.html is for the router's views, not for file names; nginx answered {said(missing)}. {LOOK}"
        )
        health = http.get("/api/health")
        assert health.status_code == 200 and "json" in health.headers.get("content-type", ""), (
            "Through nginx, GET /api/health should reach the backend's GET /health: /api/ is forwarded without the "
            "prefix, as Vite's dev proxy does (nginx replaces the matched location by the URI part of proxy_pass, "
            f"the path after the address, when it has one). nginx answered {said(health)}. {LOOK}"
        )
        api_missing = http.get("/api/nope")
        assert api_missing.status_code == 404 and "json" in api_missing.headers.get("content-type", ""), (
            "Through nginx, GET /api/nope should be the backend's JSON 404, never the page; nginx answered "
            f"{said(api_missing)}. {LOOK}"
        )
        email = f"nginx-{secrets.token_hex(4)}@example.com"
        http.post("/api/auth/register", json={"email": email, "password": LEARNER_PASSWORD})
        signed_in = http.post("/api/auth/token", data={"username": email, "password": LEARNER_PASSWORD})
        cookies = SimpleCookie()
        for header in signed_in.headers.get_list("set-cookie"):
            cookies.load(header)
        cookie = next(iter(cookies.values()), None)
        assert signed_in.status_code == 200 and cookie is not None, (
            f"Through nginx, signing in (POST /api/auth/token) should answer 200 and set the refresh cookie; nginx "
            f"answered {said(signed_in)}. {LOOK}"
        )
        assert cookie["path"] == "/api/auth", (
            "Through nginx, the refresh cookie should arrive with Path=/api/auth: the backend sets Path=/auth (its "
            "own routes), and the browser sees them under /api/auth, so nginx maps the path on the way "
            f"(proxy_cookie_path, as Vite's cookiePathRewrite does). It arrived with Path={cookie['path'] or '/'}. "
            f"{LOOK}"
        )
        http.cookies.clear()
        refreshed = http.post("/api/auth/refresh", headers={"Cookie": f"{cookie.key}={cookie.value}"})
        assert refreshed.status_code == 200, (
            f"Through nginx, POST /api/auth/refresh with the refresh cookie should answer a new token; nginx answered "
            f"{said(refreshed)}. {LOOK}"
        )
