"""Domain errors: what a service refuses, with a stable code, a message for people
and details for programs. Services never know HTTP: each web layer (an API's
exception handler, a view helper) maps the code to a status once."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every domain's error (LicenseError, later LeadError, TicketError...).

    `code` is a constant of the domain (e.g. "LICENSE_REVOKED"), `message` is
    translated text, `details` is JSON-serialisable, `extra` holds top-level fields
    the API contract puts beside the envelope (e.g. `existing_license`).
    """

    def __init__(self, code: str, message: str, *, details: dict | None = None, **extra):
        super().__init__(message)
        self.code, self.message = code, message
        self.details = details or {}
        self.extra = extra


class RateLimited(DomainError):
    """A rate limit was hit; every door answers 429 with Retry-After."""

    def __init__(self, message: str, *, retry_after: int):
        super().__init__("RATE_LIMITED", message, retry_after=retry_after)
        self.retry_after = retry_after
