from core.errors import DomainError

INVALID_LINK = "INVALID_LINK"
UNKNOWN_ROLE = "UNKNOWN_ROLE"
NOTHING_TO_MARK = "NOTHING_TO_MARK"


class NotificationError(DomainError):
    """A notification refused (a link to another site, an unknown broadcast role)."""
