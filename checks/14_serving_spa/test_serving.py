"""Lesson 14: the learner's app serves the built page and the API from one origin, as production does.

In-process, against create_app(Settings(frontend_dist=<the learner's build>)): the SPA
fallback, JSON 404s, cache headers, compression, the Content-Security-Policy and the
refresh cookie's path, each read from the headers a browser would get.
"""

import re
import secrets
from http.cookies import SimpleCookie

from shiplings.testing import show
from support.accounts import LEARNER_PASSWORD
from support.envelope import SHAPE, envelope_problem
from support.spa import hashed_assets

SPA = "app/spa.py"
LOOK = f"Look at {SPA}."
YEAR = 365 * 24 * 60 * 60


def is_the_page(response, dist) -> bool:
    return response.status_code == 200 and response.content == (dist / "index.html").read_bytes()


def cache_control(response) -> dict[str, str]:
    """Cache-Control's directives: {"max-age": "31536000", "immutable": "", ...}."""
    directives = {}
    for part in response.headers.get("cache-control", "").split(","):
        name, _, value = part.strip().partition("=")
        if name:
            directives[name.lower()] = value.strip('"')
    return directives


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy's directives: {"script-src": ["'self'"], ...}."""
    directives = {}
    for part in response.headers.get("content-security-policy", "").split(";"):
        words = part.split()
        if words:
            directives.setdefault(words[0].lower(), [word.lower() for word in words[1:]])
    return directives


def largest_asset(dist) -> str:
    return max(hashed_assets(dist), key=lambda path: (dist / path.lstrip("/")).stat().st_size)


async def test_deep_links_get_the_page(site, dist):
    home = await site.get("/", headers={"Accept": "text/html"})
    assert is_the_page(home, dist), (
        "With TASKS_FRONTEND_DIST set, GET / should answer the built page (frontend/dist/index.html); your app "
        f"answered {show(home)}. serve_frontend() in {SPA} mounts the build at / and the API at /api, and "
        "create_app() in app/main.py hands the API to it when settings.frontend_dist is set."
    )
    for path in ("/login", "/tasks/7"):
        deep = await site.get(path, headers={"Accept": "text/html"})
        assert is_the_page(deep, dist), (
            f"GET {path} should answer index.html, as / does: {path} is not a file of dist/ but a view of the "
            "page's router, and a browser asks the server for it whenever someone opens a bookmark, follows a "
            "link in an email, or reloads that view. vue-router then shows the view. Your app answered "
            f"{show(deep)}. Serve index.html when no file matches a path that names no file (the SPA fallback, "
            f"in SinglePageApp.get_response). {LOOK}"
        )


async def test_api_and_missing_files_answer_json(site, dist):
    health = await site.get("/api/health")
    assert health.status_code == 200 and "json" in health.headers.get("content-type", ""), (
        "The API should answer under /api, where the page calls it (VITE_API_BASE in frontend/src/api.ts): GET "
        f"/api/health should be the app's GET /health; your app answered {show(health)}. Mount the API at /api in "
        f"serve_frontend(), before the build at /. {LOOK}"
    )
    api_health = (await site.get("/api/health")).json()
    for probe, is_its_answer in (
        ("/health", lambda answer: "json" in answer.headers.get("content-type", "") and answer.json() == api_health),
        ("/metrics", lambda answer: answer.text.startswith("# HELP")),
    ):
        answered = await site.get(probe)
        if is_the_page(answered, dist):
            said = ("index.html with 200: the page's fallback took it, so a health check passes while the API is "
                    "down, and Prometheus reads HTML where metrics should be")
        else:
            said = show(answered)
        assert answered.status_code == 200 and is_its_answer(answered), (
            f"GET {probe} at the root should be the API's own {probe} (as /api{probe} is), where health probes and "
            f"Prometheus look on every deployment; your app answered {said}. Those paths must reach the API "
            f"before the page's fallback sees them. {LOOK}"
        )
    for path, what in (("/api/nope", "a path the API does not have"),
                       ("/api/tasks/nope/more", "a path the API does not have"),
                       ("/assets/nope.js", "a file the build does not have"),
                       ("/favicon.png", "a file the build does not have")):
        missing = await site.get(path)
        problem = envelope_problem(missing)
        if is_the_page(missing, dist):
            said = ("answered index.html with 200: a <script src> that asks for a missing file then gets HTML, and "
                    "the browser reports a syntax error in a file that does not exist, while a client of the API "
                    "reads an HTML page as a success")
        else:
            said = f"answered {show(missing)}" + (f" ({problem})" if problem else "")
        assert missing.status_code == 404 and problem is None, (
            f"GET {path} ({what}) should answer 404 in the API's error envelope {SHAPE}, never the page; your app "
            f"{said}. The fallback is for the router's views only: paths under /api never reach it, and a path "
            f"that looks like a file (assets/..., a name with an extension) is a real 404; register the error "
            f"handlers on the site too. {LOOK}"
        )


