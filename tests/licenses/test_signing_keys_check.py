from licenses.checks import check_signing_keys


def test_a_malformed_signing_key_entry_stops_the_deploy_check(settings):
    settings.LICENSE_SIGNING_KEYS = "k2026a:not-base64-at-all!"
    [error] = check_signing_keys(None)
    assert error.id == "licenses.E002" and "k2026a" in error.msg


def test_a_short_verify_key_stops_the_deploy_check(settings):
    settings.LICENSE_SIGNING_KEYS = "k2026a:" + "A" * 43 + "="
    settings.LICENSE_VERIFY_KEYS = "old:AAAA"
    [error] = check_signing_keys(None)
    assert error.id == "licenses.E002" and "old" in error.msg


def test_well_formed_keys_pass_the_deploy_check(settings):
    settings.LICENSE_SIGNING_KEYS = "k2026a:" + "A" * 43 + "="
    assert check_signing_keys(None) == []
