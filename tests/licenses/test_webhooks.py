"""Outgoing webhooks, against a real HTTP server on 127.0.0.1."""

import hashlib
import hmac
import json
import socket
import threading
import time
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from celery.exceptions import Retry
from django.db import connection, transaction
from django.utils import timezone

from licenses import webhooks
from licenses.models import WebhookDelivery, WebhookEndpoint
from licenses.services import license_revoke, license_trial_create
from licenses.tasks import deliver_webhook
from licenses.webhooks import backoff_seconds, verify_signature, webhook_deliver

from .factories import ProductFactory

pytestmark = pytest.mark.django_db

SECRET = "whsec-test-0123456789"


class Receiver:
    """A webhook receiver: records every request and answers the queued statuses (then 200)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        # Called in the server thread for each request, before answering.
        self.on_request = None
        self.url = ""

    def answer(self, *statuses: int) -> "Receiver":
        self.statuses.extend(statuses)
        return self


@pytest.fixture
def receiver():
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            # self.headers is case-insensitive, like any HTTP receiver (urllib sends "X-ef-event").
            state.requests.append({"path": self.path, "headers": self.headers, "body": body})
            if state.on_request:
                state.on_request()
            status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "/elsewhere")
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if status < 300 else b"boom")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/ef"
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def ef_product(db):
    return ProductFactory()


def make_endpoint(url, **kw):
    return WebhookEndpoint.objects.create(url=url, secret=SECRET, **kw)


def make_delivery(endpoint, payload=None, event="license.created"):
    payload = payload or {"event": event, "data": {"id": 1, "email": "élodie@example.com"}}
    return WebhookDelivery.objects.create(endpoint=endpoint, event=event, payload=payload)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- signature -------------------------------------------------------------------


def test_signature_is_hmac_sha256_over_timestamp_and_body():
    body = b'{"event":"license.created"}'
    header = webhooks.sign(secret=SECRET, body=body, timestamp=1700000000)
    expected = hmac.new(SECRET.encode(), b"1700000000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"


def test_verify_signature_accepts_valid_and_rejects_tampering_and_replays():
    body = '{"event":"license.revoked","data":{"email":"élodie@example.com"}}'.encode()
    now = int(time.time())
    header = webhooks.sign(secret=SECRET, body=body, timestamp=now)

    assert verify_signature(SECRET, header, body)
    assert verify_signature(SECRET, header, body.decode())  # str bodies are UTF-8 encoded
    assert not verify_signature(SECRET, header, body.replace(b"revoked", b"created"))
    assert not verify_signature("another-secret", header, body)
    assert not verify_signature(SECRET, header.replace(f"t={now}", f"t={now + 1}"), body)
    assert not verify_signature(SECRET, "", body)
    assert not verify_signature(SECRET, "t=abc,v1=00", body)

    old = now - 301
    assert not verify_signature(SECRET, webhooks.sign(secret=SECRET, body=body, timestamp=old), body)
    assert verify_signature(SECRET, webhooks.sign(secret=SECRET, body=body, timestamp=old), body, tolerance=600)
    future = now + 301
    assert not verify_signature(SECRET, webhooks.sign(secret=SECRET, body=body, timestamp=future), body)

    # During a secret rotation the sender may include several signatures.
    rotated = f"{header},v1={'0' * 64}"
    assert verify_signature(SECRET, rotated, body)


def test_backoff_is_exponential_and_capped():
    assert [backoff_seconds(n) for n in range(1, 6)] == [30, 60, 120, 240, 480]
    assert backoff_seconds(50) == webhooks.BACKOFF_MAX_SECONDS


# --- delivery --------------------------------------------------------------------


def test_delivery_posts_signed_compact_utf8_json(receiver):
    delivery = make_delivery(make_endpoint(receiver.url))

    outcome = webhook_deliver(delivery_id=delivery.pk)

    assert outcome.sent and outcome.status == "delivered" and outcome.status_code == 200
    [request] = receiver.requests
    headers, body = request["headers"], request["body"]
    assert request["path"] == "/hooks/ef"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-EF-Event"] == "license.created"
    assert headers["X-EF-Delivery"] == str(delivery.event_id)
    assert abs(int(headers["X-EF-Timestamp"]) - time.time()) < 10
    assert headers["X-EF-Signature"].startswith(f"t={headers['X-EF-Timestamp']},v1=")
    assert verify_signature(SECRET, headers["X-EF-Signature"], body)
    # Compact separators, accents as UTF-8 rather than \u escapes (key order is the stored JSONB's).
    assert json.loads(body) == delivery.payload
    assert b": " not in body and b", " not in body
    assert '"email":"élodie@example.com"'.encode() in body

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.attempts == 1 and delivery.last_status_code == 200 and delivery.last_error == ""
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None


def test_500_then_200_fails_once_then_the_retry_delivers(receiver):
    receiver.answer(500, 200)
    delivery = make_delivery(make_endpoint(receiver.url))

    first = webhook_deliver(delivery_id=delivery.pk)

    assert not first.sent and first.status == "failed" and first.retry_in == 30
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == 1 and delivery.last_status_code == 500
    assert "HTTP 500" in delivery.last_error and "boom" in delivery.last_error
    assert delivery.delivered_at is None
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=20)

    second = webhook_deliver(delivery_id=delivery.pk)

    assert second.sent
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.attempts == 2 and delivery.last_status_code == 200 and delivery.last_error == ""
    assert delivery.delivered_at is not None
    # Same delivery id on both attempts (receivers dedupe on it), a fresh signature each time.
    ids = {r["headers"]["X-EF-Delivery"] for r in receiver.requests}
    assert ids == {str(delivery.event_id)} and len(receiver.requests) == 2
    for request in receiver.requests:
        assert verify_signature(SECRET, request["headers"]["X-EF-Signature"], request["body"])


def test_task_records_the_failure_and_schedules_a_retry_with_backoff(receiver):
    receiver.answer(500, 500)
    delivery = make_delivery(make_endpoint(receiver.url))

    # Eager mode propagates the Retry the task raises; its `when` is the countdown.
    with pytest.raises(Retry) as retry:
        deliver_webhook.apply(args=[delivery.pk])
    assert retry.value.when == 30

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED and delivery.attempts == 1

    with pytest.raises(Retry) as retry:
        deliver_webhook.apply(args=[delivery.pk])
    assert retry.value.when == 60

    assert deliver_webhook.apply(args=[delivery.pk]).get() == "delivered"
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED and delivery.attempts == 3


def test_unreachable_endpoint_records_the_error():
    delivery = make_delivery(make_endpoint(f"http://127.0.0.1:{free_port()}/hook"))

    outcome = webhook_deliver(delivery_id=delivery.pk)

    assert not outcome.sent and outcome.retry_in == 30
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED and delivery.attempts == 1
    assert delivery.last_status_code is None
    assert "URLError" in delivery.last_error and "refused" in delivery.last_error.lower()


def test_redirect_is_a_failed_attempt_not_followed(receiver):
    receiver.answer(302)
    delivery = make_delivery(make_endpoint(receiver.url))

    webhook_deliver(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED and delivery.last_status_code == 302
    assert [r["path"] for r in receiver.requests] == ["/hooks/ef"]


def test_a_delivered_row_is_not_sent_again(receiver):
    delivery = make_delivery(make_endpoint(receiver.url))

    assert deliver_webhook.apply(args=[delivery.pk]).get() == "delivered"
    assert deliver_webhook.apply(args=[delivery.pk]).get() == "delivered"
    assert webhook_deliver(delivery_id=delivery.pk).sent is False

    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1


def test_an_attempt_in_flight_is_not_claimed_twice(receiver):
    delivery = make_delivery(make_endpoint(receiver.url))
    # What a first worker's claim leaves while its request is in flight.
    assert webhooks._claim(delivery.pk)

    outcome = webhook_deliver(delivery_id=delivery.pk)

    assert not outcome.sent and outcome.retry_in is None
    assert receiver.requests == []
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PENDING and delivery.attempts == 1


def test_an_abandoned_claim_can_be_taken_over_once_its_lease_expires(receiver):
    delivery = make_delivery(make_endpoint(receiver.url))
    assert webhooks._claim(delivery.pk)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))

    assert webhook_deliver(delivery_id=delivery.pk).sent
    assert len(receiver.requests) == 1


def test_gives_up_after_the_maximum_number_of_attempts(receiver, settings):
    settings.LICENSE_WEBHOOK_MAX_ATTEMPTS = 3
    receiver.answer(500, 500, 503)
    delivery = make_delivery(make_endpoint(receiver.url))

    outcomes = [webhook_deliver(delivery_id=delivery.pk) for _ in range(3)]

    assert [o.status for o in outcomes] == ["failed", "failed", "gave_up"]
    assert [o.retry_in for o in outcomes] == [30, 60, None]
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.GAVE_UP
    assert delivery.attempts == 3 and delivery.last_status_code == 503 and delivery.next_attempt_at is None
    # Neither the service nor the task touches a row that was given up.
    assert webhook_deliver(delivery_id=delivery.pk).sent is False
    assert deliver_webhook.apply(args=[delivery.pk]).get() == "gave_up"
    assert len(receiver.requests) == 3


def test_task_stops_retrying_once_it_gives_up(receiver, settings):
    settings.LICENSE_WEBHOOK_MAX_ATTEMPTS = 1
    receiver.answer(500)
    delivery = make_delivery(make_endpoint(receiver.url))

    assert deliver_webhook.apply(args=[delivery.pk]).get() == "gave_up"
    assert len(receiver.requests) == 1


@pytest.mark.django_db(transaction=True)
def test_the_http_call_happens_outside_any_transaction_after_the_claim_is_committed(receiver):
    delivery = make_delivery(make_endpoint(receiver.url))
    seen = {}
    worker_connection = connection  # the caller's (thread-local) connection, inspected from the server thread

    def during_request():
        seen["in_atomic_block"] = worker_connection.in_atomic_block
        # A separate connection (this thread's) sees the claim: it was committed before the call.
        try:
            row = WebhookDelivery.objects.values("status", "attempts", "next_attempt_at").get(pk=delivery.pk)
            seen["row"] = row
        finally:
            transaction.get_connection().close()

    receiver.on_request = during_request

    assert webhook_deliver(delivery_id=delivery.pk).sent

    assert seen["in_atomic_block"] is False
    assert seen["row"]["status"] == "pending" and seen["row"]["attempts"] == 1
    assert seen["row"]["next_attempt_at"] > timezone.now()


# --- emit ------------------------------------------------------------------------


def test_emit_targets_only_active_endpoints_subscribed_to_the_event(receiver, ef_product):
    everything = make_endpoint(receiver.url + "?all")
    created_only = make_endpoint(receiver.url + "?created", events=["license.created"])
    make_endpoint(receiver.url + "?revoked", events=["license.revoked"])
    make_endpoint(receiver.url + "?inactive", is_active=False)

    lic = license_trial_create(product_slug="easyfacture", machine_id=uuid.uuid4().hex, email="a@example.com")

    rows = WebhookDelivery.objects.filter(event="license.created")
    assert {d.endpoint_id for d in rows} == {everything.pk, created_only.pk}
    for d in rows:
        assert d.payload["event"] == "license.created"
        assert d.payload["data"]["id"] == lic.pk and d.payload["data"]["machine_id"] == lic.machine_id
        assert d.payload["data"]["product"] == "easyfacture"


def test_deliveries_are_sent_only_after_commit(receiver, ef_product, django_capture_on_commit_callbacks):
    make_endpoint(receiver.url)
    lic = license_trial_create(product_slug="easyfacture", machine_id=uuid.uuid4().hex, email="b@example.com")
    WebhookDelivery.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        license_revoke(license=lic, reason="chargeback")
    [delivery] = WebhookDelivery.objects.filter(event="license.revoked")
    assert len(callbacks) == 1
    assert receiver.requests == [] and delivery.status == WebhookDelivery.Status.PENDING

    callbacks[0]()

    [request] = receiver.requests
    assert request["headers"]["X-EF-Event"] == "license.revoked"
    assert json.loads(request["body"])["data"]["is_revoked"] is True
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED


def test_a_rolled_back_change_sends_nothing(receiver, ef_product, django_capture_on_commit_callbacks):
    make_endpoint(receiver.url)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        license_trial_create(product_slug="easyfacture", machine_id=uuid.uuid4().hex, email="c@example.com")
        raise RuntimeError("business error after the emit")
    assert callbacks == []
    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


@pytest.mark.django_db
def test_a_delivery_whose_enqueue_was_lost_is_sent_by_the_sweeper(receiver):
    from datetime import timedelta

    from django.utils import timezone

    from licenses.webhooks import webhooks_requeue_stuck

    delivery = make_delivery(make_endpoint(receiver.url))
    assert webhooks_requeue_stuck() == 0  # too recent: its task may still be queued
    WebhookDelivery.objects.update(created_at=timezone.now() - timedelta(minutes=30))
    assert webhooks_requeue_stuck() == 1
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and len(receiver.requests) == 1
    assert webhooks_requeue_stuck() == 0
