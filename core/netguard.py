"""Outgoing HTTP to URLs that other people choose (webhook endpoints today): public
addresses only.

A URL typed into the admin must never make the platform call its own network
(127.0.0.1, the database or Redis host, 169.254.169.254 cloud metadata...): that is
server-side request forgery. So a URL is refused unless its host resolves only to
public addresses on an allowed port, and the request is sent to the address that was
checked, with the original name in the Host header and TLS SNI/certificate check.
Resolving once and connecting to that address makes DNS rebinding (a public answer
at check time, a private one at connection time) impossible. Redirects are never
followed (http.client does not follow them): a 3xx is the caller's failure.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from dataclasses import dataclass
from http.client import HTTPConnection, HTTPException, HTTPSConnection
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from .errors import DomainError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Ranges that ipaddress's is_global lets through but that must not be reached: IPv4
# embedded in IPv6 transition prefixes is checked separately (see _embedded_ipv4).
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_SITE_LOCAL = ipaddress.ip_network("fec0::/10")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")

# Error classes recorded instead of a remote's answer (see error_class()).
BLOCKED = "blocked_address"


class BlockedAddress(DomainError):
    """The URL may not be called: bad scheme, port, host, or a non-public address."""

    def __init__(self, reason: str, message: str):
        super().__init__("BLOCKED_ADDRESS", message, details={"reason": reason})
        self.reason = reason


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (addresses) and what to ask for (host, path)."""

    scheme: str
    host: str  # ASCII (IDNA) host name or literal address, as sent in Host and SNI
    port: int
    path: str  # path and query, "/" at least
    addresses: tuple[IPAddress, ...]


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address reaches through a translation prefix, if any."""
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if ip.teredo:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public_address(ip: IPAddress) -> bool:
    """True only for globally routable unicast addresses.

    is_global alone is not enough: it accepts multicast, IPv6 site-local and IPv6
    addresses that lead to a private IPv4 address (::ffff:127.0.0.1, 2002:7f00:1::,
    64:ff9b::a00:1), so each of those is checked explicitly.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None and not is_public_address(embedded):
            return False
        if ip in _NAT64:
            # DNS64 on an IPv6-only host: the address stands for its IPv4 one, public as
            # checked above (ipaddress counts the whole prefix as reserved).
            return True
        if ip in _SITE_LOCAL or ip in _NAT64_LOCAL:
            return False
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return False
    return ip.is_global and not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified
    )


def is_loopback_address(ip: IPAddress) -> bool:
    """127.0.0.0/8, ::1 and their IPv4-mapped spelling (::ffff:127.0.0.1): this machine only.

    Addresses that reach 127.x through a translator (NAT64, 6to4) are not loopback here:
    they leave the machine, so they stay refused like any other non-public address.
    """
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (IPv4 and IPv6), in resolver order. Tests replace it."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: dict[IPAddress, None] = {}
    for _family, _type, _proto, _canonname, sockaddr in infos:
        # The scope of a link-local IPv6 ("fe80::1%eth0") is dropped: such an address is refused anyway.
        seen.setdefault(ipaddress.ip_address(sockaddr[0].split("%", 1)[0]), None)
    return list(seen)


