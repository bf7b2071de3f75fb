"""The shapes of the API's data: what clients send and what they get back."""

import datetime
from typing import Annotated

from pydantic import BaseModel, Field, field_validator

# Ids live in the database's INTEGER columns, which hold at most 2**31 - 1 on PostgreSQL:
# a larger id cannot exist, and a query that carries one fails in the driver.
MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# Text without the NUL character: PostgreSQL cannot store one and refuses the statement.
NO_NUL = r"^[^\x00]*$"
# An email, roughly: something@something.something, without spaces or NUL.
EMAIL = r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$"


class TaskIn(BaseModel):
    """What a client sends to create or replace a task."""

    title: str = Field(min_length=1, max_length=200, pattern=NO_NUL)
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
    email: str = Field(max_length=254, pattern=EMAIL)
    # at least 8 characters (NIST SP 800-63B); at most 128, so nobody makes the server
    # hash a megabyte. Any character is welcome: spaces, emoji, a whole sentence.
    password: str = Field(min_length=8, max_length=128)

    @field_validator("email", mode="before")
    @classmethod
    def _normalize(cls, email: object) -> object:
        """One account per address, however it is typed: " Ada@Example.COM" is ada@example.com."""
        return email.strip().lower() if isinstance(email, str) else email


class SignInForm(BaseModel):
    """The sign-in form of OAuth2's password flow: the email (as `username`) and the password.

    The fields OAuth2PasswordRequestForm reads, with the limits of an account: no email of an
    account is longer or holds a NUL, so neither needs a query to be refused.
    """

    username: str = Field(max_length=254, pattern=NO_NUL)
    password: str = Field(max_length=128)


class UserOut(BaseModel):
    """A user as the API returns it: never the password hash."""

    id: int
    email: str


class Token(BaseModel):
    """The answer of POST /auth/token, in the shape OAuth2 clients (and /docs) expect."""

    access_token: str
    token_type: str = "bearer"
