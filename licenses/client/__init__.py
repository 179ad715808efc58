"""EasyFacture desktop license client (standard library + ``cryptography`` only)."""

from .easyfacture_license import (
    KEY_PREFIX,
    InvalidLicenseKey,
    LicenseCache,
    LicenseClient,
    LicenseClientError,
    LicenseError,
    LicenseKey,
    NoCachedLicense,
    ProtocolError,
    Reason,
    ServerUnreachable,
    Status,
    decode_license_key,
    default_cache_path,
    load_public_key,
    verify_license_key,
)

__all__ = [
    "KEY_PREFIX",
    "InvalidLicenseKey",
    "LicenseCache",
    "LicenseClient",
    "LicenseClientError",
    "LicenseError",
    "LicenseKey",
    "NoCachedLicense",
    "ProtocolError",
    "Reason",
    "ServerUnreachable",
    "Status",
    "decode_license_key",
    "default_cache_path",
    "load_public_key",
    "verify_license_key",
]
