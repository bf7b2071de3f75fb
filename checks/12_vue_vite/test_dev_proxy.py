"""Lesson 12: Vite's dev proxy forwards /api to the backend, and only /api.

The checks start the learner's backend (uvicorn) and the learner's Vite dev server, told
where the backend is by BACKEND_URL, then talk to Vite as the page does: same origin.
"""

import secrets

import httpx
import pytest

from shiplings.testing import show
from support.browser import deaf_to_dev_server, list_loaded, patient
from support.stack import dev_server as start_dev_server

PASSWORD = "correct horse battery staple"
# Where a JupyterHub's jupyter-server-proxy puts the page of a learner called ada (binder/start
# puts it in VITE_DEV_BASE in every terminal, so `npm run dev` serves the page there).
HUB_BASE = "/user/ada/vite/"


def is_page(response: httpx.Response) -> bool:
    """Vite's own answer: its HTML page (it answers unknown paths with index.html)."""
    return response.headers.get("content-type", "").startswith("text/html")


def why_not_forwarded(response: httpx.Response, path: str, backend_url: str) -> str:
    """What the answer of Vite to `path` says about the proxy."""
    if is_page(response):
        return (f"Vite answered {path} with its own HTML page, so nothing forwarded it: "
                "frontend/vite.config.ts has no server.proxy entry for /api.")
    if response.status_code == 404 and "error" in response.text:
        return (f"The backend got the request and answered {show(response)}: the proxy forwarded the path "
                "with its /api prefix, but the backend serves its routes without the prefix (/health, /tasks).")
    if response.status_code >= 500 or not response.content:
        return (f"Vite answered {response.status_code}: the proxy could not reach a backend at its target. The "
                f"check started the backend at {backend_url} and said so in BACKEND_URL; the proxy's target "
                "should come from process.env.BACKEND_URL (http://127.0.0.1:8000 when it is not set).")
    return f"Vite answered {show(response)}."


@pytest.mark.timeout(300)
def test_proxy_forwards_api(dev_server, backend):
    with httpx.Client(base_url=dev_server.url, timeout=30) as page:
        health = page.get("/api/health")
        direct = httpx.get(backend.url + "/health", timeout=30)
        assert health.status_code == 200 and not is_page(health) and health.json() == direct.json(), (
            "GET /api/health on the Vite dev server should reach the backend's GET /health and answer what "
            f"it answers ({show(direct)}). {why_not_forwarded(health, '/api/health', backend.url)}"
        )

        email = f"proxy-{secrets.token_hex(4)}@example.com"
        page.post("/api/auth/register", json={"email": email, "password": PASSWORD})
        signed_in = page.post("/api/auth/token", data={"username": email, "password": PASSWORD})
        assert signed_in.status_code == 200, (
            "Signing in through the proxy (POST /api/auth/token, a form body) should answer 200 with a "
            f"token; Vite answered {show(signed_in)}. Look at server.proxy in frontend/vite.config.ts."
        )
        # the account exists in the backend the check started: the proxy went there, not elsewhere
        at_backend = httpx.post(backend.url + "/auth/token", data={"username": email, "password": PASSWORD},
                                timeout=30)
        assert at_backend.status_code == 200, (
            "The proxy forwarded the sign-up to a different server than the backend the check started at "
            f"{backend.url} (named in BACKEND_URL): that backend does not know the account. The proxy's "
            "target should come from process.env.BACKEND_URL in frontend/vite.config.ts."
        )
        token = signed_in.json()["access_token"]
        created = page.post("/api/tasks", json={"title": "Through the proxy"},
                            headers={"Authorization": f"Bearer {token}"})
        assert created.status_code == 201, (
            "POST /api/tasks through the proxy, with a token and a JSON body, should create the task (201); "
            f"Vite answered {show(created)}. The proxy must pass the method, the headers and the body on."
        )
        listed = page.get("/api/tasks", headers={"Authorization": f"Bearer {token}"})
        assert [task["title"] for task in listed.json()] == ["Through the proxy"], (
            f"GET /api/tasks through the proxy should list the task just created; Vite answered {show(listed)}."
        )


@pytest.mark.timeout(300)
def test_proxy_forwards_only_api(dev_server, backend):
    with httpx.Client(base_url=dev_server.url, timeout=30) as page:
        health = page.get("/api/health")
        assert health.status_code == 200 and not is_page(health), (
            "Vite should forward /api/... to the backend, and nothing else; this check looks at the "
            "\"nothing else\" once /api works, and GET /api/health does not reach the backend yet. "
            + why_not_forwarded(health, "/api/health", backend.url)
        )
        home = page.get("/")
        assert is_page(home) and 'id="app"' in home.text, (
            "GET / on the Vite dev server should answer the page itself (frontend/index.html, with its "
            f"<div id=\"app\">); it answered {show(home)}. Only paths under /api should go to the backend: "
            "look at the keys of server.proxy in frontend/vite.config.ts."
        )
        module = page.get("/src/main.ts")
        assert module.status_code == 200 and "javascript" in module.headers.get("content-type", ""), (
            "GET /src/main.ts should be Vite's: the page's own code, compiled for the browser. It answered "
            f"{show(module)}: it went to the backend. Only paths under /api should be forwarded: look at the "
            "keys of server.proxy in frontend/vite.config.ts."
        )
        for path in ("/health", "/tasks", "/docs"):
            answer = page.get(path)
            assert is_page(answer), (
                f"GET {path} on the Vite dev server should stay Vite's (it answers the page, index.html, for "
                f"paths it does not know, so a view at {path} can come later); it answered {show(answer)} "
                "from the backend. Only paths under /api should be forwarded: look at the keys of "
                "server.proxy in frontend/vite.config.ts."
            )


