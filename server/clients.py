"""Who is asking: the client's address behind trusted proxies, rate-limit keys, and access to /metrics.

The peer of a connection is a reverse proxy or the visitor. A forwarded header (X-Forwarded-For by
default) is believed only when the peer is one of the configured trusted proxies, and then only up to
the first address in it that is not a trusted proxy itself: anything further left was written by the
client and could be anything.
"""

from __future__ import annotations

import math
import secrets
import time
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter
from starlette.types import Scope

from config import Settings
from config.settings import Network

KIOSK_HEADER = b"x-kiosk-id"
Address = IPv4Address | IPv6Address


def networks(values) -> tuple[Network, ...]:
    """Settings validate these; copies made with model_copy(update=...) are not, so strings are parsed here too."""
    return tuple(ip_network(str(value), strict=False) for value in values)


def _parse_address(text: str) -> Address | None:
    text = text.strip().strip('"')
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:4711
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # 192.0.2.1:4711
        text = text.split(":")[0]
    try:
        address = ip_address(text)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


class ClientResolver:
    def __init__(self, trusted_proxies: list[Network], header: str = "X-Forwarded-For") -> None:
        self.trusted = networks(trusted_proxies)
        self.header = header.lower().encode("latin-1")

    def _trusted(self, address: Address | None) -> bool:
        return address is not None and any(address in network for network in self.trusted)

    def peer(self, scope: Scope) -> Address | None:
        client = scope.get("client")
        return _parse_address(str(client[0])) if client else None

    def address(self, scope: Scope) -> Address | None:
        """The client's address: the peer's, or what the trusted proxies in front of it forwarded."""
        peer = self.peer(scope)
        if not self.trusted or not self._trusted(peer):
            return peer
        values = [value.decode("latin-1") for name, value in scope.get("headers", ()) if name == self.header]
        hops = [part for value in values for part in value.split(",") if part.strip()]
        client = peer
        for hop in reversed(hops):  # right to left: the nearest proxy wrote the last entry
            address = _parse_address(hop)
            if address is None:
                break  # garbage: stop believing the header here
            client = address
            if not self._trusted(address):
                break
        return client

    def key(self, scope: Scope) -> str:
        address = self.address(scope)
        return str(address) if address is not None else "unknown"


class KioskKeys:
    """Rate-limit keys per kiosk: a kiosk names itself in X-Kiosk-Id; only configured names count, so a
    client inventing names gets no fresh allowances (it falls back to its address)."""

    def __init__(self, resolver: ClientResolver, kiosk_ids: list[str]) -> None:
        self.resolver = resolver
        self.kiosks = frozenset(kiosk_ids)

    def key(self, scope: Scope) -> str:
        for name, value in scope.get("headers", ()):
            if name == KIOSK_HEADER:
                kiosk = value.decode("latin-1").strip()
                if kiosk in self.kiosks:
                    return f"kiosk:{kiosk}"
        return self.resolver.key(scope)


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until the window that refused this request resets
    description: str


class RateLimiter:
    """A fixed-window limit per key, in memory (each replica counts its own clients)."""

    def __init__(self, spec: str, key) -> None:
        self.items = parse_many(spec)  # raises ValueError on a typo: the start must stop, not run unlimited
        self.description = spec
        self.key = key
        self._limiter = FixedWindowRateLimiter(MemoryStorage())

    def check(self, scope: Scope) -> RateDecision:
        key = self.key(scope)
        for item in self.items:
            if not self._limiter.hit(item, key):
                reset_at, _ = self._limiter.get_window_stats(item, key)
                return RateDecision(False, item.amount, 0, max(1, math.ceil(reset_at - time.time())), self.description)
        first = self.items[0]
        _, remaining = self._limiter.get_window_stats(first, key)
        return RateDecision(True, first.amount, remaining, 0, self.description)


def rate_limiter(settings: Settings, resolver: ClientResolver) -> RateLimiter | None:
    spec = settings.rate_limit.strip()
    if spec.lower() in ("off", ""):
        return None
    key = KioskKeys(resolver, settings.kiosk_ids).key if settings.rate_limit_key == "kiosk" else resolver.key
    return RateLimiter(spec, key)


class MetricsAccess:
    """Who may read /metrics: anyone unless networks or a token are configured."""

    def __init__(self, resolver: ClientResolver, allowed: list[Network], token: str | None) -> None:
        self.resolver = resolver
        self.networks = networks(allowed)
        self.token = token

    @property
    def open(self) -> bool:
        return not self.networks and not self.token

    def allows(self, scope: Scope) -> bool:
        if self.open:
            return True
        if self.token:
            for name, value in scope.get("headers", ()):
                if name == b"authorization":
                    scheme, _, offered = value.decode("latin-1").partition(" ")
                    if scheme.lower() == "bearer" and secrets.compare_digest(offered.strip().encode(), self.token.encode()):
                        return True
        address = self.resolver.address(scope)
        return address is not None and any(address in network for network in self.networks)
