"""core.netguard: which addresses outgoing calls to user-chosen URLs may reach."""

import ipaddress

import pytest

from core import netguard
from core.netguard import BlockedAddress, check_url, is_public_address


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata (link-local)
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",  # noqa: S104 - an address to refuse, not one to bind
        "255.255.255.255",
        "224.0.0.1",  # multicast
        "240.0.0.1",  # reserved
        "192.0.2.10",  # documentation
        "198.18.0.1",  # benchmarking
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "fec0::1",  # site-local (deprecated, still routed inside some networks)
        "ff02::1",  # multicast
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:10.0.0.1",
        "64:ff9b::a00:1",  # NAT64 towards 10.0.0.1
        "64:ff9b::7f00:1",  # NAT64 towards 127.0.0.1
        "2002:7f00:1::1",  # 6to4 towards 127.0.0.1
        "2002:a00:1::1",  # 6to4 towards 10.0.0.1
        "2001:db8::1",  # documentation
    ],
)
def test_non_public_addresses_are_refused(address):
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "64:ff9b::808:808"])
def test_public_addresses_are_allowed(address):
    assert is_public_address(ipaddress.ip_address(address))


def reason(url, **kw):
    try:
        check_url(url, allowed_ports=kw.pop("allowed_ports", [80, 443]), **kw)
    except BlockedAddress as exc:
        return exc.reason
    return None


def test_urls_are_refused_for_scheme_credentials_port_and_unknown_hosts(monkeypatch):
    monkeypatch.setattr(netguard, "resolve", lambda host, port: [ipaddress.ip_address("93.184.215.14")])

    assert reason("https://hooks.example.com/ef") is None
    assert reason("ftp://hooks.example.com/ef") == "scheme"
    assert reason("file:///etc/passwd") == "scheme"
    assert reason("https://user:pw@hooks.example.com/ef") == "credentials"
    assert reason("https://hooks.example.com:8443/ef") == "port"
    assert reason("https://hooks.example.com:8443/ef", allowed_ports=[443, 8443]) is None
    assert reason("https://hooks.example.com:99999/ef") == "invalid_url"

    def no_such_host(host, port):
        raise OSError("Name or service not known")

    monkeypatch.setattr(netguard, "resolve", no_such_host)
    assert reason("https://nowhere.invalid/ef") == "unresolvable"


def test_odd_spellings_of_loopback_are_resolved_then_refused():
    # The C resolver reads these as 127.0.0.1, like the HTTP client would.
    assert reason("http://2130706433/") == "private_address"
    assert reason("http://0x7f.1/") == "private_address"
    assert reason("http://localhost/") == "private_address"


@pytest.mark.parametrize("address", ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
def test_loopback_targets_pass_only_with_the_explicit_switch(address, monkeypatch):
    monkeypatch.setattr(netguard, "resolve", lambda host, port: [ipaddress.ip_address(address)])

    assert reason("http://receiver.test/hook") == "private_address"
    assert reason("http://receiver.test/hook", allow_loopback=True) is None
    # The switch does not open other ports.
    assert reason("http://receiver.test:6379/", allow_loopback=True) == "port"


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "169.254.169.254",  # cloud metadata
        "192.168.1.1",
        "172.16.0.1",
        "100.64.0.1",
        "fd00::1",
        "fe80::1",
        "::ffff:10.0.0.1",
        "64:ff9b::7f00:1",  # NAT64 towards 127.0.0.1: leaves the machine, not loopback
        "2002:7f00:1::1",  # 6to4 towards 127.0.0.1
        "0.0.0.0",  # noqa: S104 - an address to refuse, not one to bind
    ],
)
def test_the_loopback_switch_opens_no_other_non_public_address(address, monkeypatch):
    monkeypatch.setattr(netguard, "resolve", lambda host, port: [ipaddress.ip_address(address)])

    assert reason("http://hooks.example.com/ef", allow_loopback=True) == "private_address"
    assert reason(f"http://[{address}]/ef" if ":" in address else f"http://{address}/ef", allow_loopback=True) == (
        "private_address"
    )


def test_the_checked_target_keeps_the_name_path_and_query(monkeypatch):
    monkeypatch.setattr(netguard, "resolve", lambda host, port: [ipaddress.ip_address("2606:4700::6810:84e5")])

    target = check_url("https://Hooks.Exämple.com/ef/in?token=abc", allowed_ports=[443])

    assert target.host == "hooks.xn--exmple-cua.com" and target.port == 443
    assert target.path == "/ef/in?token=abc"
    assert target.addresses == (ipaddress.ip_address("2606:4700::6810:84e5"),)


def self_signed_certificate(tmp_path, name):
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


def test_https_connects_to_the_checked_address_with_the_name_in_sni_and_certificate_check(tmp_path, monkeypatch):
    import socket
    import ssl
    import threading

    cert_file, key_file = self_signed_certificate(tmp_path, "hooks.example.com")
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_file, key_file)
    seen_sni = []
    server_context.sni_callback = lambda sslsock, name, ctx: seen_sni.append(name)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve_one():
        conn, _ = listener.accept()
        try:
            server_context.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            pass  # the client rejects our self-signed certificate
        finally:
            conn.close()

    thread = threading.Thread(target=serve_one, daemon=True)
    thread.start()
    monkeypatch.setattr(netguard, "resolve", lambda host, port: [ipaddress.ip_address("127.0.0.1")])
    target = check_url(f"https://hooks.example.com:{port}/ef", allowed_ports=[port], allow_loopback=True)

    with pytest.raises(ssl.SSLCertVerificationError) as failure:
        netguard.post(target, body=b"{}", headers={}, timeout=5)

    thread.join(timeout=5)
    listener.close()
    # The name (not the address) was offered in SNI and checked against the certificate,
    # which only failed because no public CA signed it.
    assert seen_sni == ["hooks.example.com"]
    assert "self-signed" in str(failure.value) or "self signed" in str(failure.value)
    assert netguard.error_class(failure.value) == "tls_error"
