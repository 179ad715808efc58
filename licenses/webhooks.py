"""Outgoing webhooks: license.created, license.activated, license.revoked, license.expired.

`emit()` records one WebhookDelivery per subscribed endpoint inside the business
transaction; the `licenses.deliver_webhook` task sends it after commit through
`webhook_deliver()`, retrying failures with exponential backoff (core.delivery), to
public addresses only (core.netguard). Only the receiver's status code and a short
error class are recorded, never its response body.

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
from dataclasses import replace

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core import delivery, netguard

from .models import License, WebhookDelivery, WebhookEndpoint, webhook_target
from .serializers import license_json

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-EF-Signature"


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

    for row in deliveries:
        # Enqueued only after commit: a worker must never see an id whose row does not
        # exist yet, and a rolled-back license change must not be announced. robust=True:
        # the business change is committed by then, so a broker hiccup is logged rather
        # than turned into an error for the caller; the row stays pending for a re-run.
        transaction.on_commit(lambda pk=row.pk: deliver_webhook.delay(pk), robust=True)
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


def webhook_deliver(*, delivery_id: int) -> delivery.Outcome:
    """Make one attempt at sending a delivery and record its outcome on the row.

    The claim, lease, attempts and backoff are core.delivery's. Deliberately not atomic:
    the claim and the outcome are committed on their own (autocommit), so the HTTP call,
    which can take up to LICENSE_WEBHOOK_TIMEOUT seconds, never holds a transaction or
    row lock open, and the claim is visible to any concurrent run while it is in flight.

    The endpoint's URL is checked again here, after DNS resolution, and the request
    goes to the address that was checked (core.netguard): a URL saved when its name
    pointed to a public address cannot be turned against the internal network later.
    A blocked address fails the delivery for good: retrying would not change the answer.
    """
    row = delivery.claim(WebhookDelivery, delivery_id)
    if row is None:
        status = delivery.current_status(WebhookDelivery, delivery_id)
        logger.info("webhook delivery %s not claimed (status %s): skipped", delivery_id, status)
        return delivery.Outcome(sent=False, status=status)

    endpoint = WebhookEndpoint.objects.get(pk=row.endpoint_id)
    body = body_bytes(row.payload)
    # Signed at each attempt: a retry hours later carries a fresh timestamp, so receivers
    # can keep a short replay tolerance.
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "EasyFacture-Webhooks/1",
        "X-EF-Event": row.event,
        "X-EF-Delivery": str(row.event_id),
        "X-EF-Timestamp": str(timestamp),
        SIGNATURE_HEADER: sign(secret=endpoint.secret, body=body, timestamp=timestamp),
    }
    status_code: int | None = None
    error = ""
    started = time.monotonic()
    try:
        target = webhook_target(endpoint.url)
        status_code = netguard.post(target, body=body, headers=headers, timeout=settings.LICENSE_WEBHOOK_TIMEOUT)
    except Exception as exc:  # blocked, DNS, refused, timeout, TLS...: all a failed attempt, recorded below
        error = netguard.error_class(exc)
        detail = exc.message if isinstance(exc, netguard.BlockedAddress) else exc
        logger.warning("webhook delivery %s to %s: %s (%s)", delivery_id, endpoint.url, error, detail)
    elapsed_ms = int((time.monotonic() - started) * 1000)

    if status_code is not None and 200 <= status_code < 300:
        outcome = delivery.succeed(row, delivered_at=timezone.now(), last_status_code=status_code)
        logger.info(
            "webhook delivery %s (%s, attempt %s) to %s: HTTP %s in %s ms",
            delivery_id,
            row.event,
            row.attempts,
            endpoint.url,
            status_code,
            elapsed_ms,
        )
        return replace(outcome, status_code=status_code)

    if status_code is not None:
        # A redirect is not followed (it could point anywhere, including inside our network).
        error = "redirect" if 300 <= status_code < 400 else "http_error"
    outcome = delivery.fail(row, error=error, permanent=error == netguard.BLOCKED, last_status_code=status_code)
    logger.warning(
        "webhook delivery %s (%s, attempt %s/%s) to %s failed in %s ms: %s %s -> %s",
        delivery_id,
        row.event,
        row.attempts,
        settings.LICENSE_WEBHOOK_MAX_ATTEMPTS,
        endpoint.url,
        elapsed_ms,
        error,
        status_code or "",
        outcome.status,
    )
    return replace(outcome, status_code=status_code)


def webhooks_requeue_stuck(*, grace_minutes: int = 10) -> int:
    """Re-enqueue deliveries no worker is taking care of (see core.delivery.requeue_due)."""
    from .tasks import deliver_webhook

    return delivery.requeue_due(WebhookDelivery, enqueue=deliver_webhook.delay, grace_minutes=grace_minutes)


def webhooks_retry_now(*, delivery_ids: list[int]) -> list[int]:
    """Staff's "retry now" for failed or retrying deliveries: a fresh set of attempts,
    sent after commit. Returns the ids that were reset."""
    from .tasks import deliver_webhook

    return delivery.retry_now(WebhookDelivery, ids=delivery_ids, enqueue=deliver_webhook.delay)
