"""Fixtures for the end-to-end tests that drive a real headless Chromium through Playwright.

The system Chromium at /usr/bin/chromium is used (never a downloaded browser). Without it
the browser tests are skipped, unless REQUIRE_BROWSER=1 asks for them to fail instead
(for CI, where a silently skipped journey would hide a regression).
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEFAULT_TIMEOUT_MS = 10_000


def _unavailable(reason: str):
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def _allow_async_unsafe():
    """Playwright's sync API keeps an asyncio event loop running in the main thread, which
    makes Django refuse ORM calls from the test body and the database flush
    ("SynchronousOnlyOperation"). Allow them only while the browser is up: set for the
    whole session, the variable would leak into other tests (and the subprocesses they
    start, where `check --deploy` rejects it)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="module")
def chromium(_allow_async_unsafe):
    """One headless Chromium per test module, closed (with its event loop) afterwards."""
    if not CHROMIUM.exists():
        _unavailable(f"Chromium not found at {CHROMIUM}: browser tests need the system Chromium")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError as exc:  # pragma: no cover - playwright is in the dev requirements
        _unavailable(f"playwright is not installed: {exc}")

    expect.set_options(timeout=DEFAULT_TIMEOUT_MS)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_context(chromium, live_server):
    """Factory for isolated browser contexts (own cookies: a customer and a staff member)
    pointed at the live server. Every response with a 5xx status is recorded in
    `context.server_errors` so a test can assert the server never crashed."""
    contexts = []

    def make(**options):
        options = {"base_url": live_server.url, "locale": "fr-FR", "timezone_id": "Africa/Casablanca", **options}
        context = chromium.new_context(**options)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        errors = context.server_errors = []

        def record_server_error(response):
            if response.status >= 500:
                errors.append(f"{response.status} {response.request.method} {response.url}")

        context.on("response", record_server_error)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