@pytest.fixture(scope="module")
def hub_dev_server(proxy_stack, node):
    """A second Vite dev server on the same backend, the page at HUB_BASE (VITE_DEV_BASE)."""
    with start_dev_server(proxy_stack[0].url, node, base=HUB_BASE) as vite:
        yield vite


@pytest.mark.timeout(300)
def test_proxy_follows_the_page_base(hub_dev_server, backend):
    path = f"{HUB_BASE}api/health"
    with httpx.Client(base_url=hub_dev_server.url, timeout=30) as page:
        health = page.get(path)
        direct = httpx.get(backend.url + "/health", timeout=30)
        forwarded = health.status_code == 200 and not is_page(health) and health.json() == direct.json()
        if not forwarded:
            if is_page(health):
                why = ("Vite answered with its own HTML page, so nothing forwarded it: Vite compares the keys "
                       "of server.proxy with the whole path, prefix included, before it takes the prefix off")
            elif health.status_code == 404 and "error" in health.text:
                why = (f"the backend got the request and answered {show(health)}: the proxy forwarded the "
                       "path with part of its prefix still on it")
            else:
                why = f"Vite answered {show(health)}"
            raise AssertionError(
                f"On a JupyterHub the page lives under a prefix ({HUB_BASE} here: VITE_DEV_BASE, which the "
                f"course sets in the hub's terminals), so it calls the API at {path}. Vite should forward "
                f"that to the backend's GET /health ({show(direct)}); {why}. Look at how server.proxy in "
                "frontend/vite.config.ts uses `api`, the prefix vite.config.ts builds from `base`."
            )
        module = page.get(f"{HUB_BASE}src/main.ts")
        assert module.status_code == 200 and "javascript" in module.headers.get("content-type", ""), (
            f"Under a hub's prefix the page's own code ({HUB_BASE}src/main.ts) should stay Vite's; it answered "
            f"{show(module)}. Only the paths under `api` should be forwarded: look at the keys of server.proxy "
            "in frontend/vite.config.ts."
        )


def page_text(tab) -> str:
    """What the page shows now, as text ('' when there is nothing to read)."""
    try:
        return tab.locator("body").inner_text(timeout=2000).strip()
    except Exception:  # noqa: BLE001 - Playwright's TimeoutError or Error
        return ""


@pytest.mark.timeout(300)
def test_page_works_in_a_browser(dev_server, backend, browser):
    """The page as a person uses it: Chromium on the Vite dev server, signing in and adding a task."""
    email = f"browser-{secrets.token_hex(4)}@example.com"
    httpx.post(backend.url + "/auth/register", json={"email": email, "password": PASSWORD}, timeout=30)
    context = browser.new_context(base_url=dev_server.url)
    if dev_server.reused:  # kept from an earlier run: the page must not hear about saves before this one
        deaf_to_dev_server(context)
    # generous: a dev server's first page transforms every module, slow on a busy machine
    context.set_default_timeout(patient(20_000))
    context.set_default_navigation_timeout(patient(45_000))
    crashed: list[str] = []  # what the page's own scripts threw
    try:
        tab = context.new_page()
        tab.on("pageerror", lambda error: crashed.append(str(error).splitlines()[0]))
        step = "open the page"
        try:
            tab.goto("/", wait_until="domcontentloaded")
            step = "fill in the sign-in form"
            tab.get_by_label("Email").fill(email)
            tab.get_by_label("Password").fill(PASSWORD)
            step = "load the task list once signed in"
            with tab.expect_response(list_loaded):  # see the list first, as a person would
                tab.get_by_role("button", name="Sign in").click()
            step = "add a task in the form once signed in"
            tab.get_by_label("New task").fill("Added in a browser")
            tab.get_by_role("button", name="Add").click()
            step = "show the new task in the list"
            tab.locator('[data-test="task"]', has_text="Added in a browser").wait_for()
        except Exception:  # noqa: BLE001 - Playwright's TimeoutError or Error: the message below says what was there
            threw = f" The page's scripts threw: {'; '.join(crashed[:3])}." if crashed else ""
            shown = page_text(tab)
            raise AssertionError(
                f"In a real browser (headless Chromium on your Vite dev server, the backend behind its proxy) "
                f"the page should show the sign-in form, sign in, and list a task added in its form; it could not "
                f"{step}.{threw} The page showed: {shown[:300]!r}. Open it yourself (`npm run dev` in frontend/, "
                "the backend with uvicorn) and read the browser's console; frontend/src/main.ts is where the app "
                "and what every component needs are set up."
            ) from None
    finally:
        context.close()
