"""Accounts: sign up, sign in (the OAuth2 password flow), stay signed in, sign out, and who am I.

    POST /auth/register  {"email", "password"}           -> 201 {"id", "email"}
    POST /auth/token     form: username=<email>, password -> 200 {"access_token", "token_type": "bearer"}
                                                             + the refresh cookie
    POST /auth/refresh   the refresh cookie               -> 200 {"access_token", ...} + a new refresh cookie
    POST /auth/logout    the refresh cookie               -> 204, the cookie cleared
    GET  /users/me       Authorization: Bearer <token>    -> 200 {"id", "email"}

The access token is short-lived and the page keeps it in memory only: a script injected
into the page (XSS) can read localStorage and sessionStorage, and with them a token that
works from anywhere. What survives a reload is the refresh token, in a cookie the page's
scripts cannot read at all (HttpOnly), that the browser sends to the auth routes only
(Path) and never with a request another site starts (SameSite=Strict), and over HTTPS
only in production (Secure; development runs on http://localhost). Each refresh spends
the token it got and hands out a new one (rotation): a stolen refresh token works once
at most, and when a spent one comes back the whole session (its family) is revoked,
because then two parties hold it.

POST /auth/token takes a form, not JSON, because that is what OAuth2's password flow
(RFC 6749, section 4.3) specifies, and what /docs' "Authorize" button sends. A wrong
password answers 400 "invalid_credentials", as the RFC's invalid_grant does; 401 is for
requests whose token is missing or bad.

Each sign-in attempt is a guess at a password, so POST /auth/token has a rate limit of
its own (TASKS_LOGIN_RATE_LIMIT, app/core/ratelimit.py), checked before the password is.

Hashing a password takes tens of milliseconds of CPU on purpose. Done inside an async
route it would stop every other request for that long, so it runs in a worker thread
(argon2 releases the GIL while it works).
"""

from typing import Annotated

from fastapi import APIRouter, Cookie, Depends, Form, Request, Response, status
from fastapi.concurrency import run_in_threadpool

from app import models
from app.api.deps import CurrentUserDep, SessionDep, SettingsDep
from app.core.config import Settings
from app.core.errors import AppError, ErrorEnvelope
from app.core.ratelimit import login_limit
from app.core.security import create_access_token, dummy_hash, hash_password, verify_password
from app.repository import RefreshTokenRepository, UserRepository
from app.schemas import SignInForm, Token, UserCreate, UserOut

router = APIRouter(tags=["auth"])

REFRESH_COOKIE = "refresh_token"
# The browser sends the cookie to these routes only (/auth/refresh, /auth/logout), never
# with every API call. In development Vite's proxy maps it to /api/auth (vite.config.ts),
# behind nginx proxy_cookie_path does (frontend/nginx.conf); where the app itself serves
# the page, the API is mounted under /api and says so in root_path (cookie_path()).
REFRESH_COOKIE_PATH = "/auth"
# The cookie, as a route parameter: FastAPI reads it from the request's Cookie header.
RefreshCookie = Annotated[str | None, Cookie(alias=REFRESH_COOKIE)]


class InvalidCredentialsError(AppError):
    """Wrong email or password. One message for both: it must not tell which was wrong."""

    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid_credentials"


class SessionEndedError(AppError):
    """The refresh cookie is missing, unknown, spent, revoked or expired: sign in again."""

    status_code = status.HTTP_401_UNAUTHORIZED
    code = "session_ended"


def cookie_path(request: Request) -> str:
    """The auth routes' path as the browser sees it: /auth, or /api/auth where the API is mounted at /api."""
    # TODO(14): where the app serves the page itself (app/spa.py), the API is mounted under
    # /api and the browser sees /api/auth/refresh: a cookie with Path=/auth never goes there.
    # No proxy rewrites the path in that setup; the request knows where its app is mounted.
    return REFRESH_COOKIE_PATH


def set_refresh_cookie(response: Response, token: str, settings: Settings, request: Request) -> None:
    """Hand the browser the refresh token where scripts cannot read it."""
    response.set_cookie(
        REFRESH_COOKIE,
        token,
        max_age=settings.refresh_token_days * 24 * 60 * 60,
        path=cookie_path(request),
        httponly=True,  # document.cookie never shows it: an injected script cannot steal it
        samesite="strict",  # never sent with a request another site starts (no CSRF)
        secure=settings.environment == "production",  # HTTPS only where HTTPS exists
    )


