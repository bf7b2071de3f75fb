"""checks/support/spa.py: the production build and nginx, as lesson 14's checks (and later ones) use them.

Proved on the real lesson by `shiplings dev check 14_serving_spa`; these tests pin down
what each helper promises, on a front end, a site config and an app made up here.
"""

from __future__ import annotations

import httpx
import pytest

from shiplings import npm, tools

NODE = npm.Node("node", "npm", (22, 12, 0))

SITE = """map $uri $cache_control {
    ~^/assets/ "public, max-age=31536000, immutable";
    default "no-cache";
}
server {
    listen 80;
    listen [::]:80;
    root /usr/share/nginx/html;
    add_header Cache-Control $cache_control;
    location /api/ {
        proxy_pass http://backend:8000/;
    }
    location / {
        try_files $uri /index.html;
    }
}
"""


pytestmark = pytest.mark.usefixtures("on_the_checks_path")  # tests/conftest.py


def test_the_build_key_follows_the_sources_not_what_was_installed_or_built(tmp_path, monkeypatch):
    from support.spa import sources_key

    frontend = tmp_path / "frontend"
    for path, text in (("src/main.ts", "mount()"), ("index.html", "<div id=app>"),
                       ("node_modules/vue/index.js", "vue"), ("dist/index.html", "built")):
        (frontend / path).parent.mkdir(parents=True, exist_ok=True)
        (frontend / path).write_text(text)
    first = sources_key(frontend, NODE)
    (frontend / "node_modules" / "vue" / "index.js").write_text("another install")
    (frontend / "dist" / "index.html").write_text("another build")
    assert sources_key(frontend, NODE) == first
    (frontend / "src" / "main.ts").write_text("mount() // changed")
    changed = sources_key(frontend, NODE)
    assert changed != first
    monkeypatch.setenv("VITE_API_BASE", "/v2")  # read by the build: another build
    assert sources_key(frontend, NODE) != changed


def test_a_site_config_is_pointed_at_this_machine(tmp_path):
    from support.spa import pointed_here

    here = pointed_here(SITE, tmp_path / "dist", "http://127.0.0.1:4321", 5678)
    assert f"root {tmp_path / 'dist'};" in here and "/usr/share/nginx/html" not in here
    assert "proxy_pass http://127.0.0.1:4321/;" in here and "backend:8000" not in here
    assert here.count("listen") == 1 and "listen 127.0.0.1:5678;" in here
    with pytest.raises(AssertionError, match="root /usr/share/nginx/html"):
        pointed_here(SITE.replace("/usr/share/nginx/html", "/srv/www"), tmp_path, "http://127.0.0.1:1", 1)
    with pytest.raises(AssertionError, match="http://backend:8000"):
        pointed_here(SITE.replace("backend:8000", "api:9000"), tmp_path, "http://127.0.0.1:1", 1)


def test_an_app_served_in_a_thread_answers_and_stops(tmp_path):
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from support.spa import serving

    async def health(request):
        return JSONResponse({"status": "ok", "path": request.url.path})

    app = Starlette(routes=[Route("/health", health)])
    with serving(app) as url:
        assert httpx.get(url + "/health").json() == {"status": "ok", "path": "/health"}
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/health", timeout=2)


@pytest.mark.skipif(tools.find("nginx") is None, reason="nginx is not installed (`shiplings doctor`)")
def test_nginx_serves_a_site_config_with_its_backend(tmp_path):
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from support.spa import nginx_site, serving

    async def health(request):
        return JSONResponse({"path": request.url.path})

    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>Tasks</title>")
    (dist / "assets" / "index-abc123.js").write_text("console.log('tasks')")
    with serving(Starlette(routes=[Route("/health", health)])) as backend:
        with nginx_site(SITE, dist, backend, tmp_path / "nginx") as url:
            deep = httpx.get(url + "/login")
            assert deep.text.startswith("<!doctype html>") and deep.headers["cache-control"] == "no-cache"
            asset = httpx.get(url + "/assets/index-abc123.js")
            assert "immutable" in asset.headers["cache-control"]
            assert httpx.get(url + "/api/health").json() == {"path": "/health"}
    with pytest.raises(AssertionError, match="nginx -t"):
        with nginx_site(SITE.replace("try_files", "try_file"), dist, "http://127.0.0.1:1", tmp_path / "broken"):
            pass


def test_without_nginx_the_nginx_check_cannot_run(monkeypatch):
    from shiplings import services
    from support import spa

    monkeypatch.setattr(spa.tools, "find", lambda name: None)
    with pytest.raises(services.ServiceUnavailable, match="nginx"):
        spa.nginx_binary()
