from core.errors import DomainError


class LicenseError(DomainError):
    """A license service's refusal: a stable code (e.g. "TRIAL_ALREADY_EXISTS"), a message
    and details. No HTTP here: the API maps each code to its status (licenses.api.STATUS)."""
