"""License server business actions. Views, the admin API, Django admin actions and
Celery tasks all go through these functions."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core import limits
from core.crockford import ALPHABET, TYPOS
from core.edits import fields_apply
from core.origin import SYSTEM, Origin

from . import hotpath, recording, signing, state_cache, webhooks
from .errors import LicenseError
from .models import PAID_TYPES, ActivationCode, License, LicenseEvent, LicenseType, Product
from .selectors import LicenseState, license_state
from .serializers import days_remaining

MACHINE_ID = re.compile(r"^[0-9a-f]{32}$")


def machine_id_normalize(value: str) -> str | None:
    """A machine id as we store it (32 lower-case hex, surrounding spaces forgiven), or None."""
    value = value.strip().lower()
    return value if MACHINE_ID.match(value) else None


def _log(lic: License, action: str, origin: Origin, **details) -> LicenseEvent:
    return LicenseEvent.objects.create(
        license=lic,
        action=action,
        ip_address=origin.ip,
        user_agent=origin.user_agent[:300],
        app_version=origin.app_version[:20],
        os_info=str(details.pop("os_info", ""))[:200],
        actor=origin.actor,
        details=details,
    )


def _issue_key(lic: License) -> None:
    """Sign a fresh key for the license's current state (type, expiry)."""
    now = timezone.now()
    lic.license_key = signing.sign(
        {
            "lid": lic.pk,
            "mid": lic.machine_id,
            "prd": lic.product.slug,
            "typ": lic.license_type,
            "iat": int(now.timestamp()),
            "exp": int(lic.expires_at.timestamp()) if lic.expires_at else None,
        }
    )
    lic.key_id = signing.keyring().signing_key_id


def _product(slug: str, *, lock: bool = False) -> Product:
    qs = Product.objects.filter(slug=slug, is_active=True)
    product = (qs.select_for_update() if lock else qs).first()
    if product is None:
        raise LicenseError("INVALID_PRODUCT", _("Produit inconnu."), details={"product": _("Produit inconnu.")})
    return product


@transaction.atomic
def license_trial_create(*, product_slug: str, machine_id: str, email: str, origin: Origin = SYSTEM) -> License:
    """A 30-day trial, once per machine and product, ever; at most N trials per e-mail."""
    # Locking the product row serialises trial creation for the product, so that two
    # simultaneous requests cannot both pass the per-e-mail cap below.
    product = _product(product_slug, lock=True)
    existing = License.objects.filter(product=product, machine_id=machine_id).first()
    if existing is not None:
        raise LicenseError(
            "TRIAL_ALREADY_EXISTS",
            _("Une licence trial existe déjà pour cette machine"),
            existing_license={
                "expires_at": existing.expires_at.isoformat() if existing.expires_at else None,
                "days_remaining": days_remaining(existing.expires_at),
            },
        )
    trials = License.objects.filter(product=product, email__iexact=email, trial_started_at__isnull=False).count()
    if trials >= settings.LICENSE_TRIALS_PER_EMAIL:
        raise LicenseError(
            "TRIAL_LIMIT_REACHED",
            _("Le nombre maximal de licences d'essai pour cette adresse e-mail est atteint."),
        )
    now = timezone.now()
    lic = License(
        product=product,
        machine_id=machine_id,
        email=email,
        license_type=LicenseType.TRIAL,
        created_at=now,
        trial_started_at=now,
        expires_at=now + timedelta(days=product.trial_days),
        app_version=origin.app_version[:20],
        ip_address=origin.ip,
        user_agent=origin.user_agent[:300],
    )
    try:
        # A concurrent request for the same machine loses on the unique constraint.
        with transaction.atomic():
            lic.save()
    except IntegrityError as exc:
        raise LicenseError("TRIAL_ALREADY_EXISTS", _("Une licence trial existe déjà pour cette machine")) from exc
    _issue_key(lic)
    lic.save(update_fields=["license_key", "key_id"])
    _log(lic, LicenseEvent.Action.TRIAL_CREATED, origin)
    webhooks.emit(event="license.created", license=lic)
    return lic


def normalize_code(raw: str) -> str | None:
    compact = re.sub(r"[\s\-]", "", (raw or "").upper()).translate(TYPOS)
    if len(compact) != 16 or any(c not in ALPHABET for c in compact):
        return None
    return "-".join(compact[i : i + 4] for i in range(0, 16, 4))


def _invalid_code() -> LicenseError:
    return LicenseError("INVALID_ACTIVATION_CODE", _("Code d'activation invalide ou déjà utilisé"))


