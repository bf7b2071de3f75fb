"""Lesson 08: which web pages may call the API from a browser, and with the user's credentials.

The checks send what a browser sends, no browser needed: the OPTIONS "preflight" it asks
before a cross-origin request with a JSON body, an Authorization header, PUT or DELETE,
and the Origin header it adds to every cross-origin request. Then they read the answer
the way the browser does: Access-Control-Allow-Origin must name the page's origin exactly
(never "*" when credentials travel), and Access-Control-Allow-Credentials must say "true".
"""

import importlib

import pydantic

from shiplings.testing import load_app, make_client, running_client, show

# where lesson 12's Vue dev server serves the SPA: the default of TASKS_CORS_ORIGINS
SPA_ORIGIN = "http://localhost:5173"
# what the SPA sends besides the headers every page may send
SPA_HEADERS = "authorization, content-type"
# origins nobody listed: a hostile site, sandboxed frames and local files ("null"), and
# a lookalike that defeats startswith() or a careless regular expression
UNLISTED = ["https://evil.example", "null", "http://localhost:5173.evil.example"]

WHERE = "the CORSMiddleware in create_app() in app/main.py"
ALLOW_LISTS = ("Access-Control-Allow-Methods", "Access-Control-Allow-Headers")


async def preflight(http, origin: str, method: str = "POST", path: str = "/tasks"):
    """The OPTIONS request a browser sends before a cross-origin `method path` from `origin`."""
    return await http.options(path, headers={
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": SPA_HEADERS,
    })


def cors_headers(response, *names: str) -> str:
    """The status and the CORS headers that matter here, as a learner reads them."""
    names = names or ("Access-Control-Allow-Origin", "Access-Control-Allow-Credentials")
    found = [f"{name}: {response.headers[name]}" for name in names if name in response.headers]
    return f"{response.status_code} with " + (", ".join(found) if found else f"no {' or '.join(names)}")


def why_not_allowed(response, origin: str) -> str | None:
    """What a browser would object to in this answer to a credentialed request; None if nothing."""
    allow_origin = response.headers.get("access-control-allow-origin")
    if allow_origin is None:
        return "there is no Access-Control-Allow-Origin header"
    if allow_origin == "*":
        return (
            'Access-Control-Allow-Origin is "*", which a browser refuses for a request that '
            "carries credentials"
        )
    if allow_origin != origin:
        return f"Access-Control-Allow-Origin is {allow_origin!r}, not the page's origin {origin!r}"
    if response.headers.get("access-control-allow-credentials") != "true":
        return 'Access-Control-Allow-Credentials is not "true", so credentials are not allowed'
    return None


async def test_preflight_from_allowed_origin(client):
    for method in ("GET", "POST", "PUT", "DELETE"):
        path = "/tasks" if method in ("GET", "POST") else "/tasks/1"
        response = await preflight(client, SPA_ORIGIN, method, path)
        problem = why_not_allowed(response, SPA_ORIGIN)
        if response.status_code != 200:
            problem = f"it answered {show(response)}" + (f" and {problem}" if problem else "")
        assert problem is None, (
            f"Before the Vue app on {SPA_ORIGIN} sends `{method} {path}` with its token, the browser "
            f"asks with a preflight (OPTIONS, Access-Control-Request-Headers: {SPA_HEADERS}). It "
            f"should answer 200 with Access-Control-Allow-Origin: {SPA_ORIGIN} and "
            f"Access-Control-Allow-Credentials: true, but {problem}. Your app answered "
            f"{cors_headers(response)}. Look at {WHERE}: the origins it allows, "
            "whether it allows credentials, and the methods and headers the Vue app sends (GET, POST, "
            "PUT, DELETE; Authorization and Content-Type)."
        )
    # only what the SPA uses: a method and a header it never sends must not be allowed
    for method, headers, extra, what in (
        ("PATCH", SPA_HEADERS, "patch", "method"),
        ("POST", SPA_HEADERS + ", x-debug-token", "x-debug-token", "header"),
    ):
        response = await client.options("/tasks", headers={
            "Origin": SPA_ORIGIN,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        })
        listed = response.headers.get(
            "access-control-allow-methods" if what == "method" else "access-control-allow-headers", ""
        )
        allowed = response.status_code < 300 and extra in [part.strip().lower() for part in listed.split(",")]
        assert not allowed, (
            f"A preflight from {SPA_ORIGIN} for `{method} /tasks` with Access-Control-Request-Headers: "
            f"{headers} asks for a {what} the Vue app never sends ({extra.upper() if what == 'method' else extra}); "
            f"it should be refused, but your app allowed it: {cors_headers(response, *ALLOW_LISTS)}. "
            f"Allow only the methods GET, POST, PUT, DELETE and the headers Authorization and "
            f"Content-Type in {WHERE}, not \"*\": every extra {what} allowed is one more way a listed "
            "page (or a script injected into it) can use your users' credentials."
        )


