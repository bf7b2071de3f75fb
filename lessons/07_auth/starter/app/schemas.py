"""The shapes of the API's data: what clients send and what they get back."""

import datetime

from pydantic import BaseModel, Field, field_validator


class TaskIn(BaseModel):
    """What a client sends to create or replace a task."""

    title: str = Field(min_length=1, max_length=200)
    done: bool = False


class Task(TaskIn):
    """A task as the API returns it."""

    id: int


class Holiday(BaseModel):
    """A public holiday, as GET /holidays/{year} returns it."""

    date: datetime.date
    name: str  # in English: "New Year's Day"
    local_name: str  # in the country's language: "Neujahr"


class UserCreate(BaseModel):
    """What a client sends to sign up."""

    # a light sanity check, not a proof the address exists (only an email sent to it is)
    email: str = Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    # at least 8 characters (NIST SP 800-63B); at most 128, so nobody makes the server
    # hash a megabyte. Any character is welcome: spaces, emoji, a whole sentence.
    password: str = Field(min_length=8, max_length=128)

    @field_validator("email", mode="before")
    @classmethod
    def _normalize(cls, email: object) -> object:
        """One account per address, however it is typed: " Ada@Example.COM" is ada@example.com."""
        return email.strip().lower() if isinstance(email, str) else email


class UserOut(BaseModel):
    """A user as the API returns it: never the password hash."""

    id: int
    email: str


class Token(BaseModel):
    """The answer of POST /auth/token, in the shape OAuth2 clients (and /docs) expect."""

    access_token: str
    token_type: str = "bearer"
