"""Crawl targets are URLs an operator typed: unless private hosts are allowed (development, test,
MARKET_ALLOW_PRIVATE_HOSTS), the crawler reaches public internet addresses only (SSRF).

Two checks: `host_refusal` (the downloader middleware, before any request to a host, robots.txt
included) resolves the host and refuses it when any of its addresses is not public, with a
reason for the run's error list; `PublicOnlyResolver` (TWISTED_DNS_RESOLVER) checks the address
the connection itself uses, so a name that answers a public address to the check and a private
one a moment later (DNS rebinding) is refused too."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any, Sequence

from scrapy.resolver import CachingThreadedResolver
from twisted.internet.defer import Deferred
from twisted.internet.error import DNSLookupError

RESOLVE_TIMEOUT_SECONDS = 10.0


class NonPublicAddress(DNSLookupError):
    """The connection's lookup gave an address the crawler may not reach."""


def is_public(address: str) -> bool:
    """True for a global unicast address (not private, loopback, link-local, multicast, reserved,
    unspecified, shared or documentation space; IPv4-mapped IPv6 judged by its IPv4)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        elif ip.is_site_local:
            return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_loopback
                                 or ip.is_link_local or ip.is_unspecified or ip.is_private)


def _refused(host: str, address: str) -> str:
    where = "" if host == address else f" ({address})"
    return (f"Адрес {host}{where} внутренний (частная сеть, loopback, link-local или служебный): "
            "такие адреса не обходятся")


async def host_refusal(host: str, port: int) -> str | None:
    """Why the crawler may not connect to this host (Russian), or None when every address it
    resolves to is public."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return None if is_public(host) else _refused(host, host)
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(loop.getaddrinfo(host, port, type=socket.SOCK_STREAM),
                                       RESOLVE_TIMEOUT_SECONDS)
    except (OSError, UnicodeError, asyncio.TimeoutError):
        return f"Не удалось найти сервер {host}"
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        return f"Не удалось найти сервер {host}"
    for address in addresses:
        if not is_public(address):
            return _refused(host, address)
    return None


class PublicOnlyResolver(CachingThreadedResolver):
    """Scrapy's caching resolver that fails a lookup giving a non-public address."""

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:  # noqa: N802 (Twisted's name)
        deferred = super().getHostByName(name, timeout)
        deferred.addCallback(self._public_only, name)
        return deferred

    @staticmethod
    def _public_only(address: Any, name: str) -> Any:
        if not is_public(str(address)):
            raise NonPublicAddress(f"{name} -> {address}")
        return address
