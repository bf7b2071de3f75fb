"""The built page and the API from one server: production without a second origin.

`npm run build` (in frontend/) writes the page to frontend/dist: index.html, and under
assets/ the JavaScript and CSS, each named after a hash of its content
(index-Da8pEyXM.js). With TASKS_FRONTEND_DIST naming that folder, create_app() hands
the API to serve_frontend(), which builds the site around it:

- /api/... is the API, mounted there, so the page's calls (VITE_API_BASE, "/api") reach
  it on the page's own origin: no CORS, no proxy. The API sees where it is mounted in
  request.scope["root_path"] ("/api"), which is how the refresh cookie gets its path.
- /health, /ready and /metrics are the API's at the root too, where probes and Prometheus
  look.
- every other path is a file of dist, with the SPA fallback: a path that names no file
  and looks like no file (/login, /tasks/7: the router's views) answers index.html, and
  vue-router shows the view. A missing file (/assets/nope.js) stays a 404, in the API's
  error envelope: answering it with index.html would feed HTML to a <script> tag.
- cache headers made for hashed names, a Content-Security-Policy, and gzip.

As handed over, it is the naive version: StaticFiles(html=True) serves the files that
exist and nothing else. Run it (the notebook does) and watch /login answer 404.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

# Where the API lives on the site: what the page calls (VITE_API_BASE in frontend/src/api.ts).
API_PREFIX = "/api"

# TODO(14): Cache-Control for a hashed file under assets/ (its name changes whenever its
# content does: keep it a year, never ask again) and for everything else, index.html above
# all (it names the current assets: ask again on every visit, a cheap 304 while unchanged).
IMMUTABLE = ""
REVALIDATE = ""

# TODO(14): the Content-Security-Policy: what the page may load and run. Look at what
# `npm run build` writes to dist/index.html first: does the page need any inline script?
CONTENT_SECURITY_POLICY = ""
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def is_client_route(path: str) -> bool:
    """A path the page's router may own: not under assets/, and no file extension."""
    # TODO(14): True for /login and tasks/7 (paths arrive without their leading slash),
    # False for assets/index-Da8pEyXM.js, assets/nope.js and favicon.ico.
    return False


class SinglePageApp(StaticFiles):
    """dist/ as static files, with the SPA fallback, cache headers and security headers."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        # TODO(14): StaticFiles raises HTTPException(404) for a path that names no file.
        # For a client route, answer index.html instead (super().get_response("index.html", scope));
        # anything else stays the 404 it is.
        response = await super().get_response(path, scope)
        # TODO(14): Cache-Control (IMMUTABLE for assets/..., REVALIDATE for the rest, the
        # fallback's index.html included) and SECURITY_HEADERS on every response.
        return response


def serve_frontend(api: FastAPI, dist: Path) -> FastAPI:
    """The site: the API under /api, the built page at /, compressed."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # A mounted app's lifespan does not run by itself: the site runs the API's.
        async with api.router.lifespan_context(api):
            yield

    site = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    site.mount(API_PREFIX, api)
    # TODO(14): health probes and Prometheus ask at the root (/health, /ready, /metrics), as on
    # every deployment. Here the page's fallback would answer them with index.html and a 200.
    site.mount("/", SinglePageApp(directory=dist, html=True))
    # TODO(14): a missing file answers in the API's error envelope too (app/core/errors.py),
    # not in Starlette's {"detail": "Not Found"}.
    # TODO(14): compression: gzip for responses worth compressing (Starlette has a middleware).
    return site