def clear_refresh_cookie(response: Response, settings: Settings, request: Request) -> None:
    """Tell the browser to forget the cookie: same name, path and flags, expired."""
    response.delete_cookie(
        REFRESH_COOKIE, path=cookie_path(request), httponly=True, samesite="strict",
        secure=settings.environment == "production",
    )


async def authenticate(users: UserRepository, email: str, password: str) -> models.User | None:
    """The active user with this email and password, else None; always one hash's work."""
    user = await users.get_by_email(email.strip().lower())
    if user is None:
        # Nobody has this email. Verify anyway, against a hash nobody's password matches:
        # answering at once would tell an attacker, by the clock, that the email is free.
        await run_in_threadpool(verify_password, password, dummy_hash())
        return None
    valid, updated_hash = await run_in_threadpool(verify_password, password, user.hashed_password)
    if not valid or not user.is_active:
        return None
    if updated_hash:  # made with older, weaker parameters: store today's instead
        await users.set_password_hash(user, updated_hash)
    return user


@router.post(
    "/auth/register",
    status_code=status.HTTP_201_CREATED,
    responses={409: {"model": ErrorEnvelope, "description": "The email already has an account"}},
)
async def register(user_in: UserCreate, session: SessionDep) -> UserOut:
    """Create an account. The password is stored only as an argon2id hash."""
    hashed = await run_in_threadpool(hash_password, user_in.password)
    user = await UserRepository(session).add(user_in.email, hashed)
    return UserOut.model_validate(user, from_attributes=True)


@router.post(
    "/auth/token",
    dependencies=[Depends(login_limit)],
    responses={
        400: {"model": ErrorEnvelope, "description": "Wrong email or password"},
        429: {"model": ErrorEnvelope, "description": "Too many attempts from this address; see Retry-After"},
    },
)
async def token(
    form: Annotated[SignInForm, Form()], session: SessionDep, settings: SettingsDep, request: Request,
    response: Response,
) -> Token:
    """Sign in with email (as `username`) and password; get a bearer token, and the refresh cookie."""
    user = await authenticate(UserRepository(session), form.username, form.password)
    if user is None:
        raise InvalidCredentialsError("Incorrect email or password.")
    refresh_token = await RefreshTokenRepository(session).issue(user.id, settings.refresh_token_days)
    set_refresh_cookie(response, refresh_token, settings, request)
    return access_token_for(user, settings)


def access_token_for(user: models.User, settings: Settings) -> Token:
    access_token = create_access_token(
        str(user.id), settings.secret_key.get_secret_value(), settings.access_token_minutes
    )
    return Token(access_token=access_token)


@router.post(
    "/auth/refresh",
    responses={401: {"model": ErrorEnvelope, "description": "No session to refresh: sign in again"}},
)
async def refresh(
    session: SessionDep, settings: SettingsDep, request: Request, response: Response,
    refresh_token: RefreshCookie = None,
) -> Token:
    """A new access token for the refresh cookie, which is spent and replaced by a new one (rotation)."""
    tokens = RefreshTokenRepository(session)
    row = await tokens.find(refresh_token) if refresh_token else None
    if row is None or not tokens.alive(row):
        raise SessionEndedError("Your session has ended: sign in again.")
    if not await tokens.spend(row):
        # Spent already: the browser got its replacement, so whoever sends this one now holds
        # a copy. Nobody can tell which party is the thief, so the session ends for both.
        await tokens.revoke_family(row.family)
        raise SessionEndedError("Your session was ended because its refresh token was used twice: sign in again.")
    user = await UserRepository(session).get(row.user_id)
    if user is None or not user.is_active:
        raise SessionEndedError("Your session has ended: sign in again.")
    next_token = await tokens.issue(user.id, settings.refresh_token_days, row.family)
    set_refresh_cookie(response, next_token, settings, request)
    return access_token_for(user, settings)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(
    session: SessionDep, settings: SettingsDep, request: Request, refresh_token: RefreshCookie = None
) -> Response:
    """Sign out: the session's refresh tokens stop working and the browser forgets the cookie."""
    tokens = RefreshTokenRepository(session)
    row = await tokens.find(refresh_token) if refresh_token else None
    if row is not None:
        await tokens.revoke_family(row.family)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_refresh_cookie(response, settings, request)
    return response


@router.get(
    "/users/me",
    tags=["users"],
    responses={401: {"model": ErrorEnvelope, "description": "Not signed in, or the token is not valid"}},
)
async def read_me(user: CurrentUserDep) -> UserOut:
    """The signed-in user."""
    return UserOut.model_validate(user, from_attributes=True)
