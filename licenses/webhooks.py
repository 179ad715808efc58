"""Outgoing webhooks: license.created, license.activated, license.revoked, license.expired.

`emit()` records one WebhookDelivery per subscribed endpoint inside the business
transaction; the `licenses.deliver_webhook` task sends it after commit through
`webhook_deliver()`, retrying failures with exponential backoff.

Every request is signed: X-EF-Signature is "t=<unix>,v1=<hex>" where the hex is
HMAC-SHA256(endpoint secret, "<unix>.<raw body>"). Receivers check it with
`verify_signature()` (or its equivalent in their language) and reject requests whose
timestamp is too old, which defeats replays of a captured request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import License, WebhookDelivery, WebhookEndpoint
from .serializers import license_json

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-EF-Signature"
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 6 * 3600
# How much of a failed response body is kept in last_error (enough to diagnose, not a dump).
ERROR_BODY_CHARS = 500


def emit(*, event: str, license: License) -> list[WebhookDelivery]:
    """Record one delivery per active endpoint subscribed to `event`; each is sent after commit."""
    now = timezone.now()
    payload = {"event": event, "created_at": now.isoformat(), "data": license_json(license)}
    deliveries = [
        WebhookDelivery.objects.create(endpoint=endpoint, event=event, payload=payload)
        for endpoint in WebhookEndpoint.objects.filter(is_active=True).order_by("pk")
        if endpoint.wants(event)
    ]
    from .tasks import deliver_webhook

    for delivery in deliveries:
        # Enqueued only after commit: a worker must never see an id whose row does not
        # exist yet, and a rolled-back license change must not be announced. robust=True:
        # the business change is committed by then, so a broker hiccup is logged rather
        # than turned into an error for the caller; the row stays pending for a re-run.
        transaction.on_commit(lambda pk=delivery.pk: deliver_webhook.delay(pk), robust=True)
    return deliveries


# --- signature -------------------------------------------------------------------


def body_bytes(payload: dict) -> bytes:
    """The exact bytes sent and signed: compact JSON, UTF-8 (no \\u escapes for accents)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _hmac_hex(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(*, secret: str, body: bytes, timestamp: int) -> str:
    """The X-EF-Signature header value for `body` sent at `timestamp` (unix seconds)."""
    return f"t={timestamp},v1={_hmac_hex(secret, timestamp, body)}"


def verify_signature(
    secret: str, header: str, body: bytes | str, tolerance: int = 300, now: float | None = None
) -> bool:
    """True if `header` (X-EF-Signature) signs `body` with `secret` within `tolerance` seconds.

    `body` must be the raw request body, byte for byte: re-serialising parsed JSON would
    change it. Several v1= values are accepted so that a secret can be rotated.
    """
    if isinstance(body, str):
        body = body.encode("utf-8")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in (header or "").split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if name == "t":
            try:
                timestamp = int(value)
            except ValueError:
                return False
        elif name == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    # Both directions: an old timestamp is a replay, a far-future one a forged clock.
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = _hmac_hex(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)


# --- delivery --------------------------------------------------------------------


def backoff_seconds(attempt: int) -> int:
    """Delay before the attempt following failed attempt number `attempt` (1-based): 30 s, 1 min, 2 min..."""
    return min(BACKOFF_BASE_SECONDS * 2 ** max(attempt - 1, 0), BACKOFF_MAX_SECONDS)


@dataclass(frozen=True)
class DeliveryOutcome:
    """What one call to webhook_deliver() did. `retry_in` is set when the caller should try again."""

    sent: bool
    status: str
    status_code: int | None = None
    error: str = ""
    retry_in: int | None = None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # urllib would follow a 301/302 on a POST as a GET without the body (and to wherever
    # the receiver points): a redirect is reported as a failed attempt instead.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST and return the HTTP status; a non-2xx answer raises urllib.error.HTTPError."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"unsupported URL scheme: {url!r}")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (scheme checked)
    with _opener.open(request, timeout=timeout) as response:
        # Drain a little so the server sees a clean close; the content is not used.
        response.read(ERROR_BODY_CHARS)
        return response.status


def _claim(delivery_id: int) -> bool:
    """Take the row for one attempt with a conditional UPDATE.

    The model has no "sending" status, so the claim puts the row back to pending and
    sets next_attempt_at to a lease slightly longer than one attempt can take. A second
    run (a duplicate message, a retry racing a late original) waits for the first
    UPDATE's row lock, then matches nothing: it neither sends nor counts an attempt.
    A worker killed mid-attempt only blocks the row until the lease runs out.
    """
    now = timezone.now()
    lease = timedelta(seconds=settings.LICENSE_WEBHOOK_TIMEOUT + 60)
    claimable = Q(status=WebhookDelivery.Status.FAILED) | Q(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now), status=WebhookDelivery.Status.PENDING
    )
    return bool(
        WebhookDelivery.objects.filter(claimable, pk=delivery_id).update(
            status=WebhookDelivery.Status.PENDING, attempts=F("attempts") + 1, next_attempt_at=now + lease
        )
    )