@transaction.atomic
def license_activate(*, machine_id: str, activation_code: str, email: str, origin: Origin = SYSTEM) -> License:
    code_value = normalize_code(activation_code)
    if code_value is None:
        raise _invalid_code()
    now = timezone.now()
    # Claim the code with a conditional UPDATE: of two machines activating the same
    # code at the same moment, the second UPDATE waits for the first transaction's row
    # lock, then matches nothing because used_at is set. Exactly one wins.
    claimed = (
        ActivationCode.objects.filter(code=code_value, used_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .update(used_at=now)
    )
    if not claimed:
        raise _invalid_code()
    code = ActivationCode.objects.select_related("product").get(code=code_value)
    lic = License.objects.select_for_update().filter(product=code.product, machine_id=machine_id).first()
    created = lic is None
    if created:
        lic = License(product=code.product, machine_id=machine_id, email=email, created_at=now)
    elif lic.is_revoked:
        raise LicenseError("LICENSE_REVOKED", _("Cette licence a été révoquée."))
    elif lic.license_type == LicenseType.LIFETIME:
        raise LicenseError("LICENSE_ALREADY_LIFETIME", _("Cette machine a déjà une licence à vie."))

    if code.license_type == LicenseType.LIFETIME:
        lic.expires_at = None
    elif lic.license_type in PAID_TYPES and not lic.is_expired(now):
        # Paid time left is kept: the new duration starts at the current expiry.
        lic.expires_at = lic.expires_at + timedelta(days=code.duration_days)
    else:
        lic.expires_at = now + timedelta(days=code.duration_days)
    lic.license_type = code.license_type
    lic.email = email
    lic.activated_at = now
    lic.ip_address = origin.ip
    lic.user_agent = origin.user_agent[:300]
    lic.save()
    _issue_key(lic)
    lic.save(update_fields=["license_key", "key_id"])
    code.used_by = lic
    code.save(update_fields=["used_by"])
    _log(lic, LicenseEvent.Action.ACTIVATED, origin, code=code.code, license_type=lic.license_type)
    if created:
        webhooks.emit(event="license.created", license=lic)
    webhooks.emit(event="license.activated", license=lic)
    return lic


def _not_found(**details) -> LicenseError:
    return LicenseError("LICENSE_NOT_FOUND", _("Licence introuvable."), details=details or None)


def _key_payload(license_key: str) -> tuple[dict, int]:
    """The payload of a key we signed and the license id it names. Any refusal is
    LICENSE_NOT_FOUND (the public contract); a key that fails its signature check says
    why in details.reason (see signing)."""
    try:
        payload = signing.verify(license_key)
    except signing.InvalidLicenseKey as exc:
        raise _not_found(reason=exc.reason) from None
    lid = payload.get("lid")
    if not isinstance(lid, int) or not 0 < lid < 2**63:
        raise _not_found()
    return payload, lid


def _license_from_key(license_key: str) -> tuple[License, dict]:
    """The license (a model instance) a key names, for the endpoints that change it."""
    payload, lid = _key_payload(license_key)
    try:
        # get() rather than first(): no ORDER BY to build and run.
        lic = License.objects.select_related("product").get(pk=lid)
    except License.DoesNotExist:
        raise _not_found() from None
    if lic.machine_id != payload.get("mid"):
        raise _not_found()
    return lic, payload


@dataclass(frozen=True)
class Validation:
    license: LicenseState
    valid: bool
    error: str = ""
    message: str = ""


def license_validate(
    *, machine_id: str, license_key: str, origin: Origin = SYSTEM, rate_limit: limits.Counter | None = None
) -> Validation:
    """The hot path of the license server (every app start). One Redis round trip counts
    the request against `rate_limit` (RateLimited beyond it), buffers its record and
    tells whether the license changed since this process last read it (licenses.hotpath,
    state_cache); the signature check is remembered per process. A SELECT only when the
    license changed, is new to this process, or Redis cannot be reached."""
    try:
        payload, lid = _key_payload(license_key)
    except LicenseError:
        limits.enforce_counter(rate_limit)  # refused keys count too
        raise
    now = timezone.now()
    hit = hotpath.validation_hit(
        counter=rate_limit, license_id=lid, machine_id=str(payload.get("mid", "")), at=now, origin=origin
    )
    lic = state_cache.lookup(lid, hit.token) if hit.fresh else None
    if lic is None:
        lic = license_state(license_id=lid)
        if lic is not None and hit.fresh:
            state_cache.remember(lid, hit.token, lic)
    if lic is None or lic.machine_id != payload.get("mid"):
        raise _not_found()
    if not hit.recorded:
        recording.write_now(license_id=lic.pk, at=now, origin=origin)
    if payload.get("mid") != machine_id:
        return Validation(lic, False, "MACHINE_MISMATCH", _("Cette licence appartient à une autre machine."))
    if lic.is_revoked:
        return Validation(lic, False, "LICENSE_REVOKED", _("Cette licence a été révoquée."))
    if lic.is_expired(now):
        message = _("Votre licence a expiré le %(date)s") % {"date": timezone.localdate(lic.expires_at).isoformat()}
        return Validation(lic, False, "LICENSE_EXPIRED", message)
    return Validation(lic, True)


def license_heartbeat(
    *, machine_id: str, license_key: str, app_version: str, os_info: str, origin: Origin = SYSTEM
) -> License:
    lic, payload = _license_from_key(license_key)
    if payload.get("mid") != machine_id:
        raise LicenseError("MACHINE_MISMATCH", _("Cette licence appartient à une autre machine."))
    now = timezone.now()
    License.objects.filter(pk=lic.pk).update(last_heartbeat_at=now, app_version=app_version[:20], os_info=os_info[:200])
    lic.last_heartbeat_at = now
    _log(lic, LicenseEvent.Action.HEARTBEAT, origin, os_info=os_info)
    return lic


# --- admin actions ---------------------------------------------------------------


@transaction.atomic
def license_revoke(*, license: License, reason: str = "", origin: Origin = SYSTEM) -> License:
    lic = License.objects.select_for_update().select_related("product").get(pk=license.pk)
    if lic.is_revoked:
        return lic
    lic.is_revoked, lic.revoked_at, lic.revoked_reason = True, timezone.now(), reason
    lic.save(update_fields=["is_revoked", "revoked_at", "revoked_reason"])
    _log(lic, LicenseEvent.Action.REVOKED, origin, reason=reason)
    webhooks.emit(event="license.revoked", license=lic)
    return lic


@transaction.atomic
def license_reinstate(*, license: License, origin: Origin = SYSTEM) -> License:
    lic = License.objects.select_for_update().select_related("product").get(pk=license.pk)
    if not lic.is_revoked:
        return lic
    lic.is_revoked, lic.revoked_at, lic.revoked_reason = False, None, ""
    lic.save(update_fields=["is_revoked", "revoked_at", "revoked_reason"])
    _log(lic, LicenseEvent.Action.REINSTATED, origin)
    return lic


@transaction.atomic
def license_extend(*, license: License, days: int, origin: Origin = SYSTEM) -> License:
    if days <= 0:
        raise ValueError("days must be positive")
    lic = License.objects.select_for_update().select_related("product").get(pk=license.pk)
    if lic.expires_at is None:
        return lic
    lic.expires_at = max(lic.expires_at, timezone.now()) + timedelta(days=days)
    _issue_key(lic)
    lic.save(update_fields=["expires_at", "license_key", "key_id"])
    _log(lic, LicenseEvent.Action.EXTENDED, origin, days=days)
    return lic


# What staff may correct on a license by hand. Everything else is either in the signed
# key (product, machine, type, expiry: changed by activate/extend so the key is re-signed),
# the revocation (revoke/reinstate) or written by the desktop app.
LICENSE_EDITABLE = frozenset({"email"})


@transaction.atomic
def license_update(*, license: License, changes: dict, origin: Origin) -> LicenseEvent | None:
    """Staff correct a license's customer fields (the e-mail the reminders go to).

    Writes only the fields that really change and appends an "edited" activity row with
    each one's old and new value and who did it. Returns that row, or None when nothing
    changed. Emits no webhook: no event of the webhook contract covers an e-mail change.
    """
    cleaned = dict(changes)
    if "email" in cleaned:
        # Stored lower-case like the API stores it: the per-e-mail trial cap and the
        # admin search compare e-mails.
        cleaned["email"] = cleaned["email"].strip().lower()
    lic, diffs = fields_apply(obj=license, changes=cleaned, editable=LICENSE_EDITABLE)
    if not diffs:
        return None
    return _log(lic, LicenseEvent.Action.EDITED, origin, **{c.name: [c.old, c.new] for c in diffs})


def _new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


@transaction.atomic
def activation_codes_generate(
    *,
    product: Product,
    license_type: str,
    duration_days: int | None,
    count: int,
    expires_at: datetime | None = None,
    notes: str = "",
    created_by=None,
) -> list[ActivationCode]:
    if license_type not in PAID_TYPES:
        raise LicenseError(
            "INVALID_REQUEST",
            _("Type de licence invalide."),
            details={"license_type": _("monthly, annual ou lifetime")},
        )
    if license_type == LicenseType.LIFETIME:
        duration_days = None
    elif not duration_days or duration_days <= 0:
        raise LicenseError(
            "INVALID_REQUEST",
            _("Durée invalide."),
            details={"duration_days": _("Doit être supérieure à zéro.")},
        )
    if not 1 <= count <= 1000:
        raise LicenseError(
            "INVALID_REQUEST",
            _("Entre 1 et 1000 codes à la fois."),
            details={"count": _("Entre 1 et 1000.")},
        )
    codes = [
        ActivationCode(
            code=_new_code(),
            product=product,
            license_type=license_type,
            duration_days=duration_days,
            expires_at=expires_at,
            notes=notes,
            created_by=created_by,
        )
        for _ in range(count)
    ]
    # 80 random bits per code: a collision would fail the whole batch loudly (unique index).
    return ActivationCode.objects.bulk_create(codes)