def check_url(url: str, *, allowed_ports: list[int], allow_loopback: bool = False) -> Target:
    """Resolve `url`'s host and return where a request may go, or raise BlockedAddress.

    Every resolved address must be public: a name answering one public and one private
    address is refused (the connection could otherwise be steered to either).
    `allow_loopback` lets tests and local development reach a receiver on this machine;
    it deliberately opens nothing else (not 10/8, not 169.254.169.254 cloud metadata).
    """
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise BlockedAddress("invalid_url", _("Cette URL n'est pas valide.")) from None
    if parts.scheme not in ("http", "https"):
        raise BlockedAddress("scheme", _("Seules les URL http:// et https:// sont acceptées."))
    if parts.username is not None or parts.password is not None:
        raise BlockedAddress("credentials", _("L'URL ne doit pas contenir d'identifiant ni de mot de passe."))
    if not parts.hostname:
        raise BlockedAddress("invalid_url", _("Cette URL n'a pas de nom d'hôte."))
    if port not in allowed_ports:
        raise BlockedAddress(
            "port",
            _("Le port %(port)s n'est pas autorisé (ports autorisés : %(allowed)s).")
            % {"port": port, "allowed": ", ".join(str(p) for p in allowed_ports)},
        )
    try:
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError:
        raise BlockedAddress("invalid_url", _("Ce nom d'hôte n'est pas valide.")) from None
    try:
        addresses = [ipaddress.ip_address(host)]  # a literal address needs no lookup
    except ValueError:
        try:
            # Odd spellings ("2130706433", "0x7f.1") go through the resolver, which
            # normalises them like any HTTP client would.
            addresses = resolve(host, port)
        except (OSError, UnicodeError, ValueError):
            addresses = []
    if not addresses:
        raise BlockedAddress("unresolvable", _("Le nom d'hôte %(host)s est introuvable.") % {"host": host})
    blocked = [ip for ip in addresses if not (is_public_address(ip) or (allow_loopback and is_loopback_address(ip)))]
    if blocked:
        raise BlockedAddress(
            "private_address",
            _("%(host)s désigne une adresse non publique (%(address)s) : elle n'est pas autorisée.")
            % {"host": host, "address": blocked[0]},
        )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme=parts.scheme, host=host, port=port, path=path, addresses=tuple(addresses))


class _PinnedConnectionMixin:
    """Connects to one checked address instead of resolving the host again. http.client
    keeps using `host` for the Host header and, over HTTPS, for SNI and the certificate."""

    def __init__(self, *args, pinned_address: IPAddress, **kwargs):
        super().__init__(*args, **kwargs)
        self.pinned_address = pinned_address
        # http.client opens its socket through this attribute (set in its __init__).
        self._create_connection = self._connect_pinned

    def _connect_pinned(self, address, timeout, source_address=None):
        _host, port = address
        sock = socket.create_connection((str(self.pinned_address), port), timeout, source_address)
        # Belt and braces: the socket really is connected to the address that was checked.
        peer = ipaddress.ip_address(sock.getpeername()[0].split("%", 1)[0])
        if peer != self.pinned_address:
            sock.close()
            raise BlockedAddress("private_address", f"connected to {peer}, not {self.pinned_address}")
        return sock


class _PinnedHTTPConnection(_PinnedConnectionMixin, HTTPConnection):
    pass


class _PinnedHTTPSConnection(_PinnedConnectionMixin, HTTPSConnection):
    pass


def _connection(target: Target, address: IPAddress, timeout: float) -> HTTPConnection:
    if target.scheme == "https":
        return _PinnedHTTPSConnection(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context(), pinned_address=address
        )
    return _PinnedHTTPConnection(target.host, target.port, timeout=timeout, pinned_address=address)


def post(target: Target, *, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST `body` to a checked target and return the HTTP status (redirects are not followed).

    The response body is drained a little for a clean close and thrown away: the caller
    keeps the status only. Each resolved address is tried in turn until one connects.
    """
    last_error: OSError = OSError("no address to connect to")
    for address in target.addresses:
        conn = _connection(target, address, timeout)
        try:
            try:
                conn.connect()
            except OSError as exc:  # refused, unreachable, timeout: try the next address
                last_error = exc
                continue
            conn.request("POST", target.path, body=body, headers=headers)
            response = conn.getresponse()
            response.read(1024)
            return response.status
        finally:
            conn.close()
    raise last_error


def error_class(exc: BaseException) -> str:
    """A short, stable name for why a call failed, stored instead of the details."""
    if isinstance(exc, BlockedAddress):
        # A name that does not resolve today may tomorrow: not a refusal of the address.
        return "dns_error" if exc.reason == "unresolvable" else BLOCKED
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, ssl.SSLError):
        return "tls_error"
    if isinstance(exc, socket.gaierror):
        return "dns_error"
    if isinstance(exc, ConnectionRefusedError):
        return "connection_refused"
    if isinstance(exc, HTTPException):
        return "bad_response"
    if isinstance(exc, OSError):
        return "connection_error"
    return "error"
