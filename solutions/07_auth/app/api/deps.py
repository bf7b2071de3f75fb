"""What routes can ask for, as Annotated aliases: `def route(store: TaskStoreDep)`.

A route declares what it needs and FastAPI calls the provider for every request. That
indirection is the seam tests use: `app.dependency_overrides[get_task_store] = ...`
hands the routes another store without touching them or any module global.

Providers can ask for other providers, and the chain decides who may do what:

    get_task_store -> get_current_user -> the bearer token (the Authorization header)
                                       -> get_session (this request's database session)

A route that asks for the task store therefore needs a signed-in user (401 otherwise),
and gets a store of that user's tasks only. No route has to remember either rule.
get_http_client() hands out the one HTTP client the app opened at start-up (lifespan in
app/main.py), shared by all requests.
"""

from typing import Annotated

import httpx
import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app import models
from app.core.config import Settings
from app.core.db import get_session
from app.core.security import decode_access_token
from app.repository import TaskRepository, UserRepository
from app.schemas import Id

SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def get_app_settings(request: Request) -> Settings:
    """The settings of the app serving this request (create_app() put them on app.state)."""
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]

# Reads "Authorization: Bearer <token>", and answers 401 with WWW-Authenticate: Bearer
# when there is none. tokenUrl is where the "Authorize" button of /docs signs in.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/auth/token")
TokenDep = Annotated[str, Depends(oauth2_scheme)]

# A token's subject names a user only as an id the database can hold: whoever signed the
# token wrote it, and anything else would fail the query instead of the token.
USER_ID = TypeAdapter(Id)


def not_authenticated(message: str) -> HTTPException:
    """A 401 that says how to authenticate (RFC 6750): with a bearer token, and this one is bad."""
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=message,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


async def get_current_user(token: TokenDep, session: SessionDep, settings: SettingsDep) -> models.User:
    """The user the bearer token was issued to, while both the token and the user are good."""
    try:
        subject = decode_access_token(token, settings.secret_key.get_secret_value())
        user_id = USER_ID.validate_python(subject)
    except jwt.ExpiredSignatureError:
        raise not_authenticated("Your session has expired: sign in again.") from None
    except (jwt.InvalidTokenError, ValidationError):
        raise not_authenticated("Could not validate your credentials.") from None
    # The signature proves that we issued the token, not that its user may still act: an
    # account deleted or deactivated since then must stop working now, not at `exp`.
    user = await UserRepository(session).get(user_id)
    if user is None or not user.is_active:
        raise not_authenticated("Could not validate your credentials.")
    return user


CurrentUserDep = Annotated[models.User, Depends(get_current_user)]


async def get_task_store(session: SessionDep, user: CurrentUserDep) -> TaskRepository:
    """The signed-in user's tasks, in the database, through this request's session."""
    return TaskRepository(session, owner_id=user.id)


TaskStoreDep = Annotated[TaskRepository, Depends(get_task_store)]


async def get_http_client(request: Request) -> httpx.AsyncClient:
    """The app's one HTTP client for the services it calls (opened by the lifespan).

    A test can give the routes a client with a fake transport instead:
    `app.dependency_overrides[get_http_client] = lambda: httpx.AsyncClient(transport=...)`.
    """
    return request.app.state.http_client


HttpClientDep = Annotated[httpx.AsyncClient, Depends(get_http_client)]