def webhook_deliver(*, delivery_id: int) -> DeliveryOutcome:
    """Make one attempt at sending a delivery and record its outcome on the row.

    Deliberately not atomic: the claim and the outcome are committed on their own
    (autocommit), so the HTTP call, which can take up to LICENSE_WEBHOOK_TIMEOUT
    seconds, never holds a transaction or row lock open, and the claim is visible to
    any concurrent run while the request is in flight.
    """
    if not _claim(delivery_id):
        current = WebhookDelivery.objects.filter(pk=delivery_id).values_list("status", flat=True).first()
        logger.info("webhook delivery %s not claimed (status %s): skipped", delivery_id, current)
        return DeliveryOutcome(sent=False, status=current or "missing")

    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    body = body_bytes(delivery.payload)
    # Signed at each attempt: a retry hours later carries a fresh timestamp, so receivers
    # can keep a short replay tolerance.
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "EasyFacture-Webhooks/1",
        "X-EF-Event": delivery.event,
        "X-EF-Delivery": str(delivery.event_id),
        "X-EF-Timestamp": str(timestamp),
        SIGNATURE_HEADER: sign(secret=delivery.endpoint.secret, body=body, timestamp=timestamp),
    }
    status_code: int | None = None
    error = ""
    started = time.monotonic()
    try:
        status_code = _post(delivery.endpoint.url, body, headers, settings.LICENSE_WEBHOOK_TIMEOUT)
    except urllib.error.HTTPError as exc:
        status_code = exc.code
        try:
            detail = exc.read(ERROR_BODY_CHARS).decode("utf-8", "replace")
        except Exception:  # the body is only diagnostic: never let reading it mask the status
            detail = ""
        error = f"HTTP {exc.code} {exc.reason}: {detail}".strip().rstrip(":")
    except Exception as exc:  # DNS, refused, timeout, TLS...: all a failed attempt, recorded below
        error = f"{type(exc).__name__}: {exc}"
    elapsed_ms = int((time.monotonic() - started) * 1000)

    now = timezone.now()
    rows = WebhookDelivery.objects.filter(pk=delivery_id)
    if status_code is not None and 200 <= status_code < 300:
        rows.update(
            status=WebhookDelivery.Status.DELIVERED,
            delivered_at=now,
            last_status_code=status_code,
            last_error="",
            next_attempt_at=None,
        )
        logger.info(
            "webhook delivery %s (%s, attempt %s) to %s: HTTP %s in %s ms",
            delivery_id,
            delivery.event,
            delivery.attempts,
            delivery.endpoint.url,
            status_code,
            elapsed_ms,
        )
        return DeliveryOutcome(sent=True, status=WebhookDelivery.Status.DELIVERED, status_code=status_code)

    error = error[:2000]
    if delivery.attempts >= settings.LICENSE_WEBHOOK_MAX_ATTEMPTS:
        status, retry_in = WebhookDelivery.Status.GAVE_UP, None
        next_attempt_at = None
    else:
        status, retry_in = WebhookDelivery.Status.FAILED, backoff_seconds(delivery.attempts)
        # Informational (shown in the admin): the retry is scheduled by the task, and a
        # failed row can be claimed at any time.
        next_attempt_at = now + timedelta(seconds=retry_in)
    rows.update(status=status, last_status_code=status_code, last_error=error, next_attempt_at=next_attempt_at)
    logger.warning(
        "webhook delivery %s (%s, attempt %s/%s) to %s failed in %s ms: %s -> %s",
        delivery_id,
        delivery.event,
        delivery.attempts,
        settings.LICENSE_WEBHOOK_MAX_ATTEMPTS,
        delivery.endpoint.url,
        elapsed_ms,
        error,
        status,
    )
    return DeliveryOutcome(sent=False, status=status, status_code=status_code, error=error, retry_in=retry_in)


def webhooks_requeue_stuck(*, grace_minutes: int = 10) -> int:
    """Re-enqueue deliveries that no worker is taking care of.

    A delivery is enqueued after commit; if the broker was down at that moment, or a
    worker died with the task, nothing else would ever send it. Re-enqueueing is safe:
    the claim in webhook_deliver() lets only one run send.
    """
    from .tasks import deliver_webhook

    cutoff = timezone.now() - timedelta(minutes=grace_minutes)
    stuck = WebhookDelivery.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=cutoff),
        status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.FAILED],
        created_at__lte=cutoff,
    ).values_list("pk", flat=True)
    ids = list(stuck[:1000])
    for pk in ids:
        deliver_webhook.delay(pk)
    return len(ids)
