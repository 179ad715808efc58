"""The EasyFacture desktop license client (licenses/client/easyfacture_license.py).

Unit level: keys are signed here with a throw-away Ed25519 key in the exact server format;
online answers come from a tiny stdlib HTTP server on 127.0.0.1; "server down" is a port
on 127.0.0.1 that was bound then closed. The live tests at the end talk to the real
license API through pytest-django's live_server.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import json
import os
import socket
import stat
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from licenses.client import easyfacture_license as efl
from licenses.client.easyfacture_license import (
    InvalidLicenseKey,
    LicenseCache,
    LicenseClient,
    LicenseError,
    NoCachedLicense,
    Reason,
    ServerKeyMismatch,
    ServerUnreachable,
    verify_license_key,
)

MODULE_PATH = Path(efl.__file__)
NOW = 1_760_000_000  # 2025-10-09, the tests' "now"
DAY = 86400
MID = "0123456789abcdef0123456789abcdef"
OTHER_MID = "fedcba9876543210fedcba9876543210"
B64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


# --------------------------------------------------------------------------- helpers


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def raw_public_b64(private: Ed25519PrivateKey) -> str:
    raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def make_key(private: Ed25519PrivateKey, **overrides) -> str:
    """A key exactly as the server signs it: compact sorted JSON, no padding, signature over `EF1.<payload>`."""
    payload = {
        "lid": 42,
        "mid": MID,
        "prd": "easyfacture",
        "typ": "annual",
        "iat": NOW - 10 * DAY,
        "exp": NOW + 355 * DAY,
        "kid": "k1",
        **overrides,
    }
    signed = "EF1." + b64url(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    return f"{signed}.{b64url(private.sign(signed.encode('ascii')))}"


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


class Clock:
    def __init__(self, now: float = NOW):
        self.now = float(now)

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def private_key():
    return Ed25519PrivateKey.generate()


@pytest.fixture
def pinned(private_key):
    return {"k1": raw_public_b64(private_key)}


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def dead_url():
    """A port on 127.0.0.1 where nothing listens any more: connections are refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def cache_path(tmp_path):
    return tmp_path / "EasyFacture" / "license.json"


@pytest.fixture
def make_client(cache_path, pinned, clock, dead_url):
    def factory(url=None, **kwargs):
        options = {"cache_path": cache_path, "public_keys": pinned, "clock": clock, "timeout": 2, **kwargs}
        return LicenseClient(url or dead_url, **options)

    return factory


def seed_cache(path, key, *, last_online_check=NOW - DAY, max_server_time_seen=None, **extra):
    """What the client leaves after a good online answer."""
    decoded = efl.decode_license_key(key)
    LicenseCache(path).save(
        {
            "format": 1,
            "product": "easyfacture",
            "machine_id": decoded.machine_id,
            "license_key": key,
            "license_id": decoded.license_id,
            "license_type": decoded.license_type,
            "expires_at": iso(decoded.expires_at) if decoded.expires_at else None,
            "key_id": decoded.key_id,
            "last_online_check": last_online_check,
            "max_server_time_seen": max_server_time_seen if max_server_time_seen is not None else last_online_check,
            **extra,
        }
    )


# --------------------------------------------------------------------------- a fake license server


