"""License client for the EasyFacture desktop application.

Stand-alone module: it depends only on the Python standard library and ``cryptography``
(no Django, nothing from the server project), so it can be copied as-is into the desktop
application.

The application calls :meth:`LicenseClient.check` at startup. It asks the license server
whether the cached license key is still valid; when the server cannot be reached (network
down, timeout, 5xx) it verifies the cached key offline: Ed25519 signature with a *pinned*
public key, machine id, product, expiry, clock rollback, and a grace period (7 days by
default) counted from the last successful online check.

License key format (``EF1``)::

    EF1.<base64url(JSON payload), no padding>.<base64url(Ed25519 signature), no padding>

The signature covers the ASCII bytes of everything before the last dot. Payload keys:
``lid`` (int), ``mid`` (32 lowercase hex), ``prd`` (product slug), ``typ`` (trial, monthly,
annual, lifetime), ``iat`` (unix seconds), ``exp`` (unix seconds or null), ``kid`` (key id).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import email.utils
import http.client
import ipaddress
import json
import logging
import math
import os
import platform
import re
import ssl
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

__all__ = [
    "KEY_PREFIX",
    "LicenseCache",
    "LicenseClient",
    "LicenseClientError",
    "LicenseError",
    "LicenseKey",
    "InvalidLicenseKey",
    "NoCachedLicense",
    "ProtocolError",
    "Reason",
    "ServerKeyMismatch",
    "ServerUnreachable",
    "Status",
    "decode_license_key",
    "default_cache_path",
    "load_public_key",
    "verify_license_key",
]

__version__ = "1.0.0"

logger = logging.getLogger("easyfacture_license")

KEY_PREFIX = "EF1"
API_PATH = "/api/v1/licenses"
LICENSE_TYPES = frozenset({"trial", "monthly", "annual", "lifetime"})
CACHE_FORMAT = 1
DAY = 86400
MAX_RESPONSE_BYTES = 1 << 20
MAX_KEY_LENGTH = 2048
_B64URL = re.compile(r"[A-Za-z0-9_-]+")
_MACHINE_ID = re.compile(r"[0-9a-f]{32}")
_LOOPBACK_NAMES = frozenset({"localhost"})


class Reason:
    """The ``Status.reason`` values (server error codes are passed through unchanged)."""

    VALID = "VALID"  # the server said valid just now
    OFFLINE_GRACE = "OFFLINE_GRACE"  # server unreachable, cached key verified, within the grace period
    NO_LICENSE = "NO_LICENSE"  # nothing cached: request a trial or activate
    GRACE_EXPIRED = "GRACE_EXPIRED"  # offline for longer than the grace period
    CLOCK_ROLLBACK = "CLOCK_ROLLBACK"  # the local clock is before a time already seen from the server
    LICENSE_EXPIRED = "LICENSE_EXPIRED"
    LICENSE_REVOKED = "LICENSE_REVOKED"
    LICENSE_NOT_FOUND = "LICENSE_NOT_FOUND"
    MACHINE_MISMATCH = "MACHINE_MISMATCH"
    WRONG_PRODUCT = "WRONG_PRODUCT"
    INVALID_SIGNATURE = "INVALID_SIGNATURE"
    UNKNOWN_KEY_ID = "UNKNOWN_KEY_ID"  # no pinned public key for the key's ``kid``
    MALFORMED_KEY = "MALFORMED_KEY"


# Server answers after which the cached license is deleted: it will never be valid again.
FORGET_CODES = frozenset({Reason.LICENSE_REVOKED, Reason.LICENSE_EXPIRED, Reason.LICENSE_NOT_FOUND})
# ``details.reason`` of a 404 LICENSE_NOT_FOUND when the key failed the *server's* signature
# check. If the pinned public key still verifies the cached key, the server is wrong (a lost
# or replaced signing key, a keyring missing an id), not the license: see ServerKeyMismatch.
SERVER_SIGNATURE_REASONS = frozenset({"bad_signature", "unknown_key"})


# --------------------------------------------------------------------------- exceptions


class LicenseClientError(Exception):
    """Base class of everything this module raises on purpose."""


class ServerUnreachable(LicenseClientError):
    """No usable answer from the server: connection refused, DNS, TLS, timeout, or a 5xx."""

    def __init__(self, message: str, *, status: int | None = None, request_id: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.request_id = request_id


class ProtocolError(ServerUnreachable):
    """Something answered, but not the license API (not JSON, unexpected shape, redirect...).

    A subclass of :class:`ServerUnreachable`: a captive portal or a broken proxy must not lock
    a paying user out, :meth:`LicenseClient.check` falls back to the offline verification.
    """


class ServerKeyMismatch(ServerUnreachable):
    """The server refused the cached key for its signature (404 ``LICENSE_NOT_FOUND``, reason
    ``bad_signature`` or ``unknown_key``) although the pinned public key verifies it.

    That is a server misconfiguration, which must not lock every customer out: the cache is
    kept and, being a :class:`ServerUnreachable`, :meth:`LicenseClient.check` falls back to
    the offline verification (grace period). ``code`` and ``details`` are the server's.
    """

    def __init__(self, message: str, *, code: str, details: Any, status: int | None, request_id: str | None):
        super().__init__(message, status=status, request_id=request_id)
        self.code = code
        self.details = details


class LicenseError(LicenseClientError):
    """The server answered with its error envelope ``{success: false, error, message, details}``."""

    def __init__(
        self,
        code: str,
        message: str = "",
        status: int | None = None,
        details: Any = None,
        *,
        payload: Mapping[str, Any] | None = None,
        request_id: str | None = None,
        retry_after: int | None = None,
    ):
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message
        self.status = status
        self.details = details if details is not None else {}
        self.payload = dict(payload or {})  # the whole JSON body (e.g. ``existing_license`` on a 409)
        self.request_id = request_id
        self.retry_after = retry_after


class InvalidLicenseKey(LicenseClientError):
    """A license key failed the local verification; ``reason`` is one of :class:`Reason`."""

    def __init__(self, reason: str, message: str):
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


class NoCachedLicense(LicenseClientError):
    """validate/heartbeat need a cached license key: request a trial or activate first."""


# --------------------------------------------------------------------------- license keys


@dataclass(frozen=True)
class LicenseKey:
    """The decoded payload of an ``EF1`` key (decoding alone proves nothing: verify it)."""

    raw: str
    license_id: int
    machine_id: str
    product: str
    license_type: str
    issued_at: int
    expires_at: int | None  # None: lifetime
    key_id: str


def _b64url_decode(text: str, what: str) -> bytes:
    if not _B64URL.fullmatch(text):
        raise InvalidLicenseKey(Reason.MALFORMED_KEY, f"{what} is not base64url")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise InvalidLicenseKey(Reason.MALFORMED_KEY, f"{what} is not base64url")
    # Only the canonical encoding is accepted: otherwise the unused low bits of the last
    # character could be changed without changing the decoded bytes.
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != text:
        raise InvalidLicenseKey(Reason.MALFORMED_KEY, f"{what} is not canonical base64url")
    return raw


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _split_key(key: str) -> tuple[LicenseKey, bytes, bytes]:
    if not isinstance(key, str) or not key.isascii():
        raise InvalidLicenseKey(Reason.MALFORMED_KEY, "the license key must be an ASCII string")
    key = key.strip()
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidLicenseKey(Reason.MALFORMED_KEY, "the license key is too long")
    parts = key.split(".")
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        raise InvalidLicenseKey(Reason.MALFORMED_KEY, f"expected {KEY_PREFIX}.<payload>.<signature>")
    payload_bytes = _b64url_decode(parts[1], "payload")
    signature = _b64url_decode(parts[2], "signature")
    try:
        payload = json.loads(payload_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InvalidLicenseKey(Reason.MALFORMED_KEY, "the payload is not JSON")
    if not isinstance(payload, dict):
        raise InvalidLicenseKey(Reason.MALFORMED_KEY, "the payload is not a JSON object")
    lid, mid, prd, typ = payload.get("lid"), payload.get("mid"), payload.get("prd"), payload.get("typ")
    iat, exp, kid = payload.get("iat"), payload.get("exp"), payload.get("kid")
    if not (
        _is_int(lid)
        and isinstance(mid, str)
        and isinstance(prd, str)
        and typ in LICENSE_TYPES
        and _is_int(iat)
        and (exp is None or _is_int(exp))
        and isinstance(kid, str)
        and kid
    ):
        raise InvalidLicenseKey(Reason.MALFORMED_KEY, "the payload misses fields or has wrong types")
    signed = key.rsplit(".", 1)[0].encode("ascii")
    return LicenseKey(key, lid, mid, prd, typ, iat, exp, kid), signed, signature


def decode_license_key(key: str) -> LicenseKey:
    """Decode a key WITHOUT verifying it (for display, or to read its ``kid``)."""
    return _split_key(key)[0]


def load_public_key(value: str | bytes | Ed25519PublicKey) -> Ed25519PublicKey:
    """A public key from base64 (standard or url-safe) of the raw 32 bytes, raw bytes, or a key object."""
    if isinstance(value, Ed25519PublicKey):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            raw = base64.b64decode(text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("public key: invalid base64")
    elif isinstance(value, bytes | bytearray):
        raw = bytes(value)
    else:
        raise TypeError(f"public key: unsupported type {type(value).__name__}")
    if len(raw) != 32:
        raise ValueError(f"public key: expected 32 raw bytes, got {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


def verify_license_key(
    key: str,
    public_keys: Mapping[str, str | bytes | Ed25519PublicKey],
    *,
    machine_id: str | None = None,
    product: str | None = None,
    now: float | None = None,
) -> LicenseKey:
    """Verify the signature with the public key named by the key's ``kid``; then, when given,
    the machine id, the product and the expiry (``now`` in unix seconds).

    Returns the decoded key; raises :class:`InvalidLicenseKey` with a :class:`Reason`.
    """
    decoded, signed, signature = _split_key(key)
    public_key = public_keys.get(decoded.key_id)
    if public_key is None:
        raise InvalidLicenseKey(Reason.UNKNOWN_KEY_ID, f"no public key for key id {decoded.key_id!r}")
    try:
        load_public_key(public_key).verify(signature, signed)
    except InvalidSignature:
        raise InvalidLicenseKey(Reason.INVALID_SIGNATURE, "the license key signature is invalid")
    if machine_id is not None and decoded.machine_id != machine_id:
        raise InvalidLicenseKey(Reason.MACHINE_MISMATCH, "the license key belongs to another machine")
    if product is not None and decoded.product != product:
        raise InvalidLicenseKey(Reason.WRONG_PRODUCT, f"the license key is for {decoded.product!r}")
    if now is not None and decoded.expires_at is not None and now >= decoded.expires_at:
        raise InvalidLicenseKey(Reason.LICENSE_EXPIRED, "the license has expired")
    return decoded


# --------------------------------------------------------------------------- status


@dataclass(frozen=True)
class Status:
    """What :meth:`LicenseClient.check` tells the application. ``bool(status)`` is ``status.valid``."""

    valid: bool
    reason: str
    message: str = ""
    online: bool = False  # True: the server answered this check
    license_type: str | None = None
    expires_at: datetime | None = None  # None: lifetime (or unknown)
    days_remaining: int | None = None
    last_online_check: datetime | None = None  # server time of the last valid online answer
    grace_expires_at: datetime | None = None  # offline only: when the application must go online again
    renewal_url: str | None = None
    fallback_cause: str | None = None  # offline only: why the server was not used
    request_id: str | None = None

    def __bool__(self) -> bool:
        return self.valid


def _to_datetime(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


def _parse_iso(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# --------------------------------------------------------------------------- cache


def default_cache_path(app_name: str = "EasyFacture") -> Path:
    """Per-user data directory: %LOCALAPPDATA% on Windows, Application Support on macOS, XDG elsewhere."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / app_name / "license.json"


