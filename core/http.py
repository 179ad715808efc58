"""The client's address, as rate limits and audit rows see it."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# IPv6 clients get a whole /64 from their provider (one home, one phone): counting
# single addresses would let one client rotate through billions of them.
IPV6_PREFIX = 64


def parse_ip(value: str) -> IPAddress | None:
    """An address, or None when `value` is not one. IPv4-mapped IPv6 (::ffff:a.b.c.d,
    what a dual-stack socket reports for an IPv4 peer) is the IPv4 address."""
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


@lru_cache(maxsize=8)
def _parse_trusted(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"TRUSTED_PROXIES: {entry!r} is neither an IP address nor a CIDR range "
                "(expected e.g. 10.0.0.0/8,172.16.0.0/12,::1)."
            ) from None
    return tuple(networks)


def trusted_proxies() -> tuple[IPNetwork, ...]:
    """TRUSTED_PROXIES as networks, parsed once per value (CoreConfig.ready() parses it
    at startup, so an invalid entry stops the server instead of the first request)."""
    return _parse_trusted(tuple(entry for entry in settings.TRUSTED_PROXIES if entry.strip()))


def _is_trusted(address: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    return any(address in network for network in networks)


def client_ip(request: HttpRequest) -> str:
    """The address that rate limits and audit rows count.

    REMOTE_ADDR, unless it is a trusted proxy (TRUSTED_PROXIES): then the right-most
    X-Forwarded-For entry that is not itself a trusted proxy. Entries further left
    can be forged by the client, so they are never used; entries that are not
    addresses are skipped.
    """
    return _addresses(request)[0]


def client_ip_key(request: HttpRequest) -> str:
    """What IP-keyed rate limits count: the IPv4 address, or the IPv6 /64 network."""
    return _addresses(request)[1]


def _addresses(request: HttpRequest) -> tuple[str, str]:
    meta = request.META
    trusted = tuple(entry for entry in settings.TRUSTED_PROXIES if entry.strip())
    return _resolve(meta.get("REMOTE_ADDR", "") or "", meta.get("HTTP_X_FORWARDED_FOR", ""), trusted)


# Every request of the hot paths asks (the limit, the audit origin); parsing addresses
# with ipaddress is slow next to the rest of such a request, and the same clients come
# back: remembered per process.
@lru_cache(maxsize=4096)
def _resolve(remote_addr: str, forwarded_for: str, trusted: tuple[str, ...]) -> tuple[str, str]:
    """(client IP, its rate-limit key) for these header values."""
    address = _client_address(remote_addr, forwarded_for, _parse_trusted(trusted))
    if address is None:
        return "0.0.0.0", "0.0.0.0"  # noqa: S104 - a Unix socket peer: no address to count
    if isinstance(address, ipaddress.IPv6Address):
        return str(address), str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
    return str(address), str(address)


def _client_address(remote_addr: str, forwarded_for: str, networks: tuple[IPNetwork, ...]) -> IPAddress | None:
    remote = parse_ip(remote_addr)
    if remote is None or not _is_trusted(remote, networks):
        return remote
    for hop in reversed(forwarded_for.split(",")):
        address = parse_ip(hop)
        if address is not None and not _is_trusted(address, networks):
            return address
    return remote