async def test_cache_headers(site, dist):
    for path in hashed_assets(dist):
        asset = await site.get(path)
        directives = cache_control(asset)
        said = f"your app sent Cache-Control: {asset.headers.get('cache-control', '(none)')}"
        assert asset.status_code == 200 and "immutable" in directives and int(
                directives.get("max-age", "0") or 0) >= YEAR, (
            f"{path} is a hashed build file: its name changes whenever its content does, so browsers may keep it "
            f"for a year without ever asking again: Cache-Control: public, max-age={YEAR}, immutable. For GET "
            f"{path} {said} (status {asset.status_code}). Every visit after the first then loads the page's code "
            f"from the browser's cache. {LOOK}"
        )
    for path in ("/", "/login", "/index.html"):
        page = await site.get(path)
        directives = cache_control(page)
        assert "no-cache" in directives and "immutable" not in directives, (
            f"index.html (GET {path}) names the current build's assets, so a browser must ask again on every visit "
            "(Cache-Control: no-cache; an unchanged page costs a 304 without a body). Cached like the assets, or "
            "left to the browser's own guess, a returning visitor gets yesterday's index.html after a deploy, "
            f"naming assets that no longer exist: a blank page. For GET {path} your app sent Cache-Control: "
            f"{page.headers.get('cache-control', '(none)')}. {LOOK}"
        )


async def test_compression(site, dist):
    path = largest_asset(dist)
    size = (dist / path.lstrip("/")).stat().st_size
    compressed = await site.get(path, headers={"Accept-Encoding": "gzip"})
    assert compressed.headers.get("content-encoding") == "gzip", (
        f"A browser that says Accept-Encoding: gzip should get {path} ({size // 1000} kB) compressed "
        f"(Content-Encoding: gzip, about a third of the bytes); your app sent it "
        f"{'as ' + compressed.headers['content-encoding'] if 'content-encoding' in compressed.headers else 'as it is'}"
        f". Add compression to the site in serve_frontend(). {LOOK}"
    )
    assert "accept-encoding" in compressed.headers.get("vary", "").lower(), (
        f"A compressed answer should say Vary: Accept-Encoding, so that a cache between the app and the browser "
        f"never hands the gzip bytes to a client that cannot read them; GET {path} sent Vary: "
        f"{compressed.headers.get('vary', '(none)')}. {LOOK}"
    )
    plain = await site.get(path, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == (dist / path.lstrip("/")).read_bytes(), (
        f"A client that does not accept gzip (Accept-Encoding: identity) should get {path} as it is; your app sent "
        f"Content-Encoding: {plain.headers.get('content-encoding')}. {LOOK}"
    )
    small = await site.get("/api/health", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers, (
        f"A small response (GET /api/health, {len(small.content)} bytes) should go as it is: gzip's own header and "
        "the CPU cost more than they save on a few hundred bytes. Your app compressed it. Give the compression a "
        f"minimum size (about 1000 bytes). {LOOK}"
    )


async def test_content_security_policy(site):
    for path in ("/", "/login"):
        page = await site.get(path)
        header = page.headers.get("content-security-policy")
        assert header, (
            f"The page should come with a Content-Security-Policy header (GET {path} had none): it tells the browser "
            "which scripts may run, so that a script injected into the page (a task title that slipped past "
            "escaping, a compromised package) is refused instead of run with the page's rights. Send it with "
            f"every file of the build, the fallback's index.html included. {LOOK}"
        )
        directives = policy(page)
        scripts = directives.get("script-src", directives.get("default-src"))
        assert "default-src" in directives, (
            f"The policy should start from default-src (e.g. default-src 'self'): whatever it does not name, "
            f"default-src decides, and without it images, frames, fonts and connections may come from anywhere. "
            f"Your app sent: {header}. {LOOK}"
        )
        loose = [source for source in scripts or [] if source in ("'unsafe-inline'", "'unsafe-eval'", "*", "data:",
                                                                  "http:", "https:", "blob:")]
        assert scripts and not loose and re.search(r"'self'|'none'|'nonce-|'sha", " ".join(scripts)), (
            "The policy should let only the page's own scripts run: script-src 'self' (or default-src 'self'), "
            f"without {', '.join(loose) if loose else 'any source that allows every script'}. Vite's build has no "
            "inline script to allow ('unsafe-inline' is exactly what an injected <script> or onerror= needs). "
            f"Your app sent: {header}. {LOOK}"
        )


async def test_refresh_cookie_under_api(site):
    email = f"spa-{secrets.token_hex(4)}@example.com"
    await site.post("/api/auth/register", json={"email": email, "password": LEARNER_PASSWORD})
    signed_in = await site.post("/api/auth/token", data={"username": email, "password": LEARNER_PASSWORD})
    assert signed_in.status_code == 200, (
        f"Signing in on the site (POST /api/auth/token) should answer 200 with a token; your app answered "
        f"{show(signed_in)}. Look at app/api/routes/auth.py."
    )
    cookies = SimpleCookie()
    for header in signed_in.headers.get_list("set-cookie"):
        cookies.load(header)
    cookie = next(iter(cookies.values()), None)
    assert cookie is not None, "Signing in should set the refresh cookie; it did not. Look at app/api/routes/auth.py."
    assert cookie["path"] == "/api/auth", (
        "On the site the browser sees the auth routes at /api/auth, so the refresh cookie should say Path=/api/auth; "
        f"your app set Path={cookie['path'] or '/'}. With Path=/auth the browser never sends it to "
        "/api/auth/refresh, and every reload signs the user out. No proxy rewrites it here: the API knows where it "
        "is mounted (request.scope[\"root_path\"] is \"/api\"). Look at cookie_path() in app/api/routes/auth.py."
    )
    site.cookies.clear()
    refreshed = await site.post("/api/auth/refresh", headers={"Cookie": f"{cookie.key}={cookie.value}"})
    assert refreshed.status_code == 200, (
        f"POST /api/auth/refresh with the cookie from sign-in should answer a new access token; your app answered "
        f"{show(refreshed)}. Look at app/api/routes/auth.py."
    )
