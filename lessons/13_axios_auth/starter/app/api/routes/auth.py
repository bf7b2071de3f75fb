"""Accounts: sign up, sign in (the OAuth2 password flow), and who am I.

    POST /auth/register  {"email", "password"}           -> 201 {"id", "email"}
    POST /auth/token     form: username=<email>, password -> 200 {"access_token", "token_type": "bearer"}
    GET  /users/me       Authorization: Bearer <token>    -> 200 {"id", "email"}

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

from fastapi import APIRouter, Depends, Form, status
from fastapi.concurrency import run_in_threadpool

from app import models
from app.api.deps import CurrentUserDep, SessionDep, SettingsDep
from app.core.errors import AppError, ErrorEnvelope
from app.core.ratelimit import login_limit
from app.core.security import create_access_token, dummy_hash, hash_password, verify_password
from app.repository import UserRepository
from app.schemas import SignInForm, Token, UserCreate, UserOut

router = APIRouter(tags=["auth"])

# TODO(13): the refresh cookie. A page that keeps the access token in memory loses it on a
# reload; the refresh token survives in a cookie no script can read. Sign-in sets it with
# response.set_cookie("refresh_token", <RefreshTokenRepository(session).issue(...)>,
# max_age=<settings.refresh_token_days in seconds>, path="/auth" (the auth routes only),
# httponly=True, samesite="strict", secure=<only when settings.environment == "production">).
#
# TODO(13): POST /auth/refresh reads the cookie (a `Cookie()` parameter), finds its row
# (RefreshTokenRepository in app/repository.py), and answers 401 in the error envelope
# (an AppError with status 401) when there is none, or it is revoked or expired. It spends
# the token (spend(); False: it was spent before, so somebody holds a copy: revoke its
# family and answer 401), then sets a new token of the same family in the cookie and
# answers a new access token, as sign-in does.
#
# TODO(13): POST /auth/logout revokes the cookie's family and answers 204 with
# response.delete_cookie(...) (same name, path and flags).


class InvalidCredentialsError(AppError):
    """Wrong email or password. One message for both: it must not tell which was wrong."""

    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid_credentials"


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
    form: Annotated[SignInForm, Form()], session: SessionDep, settings: SettingsDep
) -> Token:
    """Sign in with email (as `username`) and password; get a bearer token."""
    user = await authenticate(UserRepository(session), form.username, form.password)
    if user is None:
        raise InvalidCredentialsError("Incorrect email or password.")
    access_token = create_access_token(
        str(user.id), settings.secret_key.get_secret_value(), settings.access_token_minutes
    )
    return Token(access_token=access_token)


@router.get(
    "/users/me",
    tags=["users"],
    responses={401: {"model": ErrorEnvelope, "description": "Not signed in, or the token is not valid"}},
)
async def read_me(user: CurrentUserDep) -> UserOut:
    """The signed-in user."""
    return UserOut.model_validate(user, from_attributes=True)
