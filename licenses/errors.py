class LicenseError(Exception):
    """A refusal with a stable error code, rendered in the API's error envelope."""

    def __init__(self, code: str, message: str, *, status: int, details: dict | None = None, **extra):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status
        self.details = details or {}
        self.extra = extra
