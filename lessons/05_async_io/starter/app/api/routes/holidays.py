"""GET /holidays/{year}?country=DE: public holidays, asked of a service on the internet.

The route asks the upstream (Nager.Date, TASKS_HOLIDAYS_API_URL) and passes its answer on.
It works, on a quiet laptop. Lesson 05 makes it production-worthy: it must never block
the event loop, it must use the app's one httpx.AsyncClient (HttpClientDep) instead of
a client of its own, and what the upstream does wrong must become an error in our
envelope: too slow (504 upstream_timeout), unreachable or failing (502 upstream_error),
an unknown country (404 not_found).
"""

import datetime
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Path, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field

from app.core.errors import ErrorEnvelope
from app.schemas import Holiday

ERRORS: dict[int | str, dict[str, Any]] = {
    status.HTTP_404_NOT_FOUND: {"model": ErrorEnvelope, "description": "The country is unknown"},
    status.HTTP_422_UNPROCESSABLE_CONTENT: {"model": ErrorEnvelope, "description": "Invalid year or country"},
    status.HTTP_502_BAD_GATEWAY: {"model": ErrorEnvelope, "description": "The holidays service failed"},
    status.HTTP_504_GATEWAY_TIMEOUT: {"model": ErrorEnvelope, "description": "The holidays service was too slow"},
}

router = APIRouter(prefix="/holidays", tags=["holidays"], responses=ERRORS)


class UpstreamHoliday(BaseModel):
    """One entry of Nager.Date's answer; only the fields we pass on, the rest is ignored."""

    model_config = ConfigDict(extra="ignore")

    date: datetime.date
    name: str
    local_name: str = Field(alias="localName")


@router.get("/{year}")
async def list_holidays(
    year: Annotated[int, Path(ge=1900, le=2100, description="The calendar year")],
    country: Annotated[str, Query(pattern="^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2 code: DE, FR, US")],
    request: Request,
) -> list[Holiday]:
    """The public holidays of a country in a year, from the holidays service."""
    settings = request.app.state.settings
    country = country.upper()
    # TODO(05): this call blocks the event loop: while it waits for the holidays service,
    # the app serves nobody else. And it builds a new client (a new connection pool) for
    # every request. Take `http: HttpClientDep` (app/api/deps.py) instead of `request` and
    # await the app's one AsyncClient: `response = await http.get(f"/PublicHolidays/...")`
    # (the client's base_url and timeout come from settings: see the lifespan in app/main.py).
    response = httpx.get(
        f"{settings.holidays_api_url}/PublicHolidays/{year}/{country}",
        timeout=settings.upstream_timeout_seconds,
    )

    # TODO(05): turn what can go wrong into the app's errors (app/core/errors.py):
    # - the call raises httpx.TimeoutException: raise UpstreamTimeoutError (504);
    # - it raises any other httpx.HTTPError (refused, reset): raise UpstreamError (502);
    #   catch the timeout first: it is an httpx.HTTPError too;
    # - the service answers 404 (unknown country): raise NotFoundError;
    # - it answers anything else but 200: raise UpstreamError.
    # Keep `from exc` when you raise inside an except block.
    response.raise_for_status()
    entries = [UpstreamHoliday.model_validate(item) for item in response.json()]
    return [Holiday(date=entry.date, name=entry.name, local_name=entry.local_name) for entry in entries]
