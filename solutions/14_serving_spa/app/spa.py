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
- cache headers made for hashed names: a file under assets/ never changes (a new build
  gives it a new name), so browsers keep it a year without asking again (immutable);
  index.html names the current assets, so browsers ask again every time (no-cache: a
  cheap 304 while it is unchanged), or a deploy leaves them on an index.html that names
  assets which no longer exist.
- a Content-Security-Policy: the page runs only scripts from its own origin, never
  inline ones, so a script injected into the page (XSS) does not run.
- gzip for whatever is worth compressing (GZipMiddleware): the JavaScript bundle shrinks
  to about a third. Compressing on the fly costs CPU per request, which immutable assets
  mostly spare (a returning browser does not ask); nginx in front (frontend/nginx.conf)
  does the same job in C.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from app.core.errors import register_error_handlers

# Where the API lives on the site: what the page calls (VITE_API_BASE in frontend/src/api.ts).
API_PREFIX = "/api"

# Hashed names never change content: a year, and no revalidation even on a reload.
IMMUTABLE = "public, max-age=31536000, immutable"
# Everything else (index.html above all) may change with the next deploy: ask each time.
REVALIDATE = "no-cache"

# What the page may load and run. Vite's build has no inline script or style, so none is
# allowed: 'self' only. connect-src 'self' is the API on the same origin.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

# Where health probes and Prometheus look, at the root as on every other deployment: the API
# answers them here too. Left to the page's fallback they would get index.html and a 200, a
# health check that passes while the API is down, and HTML where metrics should be.
PROBES = ("/health", "/ready", "/metrics")

# Responses smaller than this are sent as they are: gzip's header and the CPU cost more than
# they save on a few hundred bytes.
GZIP_MINIMUM_SIZE = 1000


def is_client_route(path: str) -> bool:
    """A path the page's router may own: not under assets/, and no file extension."""
    name = path.rsplit("/", 1)[-1]
    return not path.startswith("assets/") and "." not in name


class SinglePageApp(StaticFiles):
    """dist/ as static files, with the SPA fallback, cache headers and security headers."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            response = await super().get_response(path, scope)
            served = path
        except HTTPException as error:
            if error.status_code != 404 or not is_client_route(path):
                raise  # a missing file: the envelope's 404 (register_error_handlers)
            response = await super().get_response("index.html", scope)
            served = "index.html"
        response.headers["Cache-Control"] = IMMUTABLE if served.startswith("assets/") else REVALIDATE
        response.headers.update(SECURITY_HEADERS)
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
    for path in PROBES:  # before the page: its fallback would answer them with index.html
        site.add_route(path, api)
    site.mount("/", SinglePageApp(directory=dist, html=True))
    register_error_handlers(site)  # a missing file answers in the envelope too
    site.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_SIZE)
    return site
