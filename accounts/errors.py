from core.errors import DomainError

# The codes an AuthError carries; each API maps them to its statuses (401, 403).
INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
INVALID_TOKEN = "INVALID_TOKEN"  # noqa: S105 - an error code, not a secret
TOKEN_EXPIRED = "TOKEN_EXPIRED"  # noqa: S105 - an error code, not a secret
FORBIDDEN = "FORBIDDEN"


class AuthError(DomainError):
    """A staff token or login refused. No HTTP here: each API maps the code to a status
    (for the license API: licenses.api.STATUS)."""


# The codes of an AccountError (customer accounts: the e-mail verification link).
LINK_INVALID = "LINK_INVALID"
LINK_EXPIRED = "LINK_EXPIRED"
NOT_A_CUSTOMER = "NOT_A_CUSTOMER"
ALREADY_VERIFIED = "ALREADY_VERIFIED"


class AccountError(DomainError):
    """A customer account's action refused (a tampered or expired verification link, a
    link asked for an address already verified). The pages map the codes once
    (accounts.customer_views)."""
