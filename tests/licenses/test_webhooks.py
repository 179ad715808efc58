"""Outgoing webhooks, against a real HTTP server on 127.0.0.1."""

import hashlib
import hmac
import ipaddress
import json
import socket
import threading
import time
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from celery.exceptions import Retry
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from core import netguard
from core.delivery import claim
from licenses import webhooks
from licenses.models import WebhookDelivery, WebhookEndpoint
from licenses.services import license_revoke, license_trial_create
from licenses.tasks import deliver_webhook
from licenses.webhooks import verify_signature, webhook_deliver, webhooks_requeue_stuck
from tests.concurrency import run_at_once

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
        self.port = 0
        # Where a 3xx answer points.
        self.location = ""

    def answer(self, *statuses: int) -> "Receiver":
        self.statuses.extend(statuses)
        return self


def start_receiver(host="127.0.0.1") -> tuple[Receiver, ThreadingHTTPServer, threading.Thread]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            # self.headers is case-insensitive, like any HTTP receiver.
            state.requests.append({"path": self.path, "headers": self.headers, "body": body})
            if state.on_request:
                state.on_request()
            status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", state.location or "/elsewhere")
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if status < 300 else b"boom: internal details")

        def log_message(self, *args):
            pass

    server_class = ThreadingHTTPServer
    if ":" in host:
        server_class = type("IPv6Server", (ThreadingHTTPServer,), {"address_family": socket.AF_INET6})
    server = server_class((host, 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.port = server.server_address[1]
    state.url = f"http://{f'[{host}]' if ':' in host else host}:{state.port}/hooks/ef"
    return state, server, thread


@pytest.fixture
def receivers():
    """Starts local receivers on demand (no SSRF exemption: see `receiver`) and stops them."""
    started = []

    def start(host="127.0.0.1") -> Receiver:
        state, server, thread = start_receiver(host)
        started.append((server, thread))
        return state

    yield start
    for server, thread in started:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def allow_local_receiver(settings, receiver: Receiver) -> None:
    # Webhooks refuse non-public addresses and ports other than 80/443: a receiver on this
    # machine is reachable only through these explicit settings.
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    settings.WEBHOOK_ALLOWED_PORTS = [*settings.WEBHOOK_ALLOWED_PORTS, receiver.port]


@pytest.fixture
def receiver(receivers, settings):
    """A receiver on 127.0.0.1 that webhooks are explicitly allowed to reach."""
    state = receivers()
    allow_local_receiver(settings, state)
    return state


@pytest.fixture
def ef_product(db):
    return ProductFactory()


def make_endpoint(url, **kw):
    return WebhookEndpoint.objects.create(url=url, secret=SECRET, **kw)


def make_delivery(endpoint, payload=None, event="license.created"):
    payload = payload or {"event": event, "data": {"id": 1, "email": "élodie@example.com"}}
    return WebhookDelivery.objects.create(endpoint=endpoint, event=event, payload=payload)


def make_due(delivery):
    """Skip the backoff wait: the scheduled retry is due now."""
    WebhookDelivery.objects.filter(pk=delivery.pk, status="retrying").update(next_attempt_at=timezone.now())


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


# --- delivery --------------------------------------------------------------------


def test_delivery_posts_signed_compact_utf8_json(receiver):
    delivery = make_delivery(make_endpoint(receiver.url))

    outcome = webhook_deliver(delivery_id=delivery.pk)

    assert outcome.sent and outcome.status == "sent" and outcome.status_code == 200
    [request] = receiver.requests
    headers, body = request["headers"], request["body"]
    assert request["path"] == "/hooks/ef"
    assert headers["Host"] == f"127.0.0.1:{receiver.port}"
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
    assert delivery.status == WebhookDelivery.Status.SENT
    assert delivery.attempts == 1 and delivery.last_status_code == 200 and delivery.last_error == ""
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None and delivery.lease_until is None


def test_500_then_200_fails_once_then_the_retry_delivers(receiver):
    receiver.answer(500, 200)
    delivery = make_delivery(make_endpoint(receiver.url))

    first = webhook_deliver(delivery_id=delivery.pk)

    assert not first.sent and first.status == "retrying" and first.retry_in == 30 and first.status_code == 500
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.RETRYING
    assert delivery.attempts == 1 and delivery.last_status_code == 500
    # The status code and a short error class are kept; the receiver's body is not.
    assert delivery.last_error == "http_error"
    assert delivery.delivered_at is None
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=20)
    # Not due yet: a second run does nothing.
    assert webhook_deliver(delivery_id=delivery.pk).sent is False
    make_due(delivery)

    second = webhook_deliver(delivery_id=delivery.pk)

    assert second.sent
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SENT
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
    assert delivery.status == WebhookDelivery.Status.RETRYING and delivery.attempts == 1

    make_due(delivery)
    with pytest.raises(Retry) as retry:
        deliver_webhook.apply(args=[delivery.pk])
    assert retry.value.when == 60

    make_due(delivery)
    assert deliver_webhook.apply(args=[delivery.pk]).get() == "sent"
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SENT and delivery.attempts == 3


def test_unreachable_endpoint_records_the_error(settings):
    port = free_port()
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    settings.WEBHOOK_ALLOWED_PORTS = [port]
    delivery = make_delivery(make_endpoint(f"http://127.0.0.1:{port}/hook"))

    outcome = webhook_deliver(delivery_id=delivery.pk)

    assert not outcome.sent and outcome.retry_in == 30
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.RETRYING and delivery.attempts == 1
    assert delivery.last_status_code is None and delivery.last_error == "connection_refused"


def test_redirect_is_a_failed_attempt_not_followed(receiver):
    receiver.answer(302)
    delivery = make_delivery(make_endpoint(receiver.url))

    webhook_deliver(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.RETRYING and delivery.last_status_code == 302
    assert delivery.last_error == "redirect"
    assert [r["path"] for r in receiver.requests] == ["/hooks/ef"]


def test_a_delivered_row_is_not_sent_again(receiver):
    delivery = make_delivery(make_endpoint(receiver.url))

    assert deliver_webhook.apply(args=[delivery.pk]).get() == "sent"
    assert deliver_webhook.apply(args=[delivery.pk]).get() == "sent"
    assert webhook_deliver(delivery_id=delivery.pk).sent is False

    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1


def test_an_attempt_in_flight_is_not_claimed_twice(receiver):
    delivery = make_delivery(make_endpoint(receiver.url))
    # What a first worker's claim leaves while its request is in flight.
    assert claim(WebhookDelivery, delivery.pk)

    outcome = webhook_deliver(delivery_id=delivery.pk)

    assert not outcome.sent and outcome.retry_in is None
    assert receiver.requests == []
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SENDING and delivery.attempts == 1


def test_an_abandoned_claim_can_be_taken_over_once_its_lease_expires(receiver):
    delivery = make_delivery(make_endpoint(receiver.url))
    assert claim(WebhookDelivery, delivery.pk)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(lease_until=timezone.now() - timedelta(seconds=1))

    assert webhook_deliver(delivery_id=delivery.pk).sent
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.status == WebhookDelivery.Status.SENT


@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_the_same_webhook_post_it_once(receiver):
    delivery = make_delivery(make_endpoint(receiver.url))
    # The receiver is slow, so the first worker is still in flight when the second claims.
    receiver.on_request = lambda: time.sleep(0.3)
    outcomes = run_at_once(*[lambda: webhook_deliver(delivery_id=delivery.pk)] * 2)

    assert sorted(o.sent for o in outcomes) == [False, True]
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SENT and delivery.attempts == 1


def test_gives_up_after_the_maximum_number_of_attempts(receiver, settings):
    settings.LICENSE_WEBHOOK_MAX_ATTEMPTS = 3
    receiver.answer(500, 500, 503)
    delivery = make_delivery(make_endpoint(receiver.url))

    outcomes = []
    for _ in range(3):
        outcomes.append(webhook_deliver(delivery_id=delivery.pk))
        make_due(delivery)

    assert [o.status for o in outcomes] == ["retrying", "retrying", "failed"]
    assert [o.retry_in for o in outcomes] == [30, 60, None]
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == 3 and delivery.last_status_code == 503 and delivery.next_attempt_at is None
    # Neither the service, the task nor the sweeper touches a row that was given up.
    assert webhook_deliver(delivery_id=delivery.pk).sent is False
    assert deliver_webhook.apply(args=[delivery.pk]).get() == "failed"
    WebhookDelivery.objects.update(created_at=timezone.now() - timedelta(hours=1))
    assert webhooks_requeue_stuck() == 0
    assert len(receiver.requests) == 3


def test_task_stops_retrying_once_it_gives_up(receiver, settings):
    settings.LICENSE_WEBHOOK_MAX_ATTEMPTS = 1
    receiver.answer(500)
    delivery = make_delivery(make_endpoint(receiver.url))

    assert deliver_webhook.apply(args=[delivery.pk]).get() == "failed"
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
            row = WebhookDelivery.objects.values("status", "attempts", "lease_until").get(pk=delivery.pk)
            seen["row"] = row
        finally:
            transaction.get_connection().close()

    receiver.on_request = during_request

    assert webhook_deliver(delivery_id=delivery.pk).sent

    assert seen["in_atomic_block"] is False
    assert seen["row"]["status"] == "sending" and seen["row"]["attempts"] == 1
    assert seen["row"]["lease_until"] > timezone.now()


# --- only public addresses (SSRF) ------------------------------------------------


def fake_dns(monkeypatch, answers: dict[str, list[str]]):
    """Replace the resolver: each name answers the given addresses; records the lookups."""
    lookups = []

    def resolve(host, port):
        lookups.append(host)
        return [ipaddress.ip_address(a) for a in answers[host]]

    monkeypatch.setattr(netguard, "resolve", resolve)
    return lookups


def assert_blocked_without_a_request(delivery, *receivers_that_must_stay_silent):
    outcome = webhook_deliver(delivery_id=delivery.pk)

    # Final: retrying would get the same answer.
    assert not outcome.sent and outcome.status == "failed" and outcome.retry_in is None
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED and delivery.last_error == "blocked_address"
    assert delivery.attempts == 1 and delivery.last_status_code is None
    for silent in receivers_that_must_stay_silent:
        assert silent.requests == []


def test_a_delivery_to_127_0_0_1_is_refused(receivers, settings):
    local = receivers()
    settings.WEBHOOK_ALLOWED_PORTS = [local.port]  # the port is allowed: the address is what is refused

    assert_blocked_without_a_request(make_delivery(make_endpoint(local.url)), local)


def test_a_delivery_to_ipv6_loopback_is_refused(receivers, settings):
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        local = receivers("::1")
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    settings.WEBHOOK_ALLOWED_PORTS = [local.port]

    assert_blocked_without_a_request(make_delivery(make_endpoint(local.url)), local)


def test_a_name_resolving_to_a_private_address_is_refused(monkeypatch):
    fake_dns(monkeypatch, {"hooks.example.com": ["10.1.2.3"]})

    assert_blocked_without_a_request(make_delivery(make_endpoint("https://hooks.example.com/ef")))


def test_a_name_resolving_to_public_and_private_addresses_is_refused(monkeypatch):
    fake_dns(monkeypatch, {"hooks.example.com": ["93.184.215.14", "169.254.169.254"]})

    assert_blocked_without_a_request(make_delivery(make_endpoint("https://hooks.example.com/ef")))


def test_localhost_by_name_is_refused(receivers, settings):
    local = receivers()
    settings.WEBHOOK_ALLOWED_PORTS = [local.port]

    endpoint = make_endpoint(f"http://localhost:{local.port}/hooks/ef")
    assert_blocked_without_a_request(make_delivery(endpoint), local)


def test_a_port_other_than_80_and_443_is_refused(receiver, settings):
    # Even a receiver allowed as a private target is refused on a port not in the list.
    settings.WEBHOOK_ALLOWED_PORTS = [80, 443]

    assert_blocked_without_a_request(make_delivery(make_endpoint(receiver.url)), receiver)


def test_a_redirect_towards_a_private_address_is_not_followed(receivers, settings):
    internal = receivers()
    front = receivers()
    allow_local_receiver(settings, front)
    front.answer(307)
    front.location = internal.url

    outcome = webhook_deliver(delivery_id=make_delivery(make_endpoint(front.url)).pk)

    assert not outcome.sent and outcome.status_code == 307 and outcome.error == "redirect"
    assert len(front.requests) == 1 and internal.requests == []


def test_the_request_goes_to_the_checked_address_even_if_dns_changes(receiver, settings, monkeypatch):
    # DNS rebinding: the name answers a "public" address when checked, then a private one.
    # Here the local receiver stands for the public server.
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    answers = iter([["127.0.0.1"], ["10.0.0.1"], ["10.0.0.1"]])
    lookups = []

    def resolve(host, port):
        lookups.append(host)
        return [ipaddress.ip_address(a) for a in next(answers)]

    monkeypatch.setattr(netguard, "resolve", resolve)
    real_is_public = netguard.is_public_address
    monkeypatch.setattr(netguard, "is_public_address", lambda ip: str(ip) == "127.0.0.1" or real_is_public(ip))
    delivery = make_delivery(make_endpoint(f"http://hooks.example.com:{receiver.port}/hooks/ef"))

    assert webhook_deliver(delivery_id=delivery.pk).sent

    # One lookup, and the request reached the address it returned, with the name as Host.
    assert lookups == ["hooks.example.com"]
    [request] = receiver.requests
    assert request["headers"]["Host"] == f"hooks.example.com:{receiver.port}"


def test_private_and_odd_port_urls_are_refused_when_saved(monkeypatch):
    fake_dns(monkeypatch, {"hooks.example.com": ["93.184.215.14"], "intranet.example.com": ["192.168.1.10"]})

    def errors(url):
        try:
            WebhookEndpoint(url=url, secret=SECRET).full_clean()
        except ValidationError as exc:
            return exc.message_dict.get("url", [])
        return []

    assert errors("https://hooks.example.com/ef") == []
    assert errors("http://hooks.example.com/ef") == []
    for url in [
        "http://127.0.0.1/hook",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://169.254.169.254/latest/meta-data",
        "https://intranet.example.com/hook",
        "https://hooks.example.com:8443/ef",
        "http://100.64.0.1/hook",
        "http://0.0.0.0/hook",
    ]:
        assert errors(url), url


@pytest.mark.parametrize("address", ["10.0.0.1", "169.254.169.254", "192.168.1.1", "fd00::1"])
def test_the_local_receiver_setting_opens_loopback_only(address, receiver, settings, monkeypatch):
    # given: the setting the local receiver needs, and a name answering a private address
    assert settings.WEBHOOK_ALLOW_LOOPBACK
    fake_dns(monkeypatch, {"hooks.example.com": [address]})
    url = f"http://hooks.example.com:{receiver.port}/ef"

    # then: refused when saved...
    with pytest.raises(ValidationError, match="adresse non publique"):
        WebhookEndpoint(url=url, secret=SECRET).full_clean()
    # ...and when delivered (the endpoint saved before the DNS answer changed)
    assert_blocked_without_a_request(make_delivery(make_endpoint(url)), receiver)


def test_the_admin_form_explains_why_a_url_is_refused(staff_client):
    response = staff_client.post(
        reverse("admin:licenses_webhookendpoint_add"),
        {"url": "http://127.0.0.1/hook", "secret": "shared-secret", "is_active": "on"},
    )

    assert response.status_code == 200
    assert "adresse non publique" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


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
    # the webhook's delivery, and the license's new state token (licenses.state_cache)
    assert len(callbacks) == 2
    assert receiver.requests == [] and delivery.status == WebhookDelivery.Status.PENDING

    for callback in callbacks:
        callback()

    [request] = receiver.requests
    assert request["headers"]["X-EF-Event"] == "license.revoked"
    assert json.loads(request["body"])["data"]["is_revoked"] is True
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SENT


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


def test_a_delivery_whose_enqueue_was_lost_is_sent_by_the_sweeper(receiver):
    delivery = make_delivery(make_endpoint(receiver.url))
    assert webhooks_requeue_stuck() == 0  # too recent: its task may still be queued
    WebhookDelivery.objects.update(created_at=timezone.now() - timedelta(minutes=30))
    assert webhooks_requeue_stuck() == 1
    delivery.refresh_from_db()
    assert delivery.status == "sent" and len(receiver.requests) == 1
    assert webhooks_requeue_stuck() == 0


def test_a_name_that_does_not_resolve_is_retried_not_blocked(monkeypatch):
    endpoint = make_endpoint("https://hooks.example.com/ef")

    def no_answer(host, port):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(netguard, "resolve", no_answer)

    outcome = webhook_deliver(delivery_id=make_delivery(endpoint).pk)

    assert outcome.status == "retrying" and outcome.error == "dns_error" and outcome.retry_in == 30


def test_a_failed_delivery_can_be_retried_now(receiver, settings, django_capture_on_commit_callbacks):
    settings.LICENSE_WEBHOOK_MAX_ATTEMPTS = 1
    receiver.answer(500)
    delivery = make_delivery(make_endpoint(receiver.url))
    assert webhook_deliver(delivery_id=delivery.pk).status == "failed"

    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks.webhooks_retry_now(delivery_ids=[delivery.pk]) == [delivery.pk]

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SENT and delivery.attempts == 1
    assert len(receiver.requests) == 2


def test_staff_retry_a_failed_delivery_from_the_admin(
    receiver, staff_client, settings, django_capture_on_commit_callbacks
):
    # given a delivery that gave up, and one already sent
    settings.LICENSE_WEBHOOK_MAX_ATTEMPTS = 1
    receiver.answer(500)
    endpoint = make_endpoint(receiver.url)
    failed = make_delivery(endpoint)
    assert webhook_deliver(delivery_id=failed.pk).status == "failed"
    sent = make_delivery(endpoint)
    assert webhook_deliver(delivery_id=sent.pk).status == "sent"
    changelist = reverse("admin:licenses_webhookdelivery_changelist")
    assert "Réessayer maintenant" in staff_client.get(changelist).content.decode()

    # when staff run "Réessayer maintenant" on both
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            changelist, {"action": "retry_now", "_selected_action": [failed.pk, sent.pk]}, follow=True
        )

    # then the failed one is sent again, the sent one is left alone
    page = response.content.decode()
    assert "1 livraison remise en file d&#x27;envoi." in page and "1 livraison ignorée" in page
    failed.refresh_from_db()
    assert failed.status == "sent" and failed.attempts == 1
    assert len(receiver.requests) == 3
    assert LogEntry.objects.filter(object_id=str(failed.pk), user=staff_client.user).exists()


def test_retrying_a_delivery_needs_the_change_permission(client, django_user_model):
    viewer = django_user_model.objects.create_user(username="viewer", password="pw-viewer-123", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_webhookdelivery"))
    client.force_login(viewer)
    failed = make_delivery(make_endpoint("https://hooks.example.com/ef"))
    WebhookDelivery.objects.filter(pk=failed.pk).update(status="failed")
    changelist = reverse("admin:licenses_webhookdelivery_changelist")

    assert "Réessayer maintenant" not in client.get(changelist).content.decode()
    client.post(changelist, {"action": "retry_now", "_selected_action": [failed.pk]})

    failed.refresh_from_db()
    assert failed.status == "failed"
