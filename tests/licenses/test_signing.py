"""Signing keys: where they come from, how they are named, and why a key is refused."""

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ImproperlyConfigured

from licenses import signing
from licenses.models import License

from .conftest import MACHINE

pytestmark = pytest.mark.django_db


def _validate(api, key):
    return api.post("/licenses/validate", {"machine_id": MACHINE, "license_key": key})


def _resigned_with_another_key(key: str) -> str:
    """The same payload (same kid), signed by a key that is not the one behind the kid."""
    signed = key.rsplit(".", 1)[0]
    return f"{signed}.{signing.b64url_encode(Ed25519PrivateKey.generate().sign(signed.encode('ascii')))}"


# --- key ids ---------------------------------------------------------------------


def test_the_derived_demo_key_is_named_after_its_fingerprint(settings):
    settings.LICENSE_SIGNING_KEYS = ""

    ring = signing.keyring()

    assert ring.signing_key_id == f"kd-{signing.fingerprint(ring.signing_key.public_key())}"
    assert len(ring.signing_key_id) == len("kd-") + 8


def test_a_new_secret_key_gives_the_derived_key_a_new_id(settings):
    settings.LICENSE_SIGNING_KEYS = ""
    before = signing.keyring().signing_key_id

    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789abcdef"
    signing.keyring.cache_clear()

    assert signing.keyring().signing_key_id != before


def test_a_configured_key_keeps_its_label_as_id(settings):
    settings.LICENSE_SIGNING_KEYS = signing.generate_key_entry("k2026a")

    assert signing.keyring().signing_key_id == "k2026a"


def test_no_key_is_derived_where_the_settings_do_not_allow_it(settings):
    settings.LICENSE_SIGNING_KEYS = ""
    settings.LICENSE_DERIVED_SIGNING_KEY = False

    with pytest.raises(ImproperlyConfigured, match="LICENSE_SIGNING_KEYS"):
        signing.keyring()


# --- why a key is refused ----------------------------------------------------------


def test_a_key_with_a_wrong_signature_is_not_found_because_of_a_bad_signature(api, product):
    key = api.trial().json()["license_key"]

    response = _validate(api, _resigned_with_another_key(key))

    assert response.status_code == 404
    assert response.json()["error"] == "LICENSE_NOT_FOUND"
    assert response.json()["details"] == {"reason": "bad_signature"}


def test_a_key_signed_with_a_key_id_the_server_does_not_have_is_not_found_because_of_an_unknown_key(
    api, product, settings
):
    key = api.trial().json()["license_key"]
    # The demo's SECRET_KEY changed: the derived key (and so its id) changed with it.
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789abcdef"
    signing.keyring.cache_clear()

    response = _validate(api, key)

    assert response.status_code == 404
    assert response.json()["error"] == "LICENSE_NOT_FOUND"
    assert response.json()["details"] == {"reason": "unknown_key"}


def test_a_key_that_is_not_a_license_key_is_not_found_because_it_is_malformed(api, product):
    for candidate in ["garbage", "EF1.abc.def", "EF1.e30.AAAA"]:
        response = _validate(api, candidate)

        assert response.status_code == 404, candidate
        assert response.json()["details"] == {"reason": "malformed"}, candidate


def test_a_well_signed_key_of_an_unknown_license_is_not_found_without_a_reason(api, product):
    key = api.trial().json()["license_key"]
    License.objects.all().delete()

    response = _validate(api, key)

    assert response.status_code == 404
    assert response.json()["error"] == "LICENSE_NOT_FOUND" and response.json()["details"] == {}


def test_the_heartbeat_reports_the_same_reason(api, product):
    key = api.trial().json()["license_key"]
    body = {"machine_id": MACHINE, "license_key": _resigned_with_another_key(key), "app_version": "1.6.0"}

    response = api.post("/licenses/heartbeat", body)

    assert response.status_code == 404 and response.json()["details"] == {"reason": "bad_signature"}