class FakeServer:
    """Routes `(method, path)` to `handler(json_body) -> (status, body, headers)`; records requests."""

    def __init__(self):
        self.routes = {}
        self.requests = []
        self.now = NOW  # the server's clock, sent in the Date header
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def date_time_string(self, timestamp=None):
                return formatdate(fake.now, usegmt=True)

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                fake.requests.append({"method": self.command, "path": self.path, "body": body, "headers": self.headers})
                route = fake.routes.get((self.command, self.path))
                if route is None:
                    status, payload, headers = 404, {"success": False, "error": "NOT_FOUND", "message": "?"}, {}
                else:
                    status, payload, headers = route(body)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                headers = {"Content-Type": "application/json", "X-Request-ID": "req-123", **headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(ConnectionError):  # the client gave up (timeout test)
                    self.wfile.write(data)

            do_GET = _handle
            do_POST = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.closed = False
        self.thread.start()

    def route(self, method, path, status, body, headers=None):
        self.routes[(method, f"/api/v1/licenses/{path}")] = lambda _req: (status, body, headers or {})

    def close(self):
        if self.closed:
            return
        self.closed = True
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    fake = FakeServer()
    yield fake
    fake.close()


def valid_answer(key, server_time=NOW, **extra):
    return {
        "success": True,
        "valid": True,
        "license_type": "annual",
        "expires_at": iso(NOW + 355 * DAY),
        "days_remaining": 355,
        "is_active": True,
        "customer_email": "client@example.com",
        "license_key": key,
        "server_time": iso(server_time),
        **extra,
    }


# --------------------------------------------------------------------------- key format and verification


def test_verify_license_key_accepts_a_key_in_the_server_format(private_key, pinned):
    key = make_key(private_key, typ="lifetime", exp=None)
    decoded = verify_license_key(key, pinned, machine_id=MID, product="easyfacture", now=NOW)
    assert (decoded.license_id, decoded.machine_id, decoded.license_type, decoded.expires_at) == (
        42,
        MID,
        "lifetime",
        None,
    )
    assert decoded.key_id == "k1"


def test_every_single_character_change_of_the_key_is_refused(private_key, pinned, make_client, cache_path, clock):
    key = make_key(private_key)
    client = make_client()
    seed_cache(cache_path, key)
    assert client.verify_offline(MID).valid
    for position, char in enumerate(key):
        replacement = "B" if char != "B" else "C"
        tampered = key[:position] + replacement + key[position + 1 :]
        with pytest.raises(InvalidLicenseKey) as excinfo:
            verify_license_key(tampered, pinned, machine_id=MID, product="easyfacture")
        assert excinfo.value.reason in {Reason.MALFORMED_KEY, Reason.INVALID_SIGNATURE, Reason.UNKNOWN_KEY_ID}
    # The unused low bits of the signature's last character: same bytes, refused all the same.
    signature_part = key.rsplit(".", 1)[1]
    for char in B64URL_ALPHABET:
        if char == signature_part[-1]:
            continue
        with pytest.raises(InvalidLicenseKey):
            verify_license_key(key[:-1] + char, pinned)


@pytest.mark.parametrize("part", [1, 2])
def test_flipping_any_bit_of_the_decoded_payload_or_signature_is_refused(private_key, pinned, part):
    key = make_key(private_key)
    parts = key.split(".")
    raw = base64.urlsafe_b64decode(parts[part] + "=" * (-len(parts[part]) % 4))
    for index in range(len(raw)):
        for bit in (0x01, 0x80):
            flipped = bytearray(raw)
            flipped[index] ^= bit
            tampered_parts = list(parts)
            tampered_parts[part] = b64url(bytes(flipped))
            with pytest.raises(InvalidLicenseKey) as excinfo:
                verify_license_key(".".join(tampered_parts), pinned)
            assert excinfo.value.reason in {Reason.MALFORMED_KEY, Reason.INVALID_SIGNATURE, Reason.UNKNOWN_KEY_ID}


def test_tampered_cached_key_is_refused_offline(private_key, make_client, cache_path):
    key = make_key(private_key, typ="monthly")
    header, payload, signature = key.split(".")
    forged = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged["typ"], forged["exp"] = "lifetime", None
    tampered = f"{header}.{b64url(json.dumps(forged, separators=(',', ':'), sort_keys=True).encode())}.{signature}"
    seed_cache(cache_path, tampered)
    status = make_client().check(MID)
    assert not status.valid
    assert status.reason == Reason.INVALID_SIGNATURE


def test_a_key_signed_by_another_private_key_is_refused(make_client, cache_path):
    seed_cache(cache_path, make_key(Ed25519PrivateKey.generate()))  # same kid "k1", other key
    assert make_client().verify_offline(MID).reason == Reason.INVALID_SIGNATURE


def test_a_key_id_that_is_not_pinned_is_refused(private_key, make_client, cache_path):
    seed_cache(cache_path, make_key(private_key, kid="k9"))
    status = make_client().verify_offline(MID)
    assert (status.valid, status.reason) == (False, Reason.UNKNOWN_KEY_ID)


def test_malformed_keys_are_refused(pinned):
    for bad in ["", "EF1", "EF1.a.b.c", "EF2.e30.AAAA", "EF1.e30.AAAA", "EF1.!!!.AAAA", "EF1.bnVsbA.AAAA", "é"]:
        with pytest.raises(InvalidLicenseKey) as excinfo:
            verify_license_key(bad, pinned)
        assert excinfo.value.reason == Reason.MALFORMED_KEY


# --------------------------------------------------------------------------- offline verification


def test_server_down_falls_back_to_the_offline_check_within_the_grace_period(private_key, make_client, cache_path):
    seed_cache(cache_path, make_key(private_key), last_online_check=NOW - 2 * DAY)
    status = make_client().check(MID)
    assert status.valid and bool(status)
    assert status.reason == Reason.OFFLINE_GRACE
    assert status.online is False
    assert "ServerUnreachable" in status.fallback_cause
    assert status.license_type == "annual"
    assert status.days_remaining == 355
    assert status.last_online_check == datetime.fromtimestamp(NOW - 2 * DAY, UTC)
    assert status.grace_expires_at == datetime.fromtimestamp(NOW + 5 * DAY, UTC)


def test_offline_grace_ends_after_seven_days(private_key, make_client, cache_path, clock):
    last = NOW - DAY
    seed_cache(cache_path, make_key(private_key), last_online_check=last)
    client = make_client()
    clock.now = last + 7 * DAY - 1
    assert client.check(MID).reason == Reason.OFFLINE_GRACE
    clock.now = last + 7 * DAY
    status = client.check(MID)
    assert (status.valid, status.reason) == (False, Reason.GRACE_EXPIRED)
    assert status.grace_expires_at == datetime.fromtimestamp(last + 7 * DAY, UTC)
    assert cache_path.exists()  # not forgotten: going online again fixes it


def test_grace_period_is_configurable(private_key, make_client, cache_path, clock):
    seed_cache(cache_path, make_key(private_key), last_online_check=NOW - 2 * DAY)
    assert make_client(grace_days=1).check(MID).reason == Reason.GRACE_EXPIRED
    assert make_client(grace_days=3).check(MID).reason == Reason.OFFLINE_GRACE


def test_no_grace_without_a_successful_online_check(private_key, make_client, cache_path):
    seed_cache(cache_path, make_key(private_key), last_online_check=None, max_server_time_seen=NOW - DAY)
    assert make_client().verify_offline(MID).reason == Reason.GRACE_EXPIRED


def test_clock_rolled_back_before_the_last_server_time_is_refused(private_key, make_client, cache_path, clock):
    seed_cache(cache_path, make_key(private_key), last_online_check=NOW - DAY, max_server_time_seen=NOW)
    client = make_client()
    clock.now = NOW - 299  # within the 5 minutes of allowed skew
    assert client.check(MID).valid
    clock.now = NOW - 301
    status = client.check(MID)
    assert (status.valid, status.reason) == (False, Reason.CLOCK_ROLLBACK)
    clock.now = NOW - 30 * DAY  # rolled back far, e.g. to stretch a trial
    assert client.check(MID).reason == Reason.CLOCK_ROLLBACK


def test_clock_rollback_before_the_signed_issue_time_is_refused_even_with_an_edited_cache(
    private_key, make_client, cache_path, clock
):
    # The user edits the cache (max_server_time_seen = 0, last check far back): the signed iat still counts.
    seed_cache(cache_path, make_key(private_key, iat=NOW), last_online_check=NOW - 40 * DAY, max_server_time_seen=0)
    clock.now = NOW - 39 * DAY
    assert make_client().check(MID).reason == Reason.CLOCK_ROLLBACK


def test_a_key_for_another_machine_is_refused(private_key, make_client, cache_path):
    seed_cache(cache_path, make_key(private_key, mid=OTHER_MID))
    status = make_client().check(MID)
    assert (status.valid, status.reason) == (False, Reason.MACHINE_MISMATCH)


def test_a_key_for_another_product_is_refused(private_key, make_client, cache_path):
    seed_cache(cache_path, make_key(private_key, prd="easystock"))
    assert make_client().verify_offline(MID).reason == Reason.WRONG_PRODUCT


def test_an_expired_key_is_refused_offline(private_key, make_client, cache_path, clock):
    seed_cache(cache_path, make_key(private_key, typ="trial", iat=NOW - 14 * DAY, exp=NOW - 60))
    status = make_client().check(MID)
    assert (status.valid, status.reason, status.days_remaining) == (False, Reason.LICENSE_EXPIRED, 0)
    assert cache_path.exists()  # offline: not forgotten (only the server's verdict forgets)


def test_a_lifetime_key_never_expires_but_still_needs_the_grace_period(private_key, make_client, cache_path, clock):
    seed_cache(cache_path, make_key(private_key, typ="lifetime", exp=None), last_online_check=NOW)
    client = make_client()
    clock.now = NOW + 6 * DAY
    status = client.check(MID)
    assert (status.valid, status.license_type, status.expires_at, status.days_remaining) == (
        True,
        "lifetime",
        None,
        None,
    )
    clock.now = NOW + 8 * DAY
    assert client.check(MID).reason == Reason.GRACE_EXPIRED


def test_no_cached_license(make_client, cache_path):
    client = make_client()
    status = client.check(MID)
    assert (status.valid, status.reason) == (False, Reason.NO_LICENSE)
    with pytest.raises(NoCachedLicense):
        client.validate(MID)
    with pytest.raises(NoCachedLicense):
        client.heartbeat(MID)


def test_a_corrupt_or_foreign_cache_is_ignored(private_key, make_client, cache_path):
    cache_path.parent.mkdir(parents=True)
    cache_path.write_text("{not json")
    assert make_client().check(MID).reason == Reason.NO_LICENSE
    seed_cache(cache_path, make_key(private_key), last_online_check="yesterday")
    assert make_client().check(MID).reason == Reason.NO_LICENSE
    seed_cache(cache_path, make_key(private_key), product="easystock")
    assert make_client().check(MID).reason == Reason.NO_LICENSE


def test_machine_id_is_checked_and_normalized(private_key, make_client, cache_path):
    seed_cache(cache_path, make_key(private_key))
    client = make_client()
    assert client.verify_offline(MID.upper()).valid
    with pytest.raises(ValueError):
        client.check("not-a-machine-id")


# --------------------------------------------------------------------------- the cache file


def test_cache_is_written_atomically_and_reloaded(tmp_path, monkeypatch):
    path = tmp_path / "deep" / "dir" / "license.json"
    cache = LicenseCache(path)
    replaced = []
    real_replace = os.replace

    def spy_replace(src, dst):
        replaced.append((Path(src), Path(dst), Path(src).read_text()))
        real_replace(src, dst)

    monkeypatch.setattr(efl.os, "replace", spy_replace)
    cache.save({"license_key": "EF1.a.b", "last_online_check": NOW})
    ((src, dst, content),) = replaced
    assert dst == path and src.parent == path.parent and src != path  # a temp file next to it, then renamed
    assert json.loads(content)["license_key"] == "EF1.a.b"
    assert LicenseCache(path).load() == {"license_key": "EF1.a.b", "last_online_check": NOW}
    assert sorted(p.name for p in path.parent.iterdir()) == ["license.json"]  # no temp file left
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_failed_write_leaves_the_previous_cache_intact(tmp_path, monkeypatch):
    path = tmp_path / "license.json"
    cache = LicenseCache(path)
    cache.save({"license_key": "old"})

    def broken_dump(data, fh, **kwargs):
        fh.write('{"license_key": "ne')  # half written, then the disk is full
        raise OSError("No space left on device")

    monkeypatch.setattr(efl.json, "dump", broken_dump)
    with pytest.raises(OSError, match="No space"):
        cache.save({"license_key": "new"})
    monkeypatch.undo()
    assert LicenseCache(path).load() == {"license_key": "old"}
    assert [p.name for p in tmp_path.iterdir()] == ["license.json"]


def test_cache_written_by_one_client_is_used_by_the_next_start(private_key, make_client, server, cache_path, clock):
    key = make_key(private_key)
    server.route("POST", "trial", 201, {"success": True, "license_key": key, "license_type": "trial"})
    make_client(server.url).request_trial(MID, "client@example.com")
    server.close()
    clock.now = NOW + DAY
    status = make_client().check(MID)  # a new process, server gone
    assert status.reason == Reason.OFFLINE_GRACE
    stored = json.loads(cache_path.read_text())
    assert {"license_key", "license_type", "expires_at", "last_online_check", "max_server_time_seen", "key_id"} <= set(
        stored
    )


# --------------------------------------------------------------------------- online, against a fake server


def test_request_trial_sends_the_contract_and_stores_the_key(private_key, make_client, server, cache_path):
    key = make_key(private_key, typ="trial", iat=NOW, exp=NOW + 14 * DAY)
    answer = {
        "success": True,
        "license_key": key,
        "license_type": "trial",
        "expires_at": iso(NOW + 14 * DAY),
        "days_remaining": 14,
        "message": "ok",
    }
    server.now = NOW + 5
    server.route("POST", "trial", 201, answer)
    client = make_client(server.url, app_version="1.6.0", os_info="Windows-11")
    assert client.request_trial(MID, "client@example.com") == answer
    request = server.requests[0]
    assert request["body"] == {
        "machine_id": MID,
        "email": "client@example.com",
        "product": "easyfacture",
        "version": "1.6.0",
    }
    assert request["headers"]["Content-Type"] == "application/json"
    assert "EasyFacture/1.6.0 (Windows-11)" in request["headers"]["User-Agent"]
    cached = client.cached_license
    assert cached["license_key"] == key
    assert cached["license_type"] == "trial"
    assert cached["key_id"] == "k1"
    assert cached["last_online_check"] == NOW + 5  # the server's Date header, not the local clock
    assert cached["max_server_time_seen"] == NOW + 5


def test_trial_already_exists_raises_a_typed_error(make_client, server, cache_path):
    envelope = {
        "success": False,
        "error": "TRIAL_ALREADY_EXISTS",
        "message": "A trial already exists for this machine.",
        "existing_license": {"expires_at": iso(NOW + DAY), "days_remaining": 1},
        "details": {},
        "timestamp": iso(NOW),
        "request_id": "req-409",
    }
    server.route("POST", "trial", 409, envelope)
    with pytest.raises(LicenseError) as excinfo:
        make_client(server.url).request_trial(MID, "client@example.com")
    error = excinfo.value
    assert (error.code, error.status, error.request_id) == ("TRIAL_ALREADY_EXISTS", 409, "req-409")
    assert error.message == "A trial already exists for this machine."
    assert error.payload["existing_license"]["days_remaining"] == 1
    assert not cache_path.exists()


def test_activate_posts_the_code_and_stores_the_lifetime_key(private_key, make_client, server):
    key = make_key(private_key, typ="lifetime", exp=None, iat=NOW)
    server.route(
        "POST",
        "activate",
        200,
        {"success": True, "license_key": key, "license_type": "lifetime", "expires_at": None, "days_remaining": None},
    )
    client = make_client(server.url)
    client.activate(MID, " EF-ABCD-EFGH ", "client@example.com")
    assert server.requests[0]["body"] == {
        "machine_id": MID,
        "activation_code": "EF-ABCD-EFGH",
        "email": "client@example.com",
    }
    assert client.cached_license["license_type"] == "lifetime"
    server.route("POST", "activate", 404, {"success": False, "error": "INVALID_ACTIVATION_CODE", "message": "?"})
    with pytest.raises(LicenseError) as excinfo:
        client.activate(MID, "nope", "client@example.com")
    assert excinfo.value.code == "INVALID_ACTIVATION_CODE"
    assert client.cached_license["license_key"] == key  # a failed activation does not touch the cache


def test_online_valid_answer_refreshes_the_cache(private_key, make_client, server, cache_path, clock):
    key = make_key(private_key)
    seed_cache(cache_path, key, last_online_check=NOW - 6 * DAY)
    server.route("POST", "validate", 200, valid_answer(key, server_time=NOW + 30))
    status = make_client(server.url).check(MID)
    assert (status.valid, status.reason, status.online) == (True, Reason.VALID, True)
    assert status.days_remaining == 355
    assert status.expires_at == datetime.fromtimestamp(NOW + 355 * DAY, UTC)
    assert server.requests[0]["body"] == {"machine_id": MID, "license_key": key}
    cached = json.loads(cache_path.read_text())
    assert cached["last_online_check"] == NOW + 30  # server time from the answer
    assert cached["max_server_time_seen"] == NOW + 30


def test_validate_replaces_the_cached_key_with_the_reissued_one(private_key, make_client, server, cache_path):
    old = make_key(private_key, typ="monthly", exp=NOW + 3 * DAY)
    new = make_key(private_key, typ="monthly", iat=NOW, exp=NOW + 33 * DAY)
    seed_cache(cache_path, old)
    server.route("POST", "validate", 200, valid_answer(new, license_type="monthly"))
    make_client(server.url).validate(MID)
    assert json.loads(cache_path.read_text())["license_key"] == new


def test_a_reissued_key_that_cannot_be_verified_does_not_replace_a_good_one(
    private_key, make_client, server, cache_path
):
    old = make_key(private_key)
    unverifiable = make_key(Ed25519PrivateKey.generate(), kid="k2")
    seed_cache(cache_path, old)
    server.route("POST", "validate", 200, valid_answer(unverifiable))
    assert make_client(server.url).check(MID).valid
    assert json.loads(cache_path.read_text())["license_key"] == old


@pytest.mark.parametrize(
    ("status_code", "answer", "reason"),
    [
        (
            200,
            {
                "success": True,
                "valid": False,
                "error": "LICENSE_REVOKED",
                "message": "Revoked.",
                "server_time": iso(NOW),
            },
            "LICENSE_REVOKED",
        ),
        (
            200,
            {
                "success": True,
                "valid": False,
                "error": "LICENSE_EXPIRED",
                "message": "Expired.",
                "expired_at": iso(NOW - DAY),
                "renewal_url": "https://example.com/renew",
                "server_time": iso(NOW),
            },
            "LICENSE_EXPIRED",
        ),
        (404, {"success": False, "error": "LICENSE_NOT_FOUND", "message": "Unknown."}, "LICENSE_NOT_FOUND"),
    ],
)
def test_revoked_expired_or_unknown_license_forgets_the_cache(
    private_key, make_client, server, cache_path, status_code, answer, reason
):
    seed_cache(cache_path, make_key(private_key))
    server.route("POST", "validate", status_code, answer)
    client = make_client(server.url)
    status = client.check(MID)
    assert (status.valid, status.reason, status.online) == (False, reason, True)
    assert not cache_path.exists()
    if reason == "LICENSE_EXPIRED":
        assert status.renewal_url == "https://example.com/renew"
        assert status.expires_at == datetime.fromtimestamp(NOW - DAY, UTC)
    # Forgotten for good: the next start (even offline) has no license.
    assert make_client().check(MID).reason == Reason.NO_LICENSE


@pytest.mark.parametrize("reason", ["bad_signature", "unknown_key"])
def test_a_signature_failure_on_the_server_that_the_pinned_key_contradicts_keeps_the_license_offline(
    private_key, make_client, server, cache_path, reason
):
    # The server lost or replaced its signing key: it cannot verify a key we verify.
    seed_cache(cache_path, make_key(private_key))
    answer = {"success": False, "error": "LICENSE_NOT_FOUND", "message": "?", "details": {"reason": reason}}
    server.route("POST", "validate", 404, answer)
    client = make_client(server.url)

    with pytest.raises(ServerKeyMismatch) as excinfo:
        client.validate(MID)
    status = client.check(MID)

    assert excinfo.value.details == {"reason": reason} and excinfo.value.status == 404
    assert (status.valid, status.reason, status.online) == (True, Reason.OFFLINE_GRACE, False)
    assert "ServerKeyMismatch" in status.fallback_cause
    assert cache_path.exists()


@pytest.mark.parametrize(
    ("reason", "signed_by_pinned_key"),
    [("bad_signature", False), ("unknown_key", False), ("malformed", True), (None, True)],
)
def test_a_license_the_server_does_not_know_is_still_forgotten(
    private_key, make_client, server, cache_path, reason, signed_by_pinned_key
):
    # Either the local signature fails too, or the server gives no signature reason.
    key = make_key(private_key if signed_by_pinned_key else Ed25519PrivateKey.generate())
    seed_cache(cache_path, key)
    details = {"reason": reason} if reason else {}
    answer = {"success": False, "error": "LICENSE_NOT_FOUND", "message": "?", "details": details}
    server.route("POST", "validate", 404, answer)

    status = make_client(server.url).check(MID)

    assert (status.valid, status.reason, status.online) == (False, "LICENSE_NOT_FOUND", True)
    assert not cache_path.exists()


def test_machine_mismatch_from_the_server_is_invalid_but_keeps_the_cache(private_key, make_client, server, cache_path):
    seed_cache(cache_path, make_key(private_key))
    answer = {"success": True, "valid": False, "error": "MACHINE_MISMATCH", "message": "?", "server_time": iso(NOW + 9)}
    server.route("POST", "validate", 200, answer)
    status = make_client(server.url).check(MID)
    assert (status.valid, status.reason) == (False, "MACHINE_MISMATCH")
    cached = json.loads(cache_path.read_text())
    assert cached["max_server_time_seen"] == NOW + 9  # a time seen from the server, still noted
    assert cached["last_online_check"] == NOW - DAY  # but not a successful check


@pytest.mark.parametrize(
    ("status_code", "body", "headers"),
    [
        (500, {"success": False, "error": "INTERNAL_ERROR", "message": "boom"}, {}),
        (503, b"<html>maintenance</html>", {"Content-Type": "text/html"}),
        (502, b"", {}),
        (200, b"<html>captive portal</html>", {"Content-Type": "text/html"}),
        (302, b"", {"Location": "http://127.0.0.1:1/elsewhere"}),
        (429, {"success": False, "error": "RATE_LIMIT_EXCEEDED", "message": "slow", "retry_after": 60}, {}),
    ],
)
def test_server_errors_fall_back_to_the_offline_check(
    private_key, make_client, server, cache_path, status_code, body, headers
):
    seed_cache(cache_path, make_key(private_key))
    server.route("POST", "validate", status_code, body, headers)
    status = make_client(server.url).check(MID)
    assert (status.valid, status.reason, status.online) == (True, Reason.OFFLINE_GRACE, False)
    assert status.fallback_cause
    assert cache_path.exists()


def test_5xx_and_timeouts_raise_server_unreachable(private_key, make_client, server, cache_path):
    seed_cache(cache_path, make_key(private_key))
    server.route("POST", "validate", 503, {"success": False, "error": "DOWN"})
    with pytest.raises(ServerUnreachable) as excinfo:
        make_client(server.url).validate(MID)
    assert (excinfo.value.status, excinfo.value.request_id) == (503, "req-123")

    def slow(_body):
        time.sleep(1.5)
        return 200, valid_answer(make_key(private_key)), {}

    server.routes[("POST", "/api/v1/licenses/validate")] = slow
    started = time.monotonic()
    status = make_client(server.url, timeout=0.3).check(MID)
    assert time.monotonic() - started < 1.4
    assert status.reason == Reason.OFFLINE_GRACE
    assert "timed out" in status.fallback_cause


def test_rate_limit_error_exposes_retry_after(make_client, server):
    server.route(
        "POST",
        "trial",
        429,
        {"success": False, "error": "RATE_LIMIT_EXCEEDED", "message": "Too many requests."},
        {"Retry-After": "120"},
    )
    with pytest.raises(LicenseError) as excinfo:
        make_client(server.url).request_trial(MID, "client@example.com")
    assert (excinfo.value.code, excinfo.value.status, excinfo.value.retry_after) == ("RATE_LIMIT_EXCEEDED", 429, 120)


def test_heartbeat_sends_version_and_os_and_treats_429_as_a_no_op(private_key, make_client, server, cache_path):
    key = make_key(private_key)
    seed_cache(cache_path, key)
    server.route("POST", "heartbeat", 200, {"success": True, "message": "ok", "last_check": iso(NOW)})
    client = make_client(server.url, app_version="1.6.2", os_info="Linux-6.1")
    assert client.heartbeat(MID) is True
    assert server.requests[-1]["body"] == {
        "machine_id": MID,
        "license_key": key,
        "app_version": "1.6.2",
        "os_info": "Linux-6.1",
    }
    server.route("POST", "heartbeat", 429, {"success": False, "error": "RATE_LIMIT_EXCEEDED", "retry_after": 86000})
    assert client.heartbeat(MID) is False
    server.close()
    with pytest.raises(ServerUnreachable):
        client.heartbeat(MID)


def test_public_key_fetch_and_memory_only_trust(private_key, make_client, server, cache_path, pinned):
    public = raw_public_b64(private_key)
    server.route(
        "GET",
        "public-key",
        200,
        {
            "algorithm": "Ed25519",
            "key_id": "k1",
            "public_key": public,
            "keys": [{"key_id": "k1", "public_key": public}],
        },
    )
    assert make_client(server.url).fetch_public_keys() == {"k1": public}

    key = make_key(private_key)
    server.route("POST", "trial", 201, {"success": True, "license_key": key, "license_type": "trial"})
    unpinned = make_client(server.url, public_keys={}, allow_key_fetch=True)
    unpinned.request_trial(MID, "client@example.com")
    assert unpinned.verify_offline(MID).valid  # fetched key, in memory
    assert "public" not in cache_path.read_text().lower()  # never written where the user could swap it
    assert make_client(public_keys={}).verify_offline(MID).reason == Reason.UNKNOWN_KEY_ID  # next start


def test_plain_http_is_only_allowed_to_the_loopback_address(cache_path):
    with pytest.raises(ValueError, match="https"):
        LicenseClient("http://licenses.example.com", cache_path=cache_path)
    with pytest.raises(ValueError):
        LicenseClient("ftp://127.0.0.1", cache_path=cache_path)
    LicenseClient("https://licenses.example.com", cache_path=cache_path)
    LicenseClient("http://localhost:8000", cache_path=cache_path)


# --------------------------------------------------------------------------- stand-alone module


def test_the_module_uses_only_the_standard_library_and_cryptography():
    tree = ast.parse(MODULE_PATH.read_text())
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports: the file must work on its own"
            roots.add(node.module.split(".")[0])
    assert roots - set(sys.stdlib_module_names) == {"cryptography"}


def test_the_module_imports_on_its_own_without_django(tmp_path):
    copy = tmp_path / "easyfacture_license.py"
    copy.write_bytes(MODULE_PATH.read_bytes())
    code = (
        "import sys, easyfacture_license as m; "
        "assert 'django' not in sys.modules and 'licenses' not in sys.modules; "
        "print(m.LicenseClient.__name__)"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "LicenseClient"


# --------------------------------------------------------------------------- live: the real license API


class LiveClock:
    """The real time (the live server's), plus an offset the test moves forward or back."""

    def __init__(self):
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def live(live_server, tmp_path, dead_url):
    from licenses.models import Product

    Product.objects.get_or_create(slug="easyfacture", defaults={"name": "EasyFacture"})
    url = live_server.url.replace("localhost", "127.0.0.1")
    # The test fetches the public key to pin it; the application ships it pinned instead.
    pinned = LicenseClient(url, cache_path=tmp_path / "unused.json").fetch_public_keys()
    assert pinned
    clock = LiveClock()
    cache = tmp_path / "license.json"

    class Live:
        pass

    live = Live()
    live.url, live.pinned, live.clock, live.cache = url, pinned, clock, cache
    live.client = LicenseClient(url, cache_path=cache, public_keys=pinned, clock=clock, os_info="Test-OS")
    live.offline = LicenseClient(dead_url, cache_path=cache, public_keys=pinned, clock=clock, timeout=2)
    return live


def _license(machine_id=MID):
    from licenses.models import License

    return License.objects.select_related("product").get(machine_id=machine_id)


@pytest.mark.django_db(transaction=True)
def test_live_trial_validate_offline_grace_then_revocation(live):
    answer = live.client.request_trial(MID, "client@example.com")
    assert answer["license_type"] == "trial"
    assert answer["days_remaining"] == 30
    key = efl.decode_license_key(answer["license_key"])
    assert (key.machine_id, key.product, key.license_type) == (MID, "easyfacture", "trial")
    assert live.client.verify_offline(MID).valid  # the server's key verifies with the pinned key
    cached = live.client.cached_license
    assert abs(cached["last_online_check"] - time.time()) < 60  # the server's Date header

    status = live.client.check(MID)
    assert (status.valid, status.reason, status.online, status.license_type) == (True, Reason.VALID, True, "trial")
    assert status.days_remaining == 30
    assert status.request_id
    assert live.client.heartbeat(MID) is True
    assert live.client.heartbeat(MID) is False  # 1 per 24 h: the 429 is a no-op
    assert _license().os_info == "Test-OS"

    with pytest.raises(LicenseError) as excinfo:
        live.client.request_trial(MID, "client@example.com")
    assert (excinfo.value.code, excinfo.value.status) == ("TRIAL_ALREADY_EXISTS", 409)
    assert excinfo.value.payload["existing_license"]["days_remaining"] == 30
    assert excinfo.value.request_id

    # The server is gone: offline grace for 7 days after the last online check.
    live.clock.offset = 3 * DAY
    status = live.offline.check(MID)
    assert (status.valid, status.reason, status.online) == (True, Reason.OFFLINE_GRACE, False)
    live.clock.offset = 7 * DAY + 60
    assert live.offline.check(MID).reason == Reason.GRACE_EXPIRED
    live.clock.offset = -DAY  # clock rolled back before what the server said
    assert live.offline.check(MID).reason == Reason.CLOCK_ROLLBACK

    # Back online, then revoked on the server: the next online check forgets the license.
    live.clock.offset = 0
    assert live.client.check(MID).reason == Reason.VALID
    from licenses import services

    services.license_revoke(license=_license(), reason="chargeback")
    status = live.client.check(MID)
    assert (status.valid, status.reason, status.online) == (False, "LICENSE_REVOKED", True)
    assert not live.cache.exists()
    assert live.offline.check(MID).reason == Reason.NO_LICENSE  # no offline grace after a revocation


@pytest.mark.django_db(transaction=True)
def test_live_extension_reissues_the_key_and_the_client_replaces_it(live):
    from licenses import services

    first = live.client.request_trial(MID, "client@example.com")["license_key"]
    services.license_extend(license=_license(), days=30)
    status = live.client.check(MID)
    assert status.valid and status.days_remaining == 60
    cached = live.client.cached_license["license_key"]
    assert cached != first
    assert cached == _license().license_key
    assert efl.decode_license_key(cached).expires_at - efl.decode_license_key(first).expires_at >= 30 * DAY - 5
    # Offline past the old key's expiry (30 days), with a grace long enough to get there: the new key counts.
    patient = LicenseClient(
        live.offline.server_url, cache_path=live.cache, public_keys=live.pinned, clock=live.clock, grace_days=45
    )
    live.clock.offset = 35 * DAY
    assert efl.verify_license_key(first, live.pinned).expires_at < live.clock()
    status = patient.check(MID)
    assert (status.valid, status.reason) == (True, Reason.OFFLINE_GRACE)


@pytest.mark.django_db(transaction=True)
def test_live_activation_code_gives_a_lifetime_key_valid_offline(live):
    from licenses import services
    from licenses.models import Product

    code = services.activation_codes_generate(
        product=Product.objects.get(slug="easyfacture"), license_type="lifetime", duration_days=None, count=1
    )[0].code
    with pytest.raises(LicenseError) as excinfo:
        live.client.activate(MID, "AAAA-BBBB-CCCC-DDDD", "client@example.com")
    assert excinfo.value.code == "INVALID_ACTIVATION_CODE"
    answer = live.client.activate(MID, code, "client@example.com")
    assert (answer["license_type"], answer["expires_at"], answer["days_remaining"]) == ("lifetime", None, None)
    status = live.client.check(MID)
    assert (status.valid, status.license_type, status.expires_at) == (True, "lifetime", None)
    live.clock.offset = 6 * DAY
    assert live.offline.check(MID).reason == Reason.OFFLINE_GRACE


@pytest.mark.django_db(transaction=True)
def test_live_a_tampered_cached_key_is_unknown_to_the_server_and_forgotten(live):
    key = live.client.request_trial(MID, "client@example.com")["license_key"]
    header, payload, signature = key.split(".")
    forged = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged["typ"], forged["exp"] = "lifetime", None
    forged_payload = b64url(json.dumps(forged, separators=(",", ":"), sort_keys=True).encode())
    seed_cache(live.cache, f"{header}.{forged_payload}.{signature}", last_online_check=time.time())
    assert live.offline.check(MID).reason == Reason.INVALID_SIGNATURE
    status = live.client.check(MID)
    assert (status.valid, status.reason) == (False, "LICENSE_NOT_FOUND")
    assert not live.cache.exists()


@pytest.mark.django_db(transaction=True)
def test_live_a_server_that_lost_its_signing_key_does_not_lock_the_customer_out(live, settings):
    from licenses import signing

    live.client.request_trial(MID, "client@example.com")
    assert live.client.check(MID).reason == Reason.VALID
    kid = live.client.cached_license["key_id"]

    # Misconfigured: the key id now names another key (bad_signature)...
    settings.LICENSE_SIGNING_KEYS = signing.generate_key_entry(kid)
    signing.keyring.cache_clear()
    status = live.client.check(MID)
    assert (status.valid, status.reason, status.online) == (True, Reason.OFFLINE_GRACE, False)
    assert live.cache.exists()

    # ... or is gone from the keyring (unknown_key).
    settings.LICENSE_SIGNING_KEYS = signing.generate_key_entry("k-other")
    signing.keyring.cache_clear()
    status = live.client.check(MID)
    assert (status.valid, status.reason) == (True, Reason.OFFLINE_GRACE)
    assert live.cache.exists()

    # Fixed: the server verifies the key again.
    settings.LICENSE_SIGNING_KEYS = ""
    signing.keyring.cache_clear()
    assert live.client.check(MID).reason == Reason.VALID
