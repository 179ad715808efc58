import threading
import time

import pytest

from payments import registry
from payments.registry import BasePaymentHandler

from .stripe_helpers import configure_stripe

DOMAIN = "tests.order"


class RecordingHandler(BasePaymentHandler):
    """A domain for the tests: remembers each call (thread-safe, for the races) and can
    be told to fail, as a domain whose database write raised."""

    def __init__(self):
        self.calls: list[tuple] = []
        self.fail_with: Exception | None = None
        # Seconds each call takes: widens the window a race would need.
        self.delay = 0.0
        self._lock = threading.Lock()

    def _record(self, name, checkout, amount=None) -> str:
        if self.fail_with is not None:
            raise self.fail_with
        time.sleep(self.delay)
        with self._lock:
            self.calls.append((name, checkout.reference, amount))
        return f"{name} {amount.amount if amount else ''}".strip()

    def on_paid(self, *, checkout, amount, event):
        return self._record("paid", checkout, amount)

    def on_pending(self, *, checkout, event):
        return self._record("pending", checkout)

    def on_failed(self, *, checkout, event):
        return self._record("failed", checkout)

    def on_expired(self, *, checkout, event):
        return self._record("expired", checkout)

    def on_refund(self, *, checkout, amount, event):
        return self._record("refund", checkout, amount)

    def on_dispute(self, *, checkout, amount, event):
        return self._record("dispute", checkout, amount)

    def named(self, name: str) -> list[tuple]:
        return [call for call in self.calls if call[0] == name]


@pytest.fixture(autouse=True)
def stripe_keys(settings):
    configure_stripe(settings)


@pytest.fixture
def handler():
    recording = RecordingHandler()
    registry.register(DOMAIN, recording)
    yield recording
    registry.unregister(DOMAIN)