class LicenseCache:
    """The last good server answer, as a JSON file replaced atomically (temp file + ``os.replace``)."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)

    def load(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            logger.warning("license cache %s unreadable, ignored: %s", self.path, exc)
            return None
        return data if isinstance(data, dict) else None

    def save(self, data: Mapping[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # mkstemp: same directory (same file system, so os.replace is atomic), mode 0600.
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=2, sort_keys=True)
                fh.write("\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        if hasattr(os, "O_DIRECTORY"):  # make the rename durable (POSIX)
            try:
                dir_fd = os.open(self.path.parent, os.O_RDONLY | os.O_DIRECTORY)
            except OSError:
                return
            try:
                with contextlib.suppress(OSError):
                    os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    def delete(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


# --------------------------------------------------------------------------- HTTP


@dataclass(frozen=True)
class _Response:
    status: int
    body: dict[str, Any]
    server_time: float | None  # from the body's ``server_time`` or else the Date header
    request_id: str | None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are refused (they would drop the POST body, or leave HTTPS)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _normalize_machine_id(machine_id: str) -> str:
    value = str(machine_id).strip().lower()
    if not _MACHINE_ID.fullmatch(value):
        raise ValueError("machine_id must be 32 hexadecimal characters")
    return value


# --------------------------------------------------------------------------- client


class LicenseClient:
    """Client of the license server ``/api/v1/licenses/*``.

    ``public_keys`` maps key ids to Ed25519 public keys (base64 of the raw 32 bytes, as served by
    ``GET /api/v1/licenses/public-key``). Ship them *pinned* in the application: they are what
    makes the offline verification trustworthy. With ``allow_key_fetch=True`` a key id that is not
    pinned is fetched from the server when online and kept in memory only (never written to the
    cache, which the user can edit): development only, and offline grace then does not survive a
    restart.

    ``clock`` returns unix seconds (``time.time``), injectable for tests.
    """

    def __init__(
        self,
        server_url: str,
        *,
        product: str = "easyfacture",
        cache_path: str | os.PathLike[str] | None = None,
        public_keys: Mapping[str, str | bytes | Ed25519PublicKey] | None = None,
        grace_days: float = 7,
        timeout: float = 10,
        app_version: str = "1.6.0",
        os_info: str | None = None,
        clock: Callable[[], float] = time.time,
        ssl_context: ssl.SSLContext | None = None,
        max_clock_skew: float = 300,
        allow_key_fetch: bool = False,
        allow_insecure_http: bool = False,
    ):
        parsed = urllib.parse.urlsplit(server_url)
        if parsed.scheme not in ("https", "http") or not parsed.hostname:
            raise ValueError("server_url must be an https:// URL")
        if parsed.scheme == "http" and not (allow_insecure_http or _is_loopback(parsed.hostname)):
            raise ValueError("server_url must use https (plain http is only allowed to the loopback address)")
        self.server_url = server_url.rstrip("/")
        self.product = product
        self.cache = LicenseCache(cache_path if cache_path is not None else default_cache_path())
        self.public_keys: dict[str, Ed25519PublicKey] = {
            kid: load_public_key(value) for kid, value in (public_keys or {}).items()
        }
        self._fetched_keys: dict[str, Ed25519PublicKey] = {}
        self.grace_seconds = float(grace_days) * DAY
        self.timeout = timeout
        self.app_version = app_version
        self.os_info = os_info if os_info is not None else platform.platform()
        self.clock = clock
        self.max_clock_skew = float(max_clock_skew)
        self.allow_key_fetch = allow_key_fetch
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=ssl_context or ssl.create_default_context()), _NoRedirect()
        )
        self._lock = threading.RLock()
        self.last_request_id: str | None = None  # X-Request-ID of the last request, for support

    # ----------------------------------------------------------------- public API

    def request_trial(self, machine_id: str, email: str) -> dict[str, Any]:
        """``POST /trial``; stores the trial key. Raises :class:`LicenseError` (``TRIAL_ALREADY_EXISTS``
        with ``payload["existing_license"]``), :class:`ServerUnreachable`."""
        machine_id = _normalize_machine_id(machine_id)
        body = {"machine_id": machine_id, "email": email, "product": self.product, "version": self.app_version[:20]}
        with self._lock:
            response = self._request("POST", "/trial", body)
            self._store_new_key(machine_id, response)
            return response.body

    def activate(self, machine_id: str, activation_code: str, email: str) -> dict[str, Any]:
        """``POST /activate``; stores the key. Raises :class:`LicenseError` (``INVALID_ACTIVATION_CODE``...)."""
        machine_id = _normalize_machine_id(machine_id)
        body = {"machine_id": machine_id, "activation_code": activation_code.strip(), "email": email}
        with self._lock:
            response = self._request("POST", "/activate", body)
            self._store_new_key(machine_id, response)
            return response.body

    def validate(self, machine_id: str) -> dict[str, Any]:
        """``POST /validate`` with the cached key; returns the server's answer (``valid`` true or false).

        A valid answer refreshes the cache (and its ``license_key`` when the server re-issued it);
        ``LICENSE_REVOKED``/``LICENSE_EXPIRED``/404 ``LICENSE_NOT_FOUND`` delete the cache, except
        a ``LICENSE_NOT_FOUND`` for the server's signature check on a key the pinned public key
        verifies: that raises :class:`ServerKeyMismatch` and keeps the cache.
        Raises :class:`NoCachedLicense`, :class:`LicenseError`, :class:`ServerUnreachable`.
        """
        machine_id = _normalize_machine_id(machine_id)
        with self._lock:
            cache = self._load_cache()
            if cache is None:
                raise NoCachedLicense("no cached license key")
            try:
                response = self._request(
                    "POST", "/validate", {"machine_id": machine_id, "license_key": cache["license_key"]}
                )
            except LicenseError as exc:
                if self._server_key_mismatch(exc, cache["license_key"], machine_id):
                    logger.warning(
                        "the server refused the license key for its signature (%s) but the pinned key verifies it:"
                        " server misconfiguration, license kept",
                        exc.details.get("reason"),
                    )
                    raise ServerKeyMismatch(
                        f"the server cannot verify a key the pinned public key verifies ({exc.details.get('reason')})",
                        code=exc.code,
                        details=exc.details,
                        status=exc.status,
                        request_id=exc.request_id,
                    ) from exc
                if exc.code in FORGET_CODES:
                    self.forget()
                raise
            body = response.body
            valid = body.get("valid")
            if not isinstance(valid, bool):
                raise ProtocolError("validate: the answer has no boolean 'valid'", request_id=response.request_id)
            if valid:
                self._store_valid_answer(machine_id, cache, response)
            elif body.get("error") in FORGET_CODES:
                self.forget()
            else:
                self._note_server_time(cache, response.server_time)
            return body

    def heartbeat(self, machine_id: str) -> bool:
        """``POST /heartbeat``. True when recorded, False when rate-limited (429: one per 24 h, a no-op).

        Raises :class:`NoCachedLicense`, :class:`LicenseError`, :class:`ServerUnreachable`.
        """
        machine_id = _normalize_machine_id(machine_id)
        with self._lock:
            cache = self._load_cache()
            if cache is None:
                raise NoCachedLicense("no cached license key")
            body = {
                "machine_id": machine_id,
                "license_key": cache["license_key"],
                "app_version": self.app_version[:20],  # the server's field limits
                "os_info": self.os_info[:200],
            }
            try:
                response = self._request("POST", "/heartbeat", body)
            except LicenseError as exc:
                if exc.status == 429 or exc.code == "RATE_LIMIT_EXCEEDED":
                    return False
                raise
            self._note_server_time(cache, response.server_time)
            return True

    def check(self, machine_id: str) -> Status:
        """The startup check: online validation, or the offline verification when the server is
        unreachable (or answers something other than a verdict: 429, unexpected 4xx). Never raises
        for network or server problems."""
        machine_id = _normalize_machine_id(machine_id)
        with self._lock:
            if self._load_cache() is None:
                return Status(False, Reason.NO_LICENSE, "No license: start a trial or activate a license.")
            try:
                body = self.validate(machine_id)
            except NoCachedLicense:
                return Status(False, Reason.NO_LICENSE, "No license: start a trial or activate a license.")
            except ServerUnreachable as exc:
                logger.info("license server unreachable, offline verification: %s", exc)
                return self.verify_offline(machine_id, fallback_cause=f"{type(exc).__name__}: {exc}")
            except LicenseError as exc:
                if exc.code in FORGET_CODES:
                    return Status(False, exc.code, exc.message, online=True, request_id=exc.request_id)
                logger.warning("license server error %s, offline verification", exc)
                return self.verify_offline(machine_id, fallback_cause=f"LicenseError: {exc}")
            return self._status_from_answer(body)

    def verify_offline(self, machine_id: str, *, fallback_cause: str | None = None) -> Status:
        """Verify the cached key without the server (see the module docstring)."""
        machine_id = _normalize_machine_id(machine_id)
        with self._lock:
            cache = self._load_cache()
        if cache is None:
            return Status(False, Reason.NO_LICENSE, "No license: start a trial or activate a license.")
        now = self.clock()
        last = cache.get("last_online_check")
        common = {"online": False, "fallback_cause": fallback_cause, "last_online_check": _to_datetime(last)}
        try:
            key = verify_license_key(
                cache["license_key"], self._known_keys(), machine_id=machine_id, product=self.product
            )
        except InvalidLicenseKey as exc:
            return Status(False, exc.reason, exc.message, **common)
        common.update(license_type=key.license_type, expires_at=_to_datetime(key.expires_at))
        # The signed ``iat`` is a server time too, and cannot be edited in the cache file.
        max_seen = max(cache.get("max_server_time_seen") or 0, key.issued_at)
        if now < max_seen - self.max_clock_skew:
            return Status(
                False,
                Reason.CLOCK_ROLLBACK,
                "The computer's clock is earlier than a time already seen from the license server: "
                "set the correct date and time.",
                **common,
            )
        if key.expires_at is not None and now >= key.expires_at:
            return Status(False, Reason.LICENSE_EXPIRED, "The license has expired.", days_remaining=0, **common)
        days_remaining = None if key.expires_at is None else max(0, math.ceil((key.expires_at - now) / DAY))
        if last is None:
            return Status(False, Reason.GRACE_EXPIRED, "Connect to the internet to verify the license.", **common)
        grace_end = last + self.grace_seconds
        if now >= grace_end:
            return Status(
                False,
                Reason.GRACE_EXPIRED,
                "The license could not be verified online for too long: connect to the internet.",
                days_remaining=days_remaining,
                grace_expires_at=_to_datetime(grace_end),
                **common,
            )
        return Status(
            True,
            Reason.OFFLINE_GRACE,
            "License server unreachable: working offline.",
            days_remaining=days_remaining,
            grace_expires_at=_to_datetime(grace_end),
            **common,
        )

    def fetch_public_keys(self) -> dict[str, str]:
        """``GET /public-key``: ``{key_id: base64 raw public key}``. Not a trust anchor by itself (TOFU):
        use it to obtain the key to pin when building the application."""
        with self._lock:
            body = self._request("GET", "/public-key").body
        keys: dict[str, str] = {}
        for entry in body.get("keys") or []:
            if isinstance(entry, dict) and isinstance(entry.get("key_id"), str):
                keys[entry["key_id"]] = entry.get("public_key")
        if isinstance(body.get("key_id"), str) and body.get("public_key"):
            keys.setdefault(body["key_id"], body["public_key"])
        for kid, value in keys.items():
            try:
                load_public_key(value)
            except (TypeError, ValueError) as exc:
                raise ProtocolError(f"public-key {kid!r}: {exc}")
        return keys

    def forget(self) -> None:
        """Delete the cached license."""
        with self._lock:
            self.cache.delete()

    @property
    def cached_license(self) -> dict[str, Any] | None:
        """The cache file's content (for display), or None."""
        with self._lock:
            return self._load_cache()

    # ----------------------------------------------------------------- internals

    def _known_keys(self) -> dict[str, Ed25519PublicKey]:
        return {**self._fetched_keys, **self.public_keys}  # pinned keys win

    def _maybe_fetch_key(self, kid: str) -> None:
        if not self.allow_key_fetch or kid in self._known_keys():
            return
        logger.warning("no pinned public key for %r: fetching it from the server (not a trust anchor)", kid)
        try:
            fetched = self.fetch_public_keys()
        except LicenseClientError as exc:
            logger.warning("public key fetch failed: %s", exc)
            return
        for key_id, value in fetched.items():
            self._fetched_keys.setdefault(key_id, load_public_key(value))

    def _load_cache(self) -> dict[str, Any] | None:
        data = self.cache.load()
        if data is None:
            return None
        if data.get("format") != CACHE_FORMAT or data.get("product") != self.product:
            return None
        if not isinstance(data.get("license_key"), str) or not data["license_key"]:
            return None
        for name in ("last_online_check", "max_server_time_seen"):
            value = data.get(name)
            if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
                logger.warning("license cache: %s is not a number, cache ignored", name)
                return None
        return data

    def _save(self, data: dict[str, Any]) -> None:
        data = {**data, "format": CACHE_FORMAT, "product": self.product}
        self.cache.save(data)

    def _store_new_key(self, machine_id: str, response: _Response) -> None:
        """After trial/activate: a new key, and a successful online check at the server's time."""
        body = response.body
        key = body.get("license_key")
        try:
            decoded = decode_license_key(key)
        except InvalidLicenseKey as exc:
            raise ProtocolError(f"the server returned an unusable license key ({exc})", request_id=response.request_id)
        self._maybe_fetch_key(decoded.key_id)
        self._warn_if_unverifiable(key, machine_id)
        server_time = response.server_time
        seen = [t for t in (server_time, decoded.issued_at) if t is not None]
        self._save(
            {
                "machine_id": machine_id,
                "license_key": key,
                "license_id": decoded.license_id,
                "license_type": body.get("license_type") or decoded.license_type,
                "expires_at": body.get("expires_at"),
                "key_id": decoded.key_id,
                "last_online_check": server_time if server_time is not None else self.clock(),
                "max_server_time_seen": max(seen),
            }
        )

    def _store_valid_answer(self, machine_id: str, cache: dict[str, Any], response: _Response) -> None:
        body = response.body
        key = cache["license_key"]
        new_key = body.get("license_key")
        if isinstance(new_key, str) and new_key and new_key != key:
            # A re-issued key replaces the cached one, unless only the old one can be verified offline.
            if self._verifies(new_key, machine_id) or not self._verifies(key, machine_id):
                key = new_key
            else:
                logger.warning("the server re-issued a key that cannot be verified offline: kept the cached one")
        try:
            decoded = decode_license_key(key)
        except InvalidLicenseKey:
            decoded = None
        if decoded is not None:
            self._maybe_fetch_key(decoded.key_id)
        server_time = response.server_time if response.server_time is not None else self.clock()
        seen = [cache.get("max_server_time_seen") or 0, server_time]
        if decoded is not None:
            seen.append(decoded.issued_at)
        self._save(
            {
                **cache,
                "machine_id": machine_id,
                "license_key": key,
                "license_id": decoded.license_id if decoded else cache.get("license_id"),
                "license_type": body.get("license_type") or cache.get("license_type"),
                "expires_at": body.get("expires_at"),
                "key_id": decoded.key_id if decoded else cache.get("key_id"),
                "last_online_check": server_time,
                "max_server_time_seen": max(seen),
            }
        )

    def _note_server_time(self, cache: dict[str, Any], server_time: float | None) -> None:
        if server_time is not None and server_time > (cache.get("max_server_time_seen") or 0):
            self._save({**cache, "max_server_time_seen": server_time})

    def _verifies(self, key: str, machine_id: str) -> bool:
        try:
            verify_license_key(key, self._known_keys(), machine_id=machine_id, product=self.product)
        except InvalidLicenseKey:
            return False
        return True

    def _server_key_mismatch(self, exc: LicenseError, key: str, machine_id: str) -> bool:
        """True when the server's signature check failed on a key the *pinned* keys verify
        (keys fetched from that same server prove nothing about it)."""
        if exc.code != Reason.LICENSE_NOT_FOUND or not isinstance(exc.details, dict):
            return False
        if exc.details.get("reason") not in SERVER_SIGNATURE_REASONS:
            return False
        try:
            verify_license_key(key, self.public_keys, machine_id=machine_id, product=self.product)
        except InvalidLicenseKey:
            return False
        return True

    def _warn_if_unverifiable(self, key: str, machine_id: str) -> None:
        try:
            verify_license_key(key, self._known_keys(), machine_id=machine_id, product=self.product)
        except InvalidLicenseKey as exc:
            logger.warning("the new license key cannot be verified offline (%s): check the pinned public keys", exc)

    def _status_from_answer(self, body: dict[str, Any]) -> Status:
        cache = self._load_cache()
        last = _to_datetime(cache.get("last_online_check")) if cache else None
        days = body.get("days_remaining")
        days = days if _is_int(days) else None
        if body.get("valid"):
            return Status(
                True,
                Reason.VALID,
                body.get("message") or "License valid.",
                online=True,
                license_type=body.get("license_type"),
                expires_at=_parse_iso(body.get("expires_at")),
                days_remaining=days,
                last_online_check=last,
                request_id=self.last_request_id,
            )
        return Status(
            False,
            body.get("error") or "INVALID",
            body.get("message") or "",
            online=True,
            license_type=body.get("license_type"),
            expires_at=_parse_iso(body.get("expired_at") or body.get("expires_at")),
            days_remaining=days,
            last_online_check=last,
            renewal_url=body.get("renewal_url"),
            request_id=self.last_request_id,
        )

    def _request(self, method: str, path: str, payload: Mapping[str, Any] | None = None) -> _Response:
        url = f"{self.server_url}{API_PATH}{path}"
        # Our own request id: the server echoes it (and logs it), so it is known even when the answer is lost.
        own_request_id = uuid.uuid4().hex
        self.last_request_id = own_request_id
        headers = {
            "X-Request-ID": own_request_id,
            "Accept": "application/json",
            "User-Agent": f"EasyFacture/{self.app_version} ({self.os_info}) easyfacture-license/{__version__}",
        }
        data = None
        if payload is not None:
            data = json.dumps(payload).encode("utf-8")
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310 (http(s) only)
        try:
            with self._opener.open(request, timeout=self.timeout) as resp:
                status, resp_headers, raw = resp.status, resp.headers, self._read(resp)
        except urllib.error.HTTPError as exc:
            status, resp_headers = exc.code, exc.headers
            try:
                raw = self._read(exc)
            except (OSError, http.client.HTTPException):
                raw = b""
            finally:
                exc.close()
        except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts, TLS, reset connections
            reason = getattr(exc, "reason", None) or exc
            raise ServerUnreachable(f"{method} {path}: {reason}", request_id=own_request_id)
        request_id = (resp_headers.get("X-Request-ID") if resp_headers else None) or own_request_id
        self.last_request_id = request_id
        if status >= 500:
            raise ServerUnreachable(f"{method} {path}: HTTP {status}", status=status, request_id=request_id)
        try:
            body = json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, ValueError):
            body = None
        if 300 <= status < 400:
            raise ProtocolError(
                f"{method} {path}: unexpected redirect HTTP {status}", status=status, request_id=request_id
            )
        if status >= 400:
            if not isinstance(body, dict) or not isinstance(body.get("error"), str):
                raise LicenseError(f"HTTP_{status}", f"HTTP {status}", status, request_id=request_id)
            retry_after = body.get("retry_after")
            if not _is_int(retry_after):
                try:
                    retry_after = int(resp_headers.get("Retry-After")) if resp_headers else None
                except (TypeError, ValueError):
                    retry_after = None
            raise LicenseError(
                body["error"],
                str(body.get("message") or ""),
                status,
                body.get("details"),
                payload=body,
                request_id=body.get("request_id") or request_id,
                retry_after=retry_after,
            )
        if not isinstance(body, dict):
            raise ProtocolError(
                f"{method} {path}: the answer is not a JSON object", status=status, request_id=request_id
            )
        server_time = _parse_iso(body.get("server_time"))
        if server_time is None and resp_headers and resp_headers.get("Date"):
            try:
                server_time = email.utils.parsedate_to_datetime(resp_headers["Date"])
            except (TypeError, ValueError, IndexError):
                server_time = None
            if server_time is not None and server_time.tzinfo is None:
                server_time = server_time.replace(tzinfo=UTC)
        return _Response(
            status,
            body,
            server_time.timestamp() if server_time is not None else None,
            request_id,
        )

    @staticmethod
    def _read(resp: Any) -> bytes:
        raw = resp.read(MAX_RESPONSE_BYTES + 1)
        if len(raw) > MAX_RESPONSE_BYTES:
            raise ProtocolError("the answer is too large")
        return raw
