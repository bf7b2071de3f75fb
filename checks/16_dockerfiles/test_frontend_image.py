"""Lesson 16: the frontend image (Node builds, nginx serves), run beside the backend image on a real engine."""

from __future__ import annotations

import re
import secrets

import httpx
import pytest

from support import docker

BUILD = pytest.mark.timeout(1800)
FRONTEND_PORT = 80


@BUILD
def test_frontend_context_leaves_out_node_modules(docker_engine, frontend_context):
    sent = docker.context_listing(docker_engine, frontend_context)
    leaked = sorted({path.split("/")[0] for path in sent if path.split("/")[0] in ("node_modules", "dist")})
    assert not leaked, (
        f"`docker build frontend` sends {' and '.join(leaked)} to the engine: about 100 MB of packages installed for "
        "your machine (npm ci installs them for Linux inside the image) and an old build. List them in "
        "frontend/.dockerignore (the context is frontend/, so its .dockerignore is there): node_modules, dist."
    )


@BUILD
def test_frontend_image_serves_the_spa(frontend_context, request):
    base = docker.final_base(frontend_context / "Dockerfile") if (frontend_context / "Dockerfile").is_file() else ""
    assert not base or base.startswith("nginx"), (
        f"The frontend image's last stage starts FROM {base or 'nothing'}: Node (and every package the build needed) "
        "would ship to production to serve a few static files. Build in a first stage FROM node:22-slim, and start "
        "the last stage FROM nginx:1.27 with the built dist copied in (COPY --from=build /app/dist ...)."
    )
    # the engine and the builds only once the text is right
    docker_engine = request.getfixturevalue("docker_engine")
    image = request.getfixturevalue("frontend_build").require()
    backend = request.getfixturevalue("backend_build").require()
    network = f"shiplings-16-{secrets.token_hex(4)}"
    docker_engine.docker("network", "create", network, timeout=60)
    try:
        # the name nginx.conf forwards /api/ to, as compose gives it (lesson 17)
        with docker.run(docker_engine, backend, 8000, "--network", network, "--network-alias", "backend",
                        "--env", f"TASKS_SECRET_KEY={secrets.token_urlsafe(32)}"), \
             docker.run(docker_engine, image, FRONTEND_PORT, "--network", network, path="/", wait=30) as frontend:
            assert frontend.answered, (
                f"The frontend container should answer GET / on its port 80 (with a backend container named "
                f"`backend` beside it, as nginx.conf expects); it had {frontend.said}. Its last log lines:\n"
                f"{frontend.logs(docker_engine)}\nThe image should copy nginx.conf to "
                "/etc/nginx/conf.d/default.conf and the build to /usr/share/nginx/html."
            )
            answers = _served(frontend.url)
    finally:
        docker_engine.docker("network", "rm", network, check=False, timeout=60)
    page, deep_link, asset, api = answers
    assert 'id="app"' in page.text and "no-cache" in page.headers.get("cache-control", ""), (
        f"GET / on the frontend container answered {page.status_code} with Cache-Control "
        f"{page.headers.get('cache-control')!r}: it should be your built index.html, revalidated on every visit "
        "(no-cache), as lesson 14's nginx.conf says. Is nginx.conf copied to /etc/nginx/conf.d/default.conf?"
    )
    assert "content-security-policy" in page.headers, (
        "GET / on the frontend container has no Content-Security-Policy header: the image should serve with "
        "lesson 14's nginx.conf, not nginx's default configuration."
    )
    assert deep_link.status_code == 200 and 'id="app"' in deep_link.text, (
        f"GET /login on the frontend container answered {deep_link.status_code}: a view of the page's router "
        "should answer index.html (the SPA fallback of lesson 14's nginx.conf)."
    )
    assert asset is None or "immutable" in asset.headers.get("cache-control", ""), (
        f"A hashed asset of the build answered Cache-Control {asset.headers.get('cache-control')!r}; it should be "
        "cached for a year, immutable (lesson 14's nginx.conf)."
    )
    assert api.status_code == 200 and api.json().get("status") == "ok", (
        f"GET /api/health through the frontend container answered {api.status_code} {api.text[:200]!r}: nginx "
        "should forward /api/ to the backend container (proxy_pass http://backend:8000/ in nginx.conf)."
    )


def _served(url: str) -> tuple[httpx.Response, httpx.Response, httpx.Response | None, httpx.Response]:
    with httpx.Client(base_url=url, timeout=20) as client:
        page = client.get("/")
        deep_link = client.get("/login")
        found = re.search(r'(?:src|href)="(/assets/[^"]+\.js)"', page.text)
        asset = client.get(found.group(1)) if found else None
        api = client.get("/api/health")
    return page, deep_link, asset, api
