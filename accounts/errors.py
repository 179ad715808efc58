from core.errors import DomainError

# The codes an AuthError carries; each API maps them to its statuses (401, 403).
INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
INVALID_TOKEN = "INVALID_TOKEN"  # noqa: S105 - an error code, not a secret
TOKEN_EXPIRED = "TOKEN_EXPIRED"  # noqa: S105 - an error code, not a secret
FORBIDDEN = "FORBIDDEN"


class AuthError(DomainError):
    """A staff token or login refused. No HTTP here: each API maps the code to a status
    (for the license API: licenses.api.STATUS)."""
