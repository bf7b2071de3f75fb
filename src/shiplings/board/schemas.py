"""What learners may send, validated with pydantic: small, bounded, and never their code.

A report carries names and outcomes only. There is no field for a message, an output or
a file, so a client that tried to send one is refused (extra fields are forbidden).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

LESSON_ID = r"^\d{2}_[a-z0-9_]{1,60}$"
Outcome = Literal["passed", "failed", "timeout", "error", "skipped", "missing", "unavailable"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class JoinIn(Strict):
    code: str = Field(min_length=4, max_length=16)
    name: str = Field(min_length=1, max_length=60, pattern=r"^[^\x00-\x1f<>]+$")


class CheckIn(Strict):
    test: str = Field(min_length=1, max_length=120, pattern=r"^[^\x00-\x1f<>]+$")
    outcome: Outcome
    duration: float = Field(default=0, ge=0, le=3600)


class ReportIn(Strict):
    key: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")  # the idempotency key
    kind: Literal["check", "next", "doctor"]
    lesson: str | None = Field(default=None, pattern=LESSON_ID)
    now_on: str | None = Field(default=None, pattern=LESSON_ID)  # after `next`: the lesson it moved to
    passed: bool
    duration: float = Field(ge=0, le=3600)
    checks: list[CheckIn] = Field(default_factory=list, max_length=60)
    at: float = Field(gt=1.6e9, lt=4e9)  # when it ran (Unix time)

    @model_validator(mode="after")
    def lesson_unless_doctor(self) -> ReportIn:
        if self.kind != "doctor" and self.lesson is None:
            raise ValueError("a check or next report names its lesson")
        return self


class ReportsIn(Strict):
    reports: list[ReportIn] = Field(min_length=1, max_length=50)


class SessionIn(Strict):
    secret: str = Field(min_length=1, max_length=200)


class CodeIn(Strict):
    hours: float = Field(default=8, gt=0, le=24 * 14)
