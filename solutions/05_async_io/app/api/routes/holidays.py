"""GET /holidays/{year}?country=DE: public holidays, asked of a service on the internet.

The route awaits the upstream (Nager.Date, TASKS_HOLIDAYS_API_URL) through the app's one
httpx.AsyncClient (HttpClientDep; the lifespan in app/main.py opens and closes it). While
one request waits for the answer, the event loop serves every other request: nothing here
may block it (no time.sleep, no requests.get, no sync httpx.get in an async def).

What the upstream does wrong becomes an error in our envelope, never a hang or a 500:
it is too slow (504 upstream_timeout, after TASKS_UPSTREAM_TIMEOUT_SECONDS), it cannot
be reached or answers with an error or something unreadable (502 upstream_error), or it
does not know the country (404 not_found).
"""

import datetime
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.api.deps import HttpClientDep
from app.core.errors import ErrorEnvelope, NotFoundError, UpstreamError, UpstreamTimeoutError
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
    http: HttpClientDep,
) -> list[Holiday]:
    """The public holidays of a country in a year, from the holidays service."""
    country = country.upper()
    try:
        response = await http.get(f"/PublicHolidays/{year}/{country}")
    except httpx.TimeoutException as exc:
        raise UpstreamTimeoutError("The holidays service did not answer in time. Try again later.") from exc
    except httpx.HTTPError as exc:  # refused, reset, DNS, a broken answer
        raise UpstreamError("The holidays service cannot be reached. Try again later.") from exc

    if response.status_code == status.HTTP_404_NOT_FOUND:
        raise NotFoundError(f"No public holidays are known for country {country}")
    if response.status_code == status.HTTP_204_NO_CONTENT:
        return []
    if response.status_code != status.HTTP_200_OK:
        raise UpstreamError(f"The holidays service failed (it answered {response.status_code}).")
    try:
        entries = [UpstreamHoliday.model_validate(item) for item in response.json()]
    except (ValueError, TypeError, ValidationError) as exc:  # not JSON, not a list, fields missing
        raise UpstreamError("The holidays service answered something we cannot read.") from exc
    return [Holiday(date=entry.date, name=entry.name, local_name=entry.local_name) for entry in entries]
