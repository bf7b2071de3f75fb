"""The board's server: a small FastAPI app built the way the course teaches.

Settings from the environment (settings.py), the error envelope (errors.py), JSON logs
with one access line per request (logs.py), /health and /ready, rate limits
(ratelimit.py), SQLAlchemy 2 async (db.py). Learners join with a code and report with
their token; the instructor signs in with the board's secret and reads everything,
live through server-sent events.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

import structlog
from fastapi import APIRouter, Depends, FastAPI, Request, Response, status
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shiplings.board import hub, security, summary
from shiplings.board.db import JoinCode, Learner, Removal, create_tables, make_engine, make_sessionmaker
from shiplings.board.errors import BoardError, error_response, register_error_handlers
from shiplings.board.logs import AccessLog
from shiplings.board.ratelimit import Limiter
from shiplings.board.schemas import CodeIn, JoinIn, ReportsIn, SessionIn
from shiplings.board.settings import BoardSettings

PAGE = Path(__file__).parent / "ui"
SESSION_COOKIE = "board_session"
MAX_BODY_BYTES = 64 * 1024  # a batch of 50 full reports is about 40 KB
READY_TIMEOUT_SECONDS = 2.0
KEEP_ALIVE_SECONDS = 15.0

log = structlog.get_logger("shiplings.board")


class Changes:
    """Tells the live pages that a report arrived (one process: an asyncio.Event is enough)."""

    def __init__(self) -> None:
        self.version = 0
        self.event = asyncio.Event()

    def notify(self) -> None:
        self.version += 1
        self.event.set()
        self.event = asyncio.Event()

    async def wait(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self.event.wait(), seconds)
        except TimeoutError:
            return False
        return True


class Writer:
    """The one task that writes reports: what arrived while it wrote the last group goes in the next.

    A write costs the same four statements for one report or fifty, so under load the board
    writes bigger groups instead of queueing more transactions. A request waits for its
    group's commit; a request whose client gave up is written all the same (its reports
    carry idempotency keys, so when the outbox sends them again they count once).
    """

    GROUP = 40  # requests per transaction (up to 50 reports each: within SQLite's 32,766 parameters)

    def __init__(self, state) -> None:
        self.state = state
        self.queue: asyncio.Queue = asyncio.Queue()

    async def submit(self, learner: Learner, reports: list, received_at: float) -> int:
        done = asyncio.get_running_loop().create_future()
        self.queue.put_nowait((learner, reports, received_at, done))
        return await done

    async def run(self) -> None:
        while True:
            group = [await self.queue.get()]
            while not self.queue.empty() and len(group) < self.GROUP:
                group.append(self.queue.get_nowait())
            try:
                async with self.state.writing, self.state.sessions() as session:
                    try:
                        counts = await summary.apply_group(session, self.state.room,
                                                           [item[:3] for item in group])
                        await session.commit()
                    except Exception:
                        # the room went ahead of the database: back to what the database holds
                        await session.rollback()
                        fresh = summary.Room()
                        await fresh.load(session)
                        self.state.room = fresh
                        raise
            except Exception as error:
                log.error("reports not stored", error=type(error).__name__, requests=len(group))
                for *_, done in group:
                    if not done.done():
                        done.set_exception(error)
                continue
            for (*_, done), count in zip(group, counts, strict=True):
                if not done.done():
                    done.set_result(count)
            if any(counts):
                self.state.changes.notify()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: BoardSettings = app.state.settings
    settings.folder.mkdir(parents=True, exist_ok=True)
    keys = security.InstructorKeys(settings.folder).load()
    if keys is None:
        raise RuntimeError("The board has no instructor secret yet: start it with `shiplings board serve`.")
    app.state.keys = keys
    engine = make_engine(settings.database)
    await create_tables(engine)
    app.state.engine = engine
    app.state.sessions = make_sessionmaker(engine)
    app.state.changes = Changes()
    app.state.room = summary.Room()
    # one writer at a time: SQLite would otherwise make concurrent transactions wait for its
    # lock in sleeps of up to 100 ms, and the room in memory changes in the order the database does
    app.state.writing = asyncio.Lock()
    writer = Writer(app.state)
    app.state.writer = writer
    writing = asyncio.create_task(writer.run())
    async with app.state.sessions() as session:
        await app.state.room.load(session)
    try:
        yield
    finally:
        writing.cancel()
        await engine.dispose()


def create_app(settings: BoardSettings | None = None, lessons: list[summary.LessonInfo] | None = None,
               hub_auth=None) -> FastAPI:
    """The board; hub_auth (JupyterHub's HubOAuth) makes it a hub service, and so does running as one."""
    settings = settings or BoardSettings()
    app = FastAPI(title="shiplings class board", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.hub = hub_auth if hub_auth is not None else (hub.make_auth() if hub.under_hub() else None)
    if app.state.hub is not None:
        # FastAPI sets the ASGI root_path, and routing matches the rest of the path after it
        app.root_path = hub.service_prefix()
    app.state.lessons = lessons if lessons is not None else summary.course_lessons()
    app.state.limiter = Limiter()
    app.include_router(router)
    register_error_handlers(app)
    app.add_middleware(BodyLimit)
    app.add_middleware(AccessLog)
    return app


class BodyLimit:
    """Refuse a body over MAX_BODY_BYTES before reading it, in the envelope (pure ASGI).

    A declared Content-Length over the limit is answered at once; a body sent without one
    is counted as it arrives, and refused when it passes the limit.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > MAX_BODY_BYTES:
            await too_large()(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > MAX_BODY_BYTES:
                raise BoardError(status.HTTP_413_CONTENT_TOO_LARGE, TOO_LARGE)
            return message

        await self.app(scope, counted, send)


TOO_LARGE = "The request is larger than the board accepts (64 KB): send fewer reports at once."


def too_large() -> JSONResponse:
    return error_response(status.HTTP_413_CONTENT_TOO_LARGE, TOO_LARGE)


router = APIRouter()


# --- who is asking ----------------------------------------------------------------------

async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessions() as session:
        yield session


Session = Annotated[AsyncSession, Depends(get_session)]


def bearer(request: Request) -> str | None:
    """The token of `Authorization: Bearer ...` (or `token ...`, as JupyterHub's clients send theirs)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() in ("bearer", "token") else None


def unauthorized(message: str) -> BoardError:
    return BoardError(status.HTTP_401_UNAUTHORIZED, message, headers={"WWW-Authenticate": "Bearer"})


def find_learner(request: Request, token: str | None) -> Learner | None:
    return request.app.state.room.by_token.get(security.token_digest(token)) if token else None


REMOVED = ("The instructor removed you from this board: your results are no longer sent to it. "
           "If that was a mistake, ask them for a join code and run `shiplings join` again; "
           "`shiplings join --leave` stops reporting.")


def refuse_if_removed(request: Request, token: str | None) -> None:
    if token and security.token_digest(token) in request.app.state.room.removed_tokens:
        raise BoardError(status.HTTP_410_GONE, REMOVED)


async def current_learner(request: Request) -> Learner:
    learner = find_learner(request, bearer(request))
    if learner is None:
        refuse_if_removed(request, bearer(request))
        learner = await hub_learner(request, bearer(request))
    if learner is None:
        raise unauthorized("This needs a learner's token: run `shiplings join URL CODE --name NAME` first.")
    return learner


async def is_instructor(request: Request) -> bool:
    token = bearer(request) or request.cookies.get(SESSION_COOKIE)
    return bool(token) and security.is_instructor_token(request.app.state.keys, token)


async def instructor(request: Request) -> None:
    if await is_instructor(request):
        return
    if find_learner(request, bearer(request)) is not None:
        raise BoardError(status.HTTP_403_FORBIDDEN, "A learner's token cannot read the board: it shows one row only.")
    if request.app.state.hub is not None:  # the page follows the header to the hub's sign-in
        raise BoardError(status.HTTP_401_UNAUTHORIZED, "Sign in through the hub as an instructor of the board.",
                         headers={"WWW-Authenticate": "Bearer", "X-Board-Sign-In": "api/instructor/hub-login"})
    raise unauthorized("Sign in as the instructor with the board's secret (printed when the board first started).")


async def hub_user(request: Request, token: str) -> dict | None:
    """The hub's user model for a token (HubAuth caches it for minutes), or None when the hub does not know it."""
    from tornado.web import HTTPError

    try:
        return await request.app.state.hub.user_for_token(token, sync=False)
    except HTTPError:
        log.warning("the hub did not answer")
        raise BoardError(status.HTTP_503_SERVICE_UNAVAILABLE,
                         "The board could not ask the hub who you are; your report stays queued and goes later."
                         ) from None


async def hub_learner(request: Request, token: str | None) -> Learner | None:
    """A learner known by their hub token: their row is made the first time the hub vouches for them."""
    auth = request.app.state.hub
    if auth is None or not token:
        return None
    model = await hub_user(request, token)
    if model is None or model.get("kind", "user") != "user":
        return None
    if not auth.check_scopes(auth.access_scopes, model):
        raise BoardError(status.HTTP_403_FORBIDDEN, hub.access_fix(auth))
    key = hub.learner_key(model["name"])
    state = request.app.state
    if key in state.room.removed_tokens:
        raise BoardError(status.HTTP_410_GONE, REMOVED)
    if key in state.room.by_token:
        return state.room.by_token[key]
    async with state.writing, state.sessions() as session:
        if key not in state.room.by_token:  # two first reports at once make one row
            learner = Learner(name=model["name"][:60], token_hash=key, joined_at=time.time(), doctor_failing=[],
                              reports=0)
            session.add(learner)
            await session.commit()
            state.room.add(learner)
            log.info("hub learner joined", learner_id=learner.id)
            state.changes.notify()
    return state.room.by_token[key]


CurrentLearner = Annotated[Learner, Depends(current_learner)]
Instructor = Depends(instructor)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# --- health -----------------------------------------------------------------------------

@router.get("/health")
async def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/ready")
async def ready(request: Request) -> dict[str, str]:
    """Readiness: the database answers within READY_TIMEOUT_SECONDS."""
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS):
            async with request.app.state.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    except Exception as error:
        log.warning("database not ready", error=type(error).__name__)
        raise BoardError(status.HTTP_503_SERVICE_UNAVAILABLE, "Not ready: the database does not answer.") from None
    return {"status": "ready"}


# --- learners ---------------------------------------------------------------------------

@router.post("/api/join", status_code=status.HTTP_201_CREATED)
async def join(body: JoinIn, request: Request, session: Session) -> dict:
    """Exchange a join code (and a display name) for a learner token."""
    settings: BoardSettings = request.app.state.settings
    request.app.state.limiter.spend(settings.join_rate_limit, "join", client_address(request))
    # all of it under the write lock: a connection taken before waiting for the lock would be
    # kept from the writer that holds it (a pool of 15 and a room of 200 joining at once)
    async with request.app.state.writing:
        now = time.time()
        code = await session.get(JoinCode, security.normal_code(body.code))
        if code is None:
            raise BoardError(status.HTTP_404_NOT_FOUND, "This join code is not known: check it with your instructor.")
        if code.expires_at <= now:
            raise BoardError(status.HTTP_410_GONE, "This join code has expired: ask your instructor for a new one.")
        token = security.new_learner_token()
        learner = Learner(name=body.name.strip(), token_hash=security.token_digest(token), joined_at=now,
                          doctor_failing=[], reports=0)
        session.add(learner)
        await session.commit()
        request.app.state.room.add(learner)
    log.info("learner joined", learner_id=learner.id)
    request.app.state.changes.notify()
    return {"token": token, "learner_id": learner.id, "name": learner.name}


@router.post("/api/join/hub")
async def join_through_hub(request: Request, learner: CurrentLearner) -> dict:
    """On a hub: the learner's hub token is their membership (no code); says who the hub says they are."""
    if request.app.state.hub is None:
        raise BoardError(status.HTTP_404_NOT_FOUND, "This board does not run on a hub: join it with a join code.")
    return {"token": None, "learner_id": learner.id, "name": learner.name}


@router.post("/api/reports")
async def reports(body: ReportsIn, request: Request, learner: CurrentLearner) -> dict:
    """Store a batch of reports; a key the board has seen already is acknowledged, not counted again."""
    settings: BoardSettings = request.app.state.settings
    request.app.state.limiter.spend(settings.report_rate_limit, "reports", str(learner.id))
    received_at = time.time()
    stored = await request.app.state.writer.submit(learner, body.reports, received_at)
    return {"stored": stored, "duplicates": len(body.reports) - stored,
            "keys": [report.key for report in body.reports]}


def row_of(request: Request, learner: Learner) -> dict:
    lessons = {each.id: each for each in request.app.state.lessons}
    states = request.app.state.room.states_of(learner.id)
    return summary.learner_row(learner, states, lessons, request.app.state.settings.stuck_failures, time.time())


@router.get("/api/me")
async def me(request: Request, learner: CurrentLearner) -> dict:
    """A learner's own row: what the board shows about them, and nothing about anybody else."""
    return row_of(request, learner)


@router.get("/api/learners/{learner_id}")
async def learner_by_id(learner_id: int, request: Request) -> dict:
    """One row: for the instructor, or for the learner it belongs to."""
    if not await is_instructor(request):
        asking = find_learner(request, bearer(request))
        if asking is None:
            refuse_if_removed(request, bearer(request))
            raise unauthorized("Sign in as the instructor, or send your own learner token.")
        if asking.id != learner_id:
            raise BoardError(status.HTTP_403_FORBIDDEN, "A learner can read their own row only.")
    learner = request.app.state.room.learners.get(learner_id)
    if learner is None:
        raise BoardError(status.HTTP_404_NOT_FOUND, f"No learner {learner_id} on this board.")
    return row_of(request, learner)


# --- the instructor ---------------------------------------------------------------------

@router.post("/api/instructor/session")
async def sign_in(body: SessionIn, request: Request, response: Response) -> dict:
    """The board's secret for an instructor token (also set as an HttpOnly cookie for the page)."""
    settings: BoardSettings = request.app.state.settings
    request.app.state.limiter.spend(settings.signin_rate_limit, "sign-in", client_address(request))
    keys = request.app.state.keys
    # argon2 takes tens of milliseconds: off the event loop, so reports keep flowing meanwhile
    if not await asyncio.to_thread(security.secret_matches, keys, body.secret):
        log.warning("instructor sign-in refused")
        raise unauthorized("That is not the board's instructor secret.")
    token = security.instructor_token(keys, settings.session_hours)
    set_session_cookie(request, response, token)
    return {"token": token, "expires_in": int(settings.session_hours * 3600)}


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    hours = request.app.state.settings.session_hours
    # under the hub's proxy the board lives at /services/<name>/: root_path says so
    response.set_cookie(SESSION_COOKIE, token, max_age=int(hours * 3600), httponly=True, samesite="strict",
                        path=f"{request.scope.get('root_path', '')}/api")


OAUTH_STATE_COOKIE = "board_oauth_state"


@router.get("/api/instructor/hub-login", include_in_schema=False)
async def hub_login(request: Request) -> RedirectResponse:
    """On a hub: send the instructor to the hub's OAuth page (PKCE, state kept in a cookie)."""
    auth = request.app.state.hub
    if auth is None:
        raise BoardError(status.HTTP_404_NOT_FOUND, "This board does not run on a hub: sign in with its secret.")
    verifier, challenge, method = auth.generate_pkce_code_challenge()
    root = request.scope.get("root_path", "")
    state = auth.generate_state(next_url=f"{root}/", code_verifier=verifier)
    query = urlencode({"state": state, "code_challenge": challenge, "code_challenge_method": method})
    url = f"{auth.login_url}&{query}"
    response = RedirectResponse(url, status_code=status.HTTP_302_FOUND)
    # Lax, not Strict: the hub sends the browser back here from its own page
    response.set_cookie(OAUTH_STATE_COOKIE, state, max_age=auth.oauth_state_max_age, httponly=True, samesite="lax",
                        path=f"{root}/")
    return response


@router.get("/oauth_callback", include_in_schema=False)
async def hub_oauth_callback(request: Request, code: str = "", state: str = "") -> RedirectResponse:
    """The hub's answer: a code for a token whose scopes say whether this user may run the board."""
    auth = request.app.state.hub
    if auth is None:
        raise BoardError(status.HTTP_404_NOT_FOUND, "This board does not run on a hub.")
    if not code or not state or state != request.cookies.get(OAUTH_STATE_COOKIE):
        raise BoardError(status.HTTP_403_FORBIDDEN, "The sign-in through the hub did not match: start it again.")
    verifier = auth.get_code_verifier(state)
    next_url = auth.get_next_url(state) or f"{request.scope.get('root_path', '')}/"
    auth.clear_oauth_state(state)
    from tornado.web import HTTPError

    try:
        token = await auth.token_for_code(code, code_verifier=verifier, sync=False)
    except HTTPError:
        raise BoardError(status.HTTP_403_FORBIDDEN, "The hub refused the sign-in: start it again.") from None
    model = await hub_user(request, token)
    if model is None:
        raise BoardError(status.HTTP_403_FORBIDDEN, "The hub did not say who you are: start the sign-in again.")
    if not auth.check_scopes({hub.INSTRUCT_SCOPE}, model):
        log.warning("hub user may not instruct")
        raise BoardError(status.HTTP_403_FORBIDDEN, hub.instruct_fix(model["name"]))
    log.info("instructor signed in through the hub")
    session = security.instructor_token(request.app.state.keys, request.app.state.settings.session_hours,
                                        hub_user=model["name"])
    response = RedirectResponse(next_url, status_code=status.HTTP_302_FOUND)
    set_session_cookie(request, response, session)
    response.delete_cookie(OAUTH_STATE_COOKIE, path=f"{request.scope.get('root_path', '')}/")
    return response


@router.post("/api/codes", dependencies=[Instructor], status_code=status.HTTP_201_CREATED)
async def new_code(body: CodeIn, session: Session) -> dict:
    return await create_code(session, body.hours)


async def create_code(session: AsyncSession, hours: float) -> dict:
    now = time.time()
    code = JoinCode(code=security.new_join_code(), created_at=now, expires_at=now + hours * 3600)
    session.add(code)
    await session.commit()
    return {"code": code.code, "expires_at": code.expires_at}


@router.delete("/api/learners/{learner_id}", dependencies=[Instructor])
async def remove_learner(learner_id: int, request: Request, session: Session) -> dict:
    """Take a learner off the board (a duplicate join, someone who left): their token is refused from now on.

    Their stored reports stay in the database; the board, the stuck list and the timing
    export stop counting them. They can join again only with a join code.
    """
    state = request.app.state
    async with state.writing:  # after the reports already waiting for the writer, before any later one
        learner = state.room.learners.get(learner_id)
        if learner is None:
            raise BoardError(status.HTTP_404_NOT_FOUND, f"No learner {learner_id} on this board.")
        session.add(Removal(learner_id=learner_id, removed_at=time.time()))
        await session.commit()
        state.room.remove(learner_id)
    log.info("learner removed", learner_id=learner_id)
    state.changes.notify()
    return {"removed": learner_id, "name": learner.name}


@router.get("/api/board", dependencies=[Instructor])
async def whole_board(request: Request) -> dict:
    return drawn_board(request.app.state)


def drawn_board(state) -> dict:
    return summary.board(state.room, state.lessons, state.settings.stuck_failures)


@router.get("/api/events", dependencies=[Instructor], response_class=EventSourceResponse)
async def events(request: Request) -> AsyncIterator[ServerSentEvent]:
    """The whole board now, then again after reports arrive (at most once per update_seconds)."""
    state = request.app.state
    seen = -1
    while True:
        if state.changes.version != seen:
            seen = state.changes.version
            started = time.perf_counter()
            drawn = drawn_board(state)
            yield ServerSentEvent(data=drawn, event="board", id=str(seen))
            # drawing a room of 200 takes tens of milliseconds on the event loop that takes the
            # reports: draw at most a tenth of the time, however fast reports come in
            await asyncio.sleep(max(state.settings.update_seconds, 10 * (time.perf_counter() - started)))
        elif not await state.changes.wait(KEEP_ALIVE_SECONDS):
            yield ServerSentEvent(comment="still here")


@router.get("/api/export.json", dependencies=[Instructor])
async def export_json(request: Request) -> JSONResponse:
    """After the workshop: planned vs actual minutes per lesson, and each learner's lessons."""
    drawn = drawn_board(request.app.state)
    body = {"exported_at": drawn["now"], "timing": drawn["timing"],
            "learners": [{"name": row["name"], "lessons": row["lessons"]} for row in drawn["learners"]]}
    return JSONResponse(body, headers={"Content-Disposition": 'attachment; filename="board-timing.json"'})


@router.get("/api/export.csv", dependencies=[Instructor])
async def export_csv(request: Request) -> PlainTextResponse:
    drawn = drawn_board(request.app.state)
    return PlainTextResponse(summary.timing_csv(drawn["timing"]), media_type="text/csv",
                             headers={"Content-Disposition": 'attachment; filename="board-timing.csv"'})


# --- the page ---------------------------------------------------------------------------

def vue_file(settings: BoardSettings) -> Path:
    return settings.folder / "ui" / "node_modules" / "vue" / "dist" / "vue.esm-browser.prod.js"


@router.get("/", include_in_schema=False)
async def page() -> FileResponse:
    return FileResponse(PAGE / "index.html", headers={"Cache-Control": "no-cache"})


@router.get("/ui/{name}", include_in_schema=False)
async def page_file(name: str) -> FileResponse:
    if name not in ("board.js", "board.css"):
        raise BoardError(status.HTTP_404_NOT_FOUND, f"No page file {name}.")
    return FileResponse(PAGE / name, headers={"Cache-Control": "no-cache"})


@router.get("/vendor/vue.js", include_in_schema=False)
async def vue(request: Request) -> FileResponse:
    path = vue_file(request.app.state.settings)
    if not path.is_file():
        raise BoardError(status.HTTP_503_SERVICE_UNAVAILABLE,
                         "Vue is not installed for the board page: restart `shiplings board serve` with Node and npm.")
    return FileResponse(path, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})