async def test_unlisted_origin_gets_no_allow_origin(client):
    for origin in UNLISTED:
        response = await preflight(client, origin)
        allowed = response.headers.get("access-control-allow-origin")
        assert allowed is None, (
            f"A preflight from {origin!r}, an origin nobody listed, should get no "
            f"Access-Control-Allow-Origin header, so the browser refuses to send the request; "
            f"your app answered {cors_headers(response)}. "
            + ("With allow_credentials=True, Starlette answers allow_origins=[\"*\"] by echoing "
               "whatever origin asks, so every website could call the API as your users. "
               if allowed == origin and origin == UNLISTED[0] else "")
            + f"Look at the origins CORSMiddleware allows in {WHERE}: each one listed, never \"*\", "
            "a prefix or a loose regular expression."
        )
        response = await client.get("/tasks", headers={"Origin": origin})
        allowed = response.headers.get("access-control-allow-origin")
        assert allowed is None, (
            f"GET /tasks from a page on {origin!r}, an origin nobody listed, should carry no "
            f"Access-Control-Allow-Origin header, so the browser keeps the answer from that page; "
            f"your app answered {cors_headers(response)}. Only the origins in settings.cors_origins "
            f"may be named, in {WHERE}."
        )


async def test_simple_request_from_allowed_origin(client):
    response = await client.get("/tasks", headers={"Origin": SPA_ORIGIN})
    assert response.status_code == 200, (
        f"GET /tasks from the Vue app on {SPA_ORIGIN} should answer 200; your app answered {show(response)}."
    )
    problem = why_not_allowed(response, SPA_ORIGIN)
    assert problem is None, (
        f"GET /tasks from the Vue app on {SPA_ORIGIN} (with its token) should carry "
        f"Access-Control-Allow-Origin: {SPA_ORIGIN} and Access-Control-Allow-Credentials: true, or "
        f"the browser keeps the answer from the page; but {problem}. Your app answered "
        f"{cors_headers(response)}. Look at {WHERE}."
    )
    vary = [part.strip().lower() for part in ",".join(response.headers.get_list("vary")).split(",")]
    assert "origin" in vary, (
        f"An answer whose Access-Control-Allow-Origin depends on the request's Origin must say so "
        f"with Vary: Origin, or a shared cache may hand one site's answer to another; your app "
        f"answered {cors_headers(response, 'Access-Control-Allow-Origin', 'Vary')}. Starlette's "
        f"CORSMiddleware adds it when it is given a list of origins: look at {WHERE}."
    )


async def test_origins_from_environment(app_env, monkeypatch):
    production = "https://tasks.example.com"
    staging = "https://staging.tasks.example.com"
    # the staging entry as people paste it from the address bar: with a trailing slash,
    # which a browser never sends in Origin; the settings must keep the bare origin
    monkeypatch.setenv("TASKS_CORS_ORIGINS", f'["{production}", "{staging}/"]')
    try:
        app = load_app()
    except pydantic.ValidationError as exc:
        raise AssertionError(
            f'With TASKS_CORS_ORIGINS=\'["{production}", "{staging}/"]\' the app should start and '
            f"allow both origins (a trailing slash is how an address bar shows it; the origin is "
            f"the part before it); it refused to start: {exc.errors()[0]['msg']}. The cors_origins "
            "validator in app/core/config.py should strip one trailing slash, not refuse it."
        ) from None
    async with running_client(app) as http:
        for origin in (production, staging):
            response = await preflight(http, origin)
            problem = why_not_allowed(response, origin)
            assert response.status_code == 200 and problem is None, (
                f'With TASKS_CORS_ORIGINS=\'["{production}", "{staging}/"]\', a preflight from {origin} '
                f"should answer 200 with Access-Control-Allow-Origin: {origin} and "
                f"Access-Control-Allow-Credentials: true; your app answered {cors_headers(response)}. "
                "The origins come from Settings.cors_origins in app/core/config.py (read from "
                f"TASKS_CORS_ORIGINS): look at where {WHERE} takes its origins from."
                + (" A browser sends its Origin without a trailing slash, so an entry kept as "
                   f"'{staging}/' never matches: the cors_origins validator in app/core/config.py "
                   "should keep each origin without it." if origin == staging else "")
            )
        response = await preflight(http, SPA_ORIGIN)
        assert response.headers.get("access-control-allow-origin") is None, (
            f"TASKS_CORS_ORIGINS names the origins allowed, and only those: with it set to "
            f'\'["{production}", "{staging}/"]\', a preflight from the default {SPA_ORIGIN} should get '
            f"no Access-Control-Allow-Origin; your app answered {cors_headers(response)}. Is '*', a "
            f"regular expression or a fixed origin written into {WHERE} instead of settings.cors_origins?"
        )
    config = importlib.import_module("app.core.config")
    main = importlib.import_module("app.main")
    chosen = "https://preview.tasks.example.com"
    built = main.create_app(config.Settings(cors_origins=[chosen]))
    async with make_client(built) as http:
        response = await preflight(http, chosen)
    assert response.headers.get("access-control-allow-origin") == chosen, (
        f"create_app(Settings(cors_origins=['{chosen}'])) should allow preflights from {chosen}; "
        f"your app answered {cors_headers(response)}. create_app() should configure CORS from the "
        "settings it is given, not from get_settings()."
    )
