"""Request bodies of the license API (validated by pydantic before any view runs)."""

from __future__ import annotations

from typing import Literal

from ninja import Schema
from pydantic import Field, field_validator

from core.schemas import Email, UtcDatetime

from .. import services, signing


def _lower(value: str) -> str:
    # Licenses are looked up by e-mail: one spelling per address.
    return value.lower()


# --- public ------------------------------------------------------------------------


class MachineIn(Schema):
    # The pattern is documented (clients and the fuzz test generate valid ids from it) but
    # checked by the validator below, which also accepts surrounding spaces.
    machine_id: str = Field(
        ...,
        description="32 hexadecimal characters (case-insensitive)",
        json_schema_extra={"pattern": "^[0-9a-fA-F]{32}$"},
    )

    @field_validator("machine_id")
    @classmethod
    def _machine_id(cls, value: str) -> str:
        normalized = services.machine_id_normalize(value)
        if normalized is None:
            raise ValueError("machine_id must be exactly 32 hexadecimal characters")
        return normalized


class TrialIn(MachineIn):
    email: Email
    product: str = Field(..., max_length=50, examples=["easyfacture"])
    version: str = Field("", max_length=20)

    _lower_email = field_validator("email")(classmethod(lambda cls, v: _lower(v)))


class ActivateIn(MachineIn):
    activation_code: str = Field(..., max_length=40)
    email: Email

    _lower_email = field_validator("email")(classmethod(lambda cls, v: _lower(v)))


class ValidateIn(MachineIn):
    license_key: str = Field(..., max_length=signing.MAX_KEY_LENGTH)


class HeartbeatIn(ValidateIn):
    app_version: str = Field("", max_length=20)
    os_info: str = Field("", max_length=200)


# --- admin -------------------------------------------------------------------------


class TokenIn(Schema):
    username: str = Field(..., max_length=150)
    password: str = Field(..., max_length=256)


class RefreshIn(Schema):
    refresh_token: str = Field(..., max_length=2048)


class RevokeIn(Schema):
    reason: str = Field("", max_length=500)


class CodesIn(Schema):
    license_type: Literal["monthly", "annual", "lifetime"]
    duration_days: int | None = Field(None, ge=1, le=36500)
    count: int = Field(1, ge=1, le=1000)
    expires_at: UtcDatetime | None = None
    notes: str = Field("", max_length=2000)
    product: str = "easyfacture"
