"""Signed license keys: `EF1.<base64url(JSON payload)>.<base64url(Ed25519 signature)>`.

Signed, not encrypted: the desktop app carries only the public key, so it can verify
a key offline but nobody can forge one. The signature covers the ASCII bytes before
the last dot, so changing any byte of the key makes it fail.

Keys come from settings.LICENSE_SIGNING_KEYS (`key_id:base64(32-byte private seed)`,
comma-separated, the first one signs) and LICENSE_VERIFY_KEYS (`key_id:base64(32-byte
public key)` of retired keys, still accepted). Production requires LICENSE_SIGNING_KEYS.
The demo and the tests (settings.LICENSE_DERIVED_SIGNING_KEY) may instead derive one key
from SECRET_KEY with HKDF, so that every worker and restart signs with the same key; its
id is `kd-<fingerprint of its public key>`, so a new SECRET_KEY (a new key) also gets a
new id: an id never silently names another key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass, field
from functools import cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "EF1"
MAX_KEY_LENGTH = 2048


# Why a key was refused, as the API reports it in `details.reason` (the answer stays
# 404 LICENSE_NOT_FOUND): the desktop client keeps its cache on the last two when its
# pinned key still verifies the license (the server, not the license, is then wrong).
MALFORMED = "malformed"
UNKNOWN_KEY = "unknown_key"  # the key's `kid` is not in the keyring
BAD_SIGNATURE = "bad_signature"  # the `kid` is known, the signature does not match


class InvalidLicenseKey(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


# Payloads of keys this process verified, per keyring (a key is a fixed string: once
# verified under a keyring it stays verified). Bounded: cleared when full.
VERIFIED_CACHE_SIZE = 10_000


@dataclass(frozen=True)
class Keyring:
    signing_key_id: str
    signing_key: Ed25519PrivateKey
    verify_keys: dict[str, Ed25519PublicKey]
    # Every EasyFacture start validates the same key again: its signature check (about
    # 0.15 ms) is done once per process. Rotating keys means new settings, hence a new
    # process and keyring: nothing verified under the old keyring survives it.
    verified: dict[str, dict] = field(default_factory=dict, compare=False, repr=False)

    def public_key_b64(self, key_id: str) -> str:
        return base64.b64encode(_raw_public(self.verify_keys[key_id])).decode("ascii")


def _parse_pairs(value: str) -> list[tuple[str, bytes]]:
    pairs = []
    for item in filter(None, (part.strip() for part in value.split(","))):
        key_id, _, b64 = item.partition(":")
        try:
            raw = base64.b64decode(b64, validate=True)
        except ValueError:  # binascii.Error
            raw = b""
        if not key_id or len(raw) != 32:
            raise ValueError(f"Bad license key entry {key_id!r}: expected key_id:base64(32 bytes)")
        pairs.append((key_id, raw))
    return pairs


def fingerprint(key: Ed25519PublicKey) -> str:
    """First 8 hex digits of the SHA-256 of the raw public key."""
    return hashlib.sha256(_raw_public(key)).hexdigest()[:8]


def _derived_entry() -> tuple[str, bytes]:
    """The demo's key, derived from SECRET_KEY, named after its own public key."""
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"easyfacture-license-signing-v1").derive(
        settings.SECRET_KEY.encode()
    )
    return f"kd-{fingerprint(Ed25519PrivateKey.from_private_bytes(seed).public_key())}", seed


@cache
def keyring() -> Keyring:
    signing = _parse_pairs(settings.LICENSE_SIGNING_KEYS)
    if not signing:
        if not settings.LICENSE_DERIVED_SIGNING_KEY:
            raise ImproperlyConfigured(
                "LICENSE_SIGNING_KEYS is empty: set it (manage.py license_keygen --key-id <id> makes an entry)."
            )
        signing = [_derived_entry()]
    private = {key_id: Ed25519PrivateKey.from_private_bytes(raw) for key_id, raw in signing}
    verify = {key_id: key.public_key() for key_id, key in private.items()}
    for key_id, raw in _parse_pairs(settings.LICENSE_VERIFY_KEYS):
        verify.setdefault(key_id, Ed25519PublicKey.from_public_bytes(raw))
    current = signing[0][0]
    return Keyring(signing_key_id=current, signing_key=private[current], verify_keys=verify)


def sign(payload: dict) -> str:
    ring = keyring()
    body = {**payload, "kid": ring.signing_key_id}
    signed = f"{PREFIX}.{b64url_encode(json.dumps(body, separators=(',', ':'), sort_keys=True).encode())}"
    return f"{signed}.{b64url_encode(ring.signing_key.sign(signed.encode('ascii')))}"


def verify(license_key: str) -> dict:
    """The payload of a key that we signed, or InvalidLicenseKey. The payload is shared
    between calls: read it, never change it."""
    ring = keyring()
    payload = ring.verified.get(license_key) if isinstance(license_key, str) else None
    if payload is None:
        payload = _verify(ring, license_key)
        if len(ring.verified) >= VERIFIED_CACHE_SIZE:
            ring.verified.clear()
        ring.verified[license_key] = payload
    return payload


def _verify(ring: Keyring, license_key: str) -> dict:
    if not isinstance(license_key, str) or len(license_key) > MAX_KEY_LENGTH:
        raise InvalidLicenseKey(MALFORMED)
    parts = license_key.split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        raise InvalidLicenseKey(MALFORMED)
    try:
        payload = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except (ValueError, binascii.Error) as exc:
        raise InvalidLicenseKey(MALFORMED) from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("kid"), str) or not payload["kid"]:
        raise InvalidLicenseKey(MALFORMED)
    public = ring.verify_keys.get(payload["kid"])
    if public is None:
        raise InvalidLicenseKey(UNKNOWN_KEY)
    try:
        public.verify(signature, f"{parts[0]}.{parts[1]}".encode("ascii"))
    except InvalidSignature as exc:
        raise InvalidLicenseKey(BAD_SIGNATURE) from exc
    # Canonical encoding only: a key re-encoded with other base64 padding bits is not ours.
    if b64url_encode(b64url_decode(parts[1])) != parts[1] or b64url_encode(signature) != parts[2]:
        raise InvalidLicenseKey(MALFORMED)
    return payload


def generate_key_entry(key_id: str) -> str:
    """A new `key_id:base64(seed)` entry for LICENSE_SIGNING_KEYS (manage.py license_keygen)."""
    seed = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return f"{key_id}:{base64.b64encode(seed).decode('ascii')}"
