"""Who may call what (FR-014): roles on the mesh, admission tokens, per-peer rate limits.

Every peer is untrusted until admitted. Noise (or TLS) authenticates the peer id of every
connection; this module decides what that peer id may do:

============  =====================================================  ===========================================
role          may                                                    granted by
============  =====================================================  ===========================================
operator      send node-control commands (faults: drop, latency...)  the coordinator a node was started with;
                                                                     ``security.operators``; an operator token
coordinator   reserve windows and execute fragments on a node        the coordinator a node was started with; the
                                                                     first coordinator that says ``hello`` to a
                                                                     node started without one (trust on first
                                                                     use); ``security.coordinators``; a token
node          push adverts into a coordinator's registry             a node the coordinator dialed itself
                                                                     (``--bootstrap``); ``security.nodes``; a
                                                                     node token; any peer of a PSK network
client        submit, status, result, jobs, nodes, health            every connected peer, unless
                                                                     ``security.clients`` lists who
============  =====================================================  ===========================================

A token proves a role without listing peer ids: ``HMAC-SHA256(security.admission_key,
"qnb/1:<role>:<peer id>")``, so it is bound to the holder's authenticated identity and is useless
to anyone else. ``qnb token --role node --peer <id>`` prints one. Denied calls get a structured
``forbidden`` error and a log line; callers over their rate get ``rate_limited``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from typing import Iterable

from ..errors import ProtocolError

__all__ = ["ROLES", "AccessPolicy", "Forbidden", "RateLimited", "RateLimiter", "role_token", "parse_peer_list"]

log = logging.getLogger("qnb.mesh.access")

ROLES = ("operator", "coordinator", "node", "client")


class Forbidden(ProtocolError):
    """The calling peer does not hold the role this call needs."""

    def __init__(self, message: str, **fields) -> None:
        super().__init__(message, code="forbidden", **fields)


class RateLimited(ProtocolError):
    """The calling peer sent more requests than its rate allows."""

    def __init__(self, message: str, **fields) -> None:
        super().__init__(message, code="rate_limited", **fields)


def role_token(key: str, role: str, peer_id: str) -> str:
    """The admission token of ``peer_id`` for ``role`` under the shared ``key``."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {ROLES}")
    return hmac.new(key.encode(), f"qnb/1:{role}:{peer_id}".encode(), hashlib.sha256).hexdigest()


def parse_peer_list(text: str | None) -> frozenset[str]:
    """``"a, b"`` -> {"a", "b"}; None or "" -> empty."""
    return frozenset(p.strip() for p in (text or "").split(",") if p.strip())


class AccessPolicy:
    """The roles each peer holds on one host, and the check every handler runs first."""

    def __init__(self, *, admission_key: str | None = None, operators: Iterable[str] = (),
                 coordinators: Iterable[str] = (), nodes: Iterable[str] = (), clients: Iterable[str] | None = None,
                 psk_network: bool = False, name: str = "host") -> None:
        self.admission_key = admission_key
        self.name = name
        self._granted: dict[str, set[str]] = {r: set() for r in ROLES}
        self._granted["operator"].update(operators)
        self._granted["coordinator"].update(coordinators)
        self._granted["node"].update(nodes)
        #: None = every connected peer is a client
        self.clients = None if clients is None else set(clients)
        #: on a PSK network every connected peer already proved it holds the key: admitted as a node
        self.psk_network = psk_network
        self.denied = 0

    @classmethod
    def from_settings(cls, settings, *, name: str = "host") -> "AccessPolicy":
        sec = settings.security
        clients = parse_peer_list(sec.clients)
        return cls(admission_key=sec.admission_key, operators=parse_peer_list(sec.operators),
                   coordinators=parse_peer_list(sec.coordinators), nodes=parse_peer_list(sec.nodes),
                   clients=clients or None, psk_network=bool(settings.mesh.psk), name=name)

    def grant(self, role: str, peer_id: str) -> None:
        self._granted[role].add(peer_id)

    def revoke(self, role: str, peer_id: str) -> None:
        self._granted[role].discard(peer_id)

    def holders(self, role: str) -> frozenset[str]:
        return frozenset(self._granted[role])

    def token_valid(self, role: str, peer_id: str, token: object) -> bool:
        if not self.admission_key or not isinstance(token, str) or len(token) != 64:
            return False
        return hmac.compare_digest(role_token(self.admission_key, role, peer_id), token)

    def present(self, role: str, peer_id: str, token: object) -> bool:
        """Grant ``role`` if ``token`` proves it; returns whether it was granted."""
        if self.token_valid(role, peer_id, token):
            self.grant(role, peer_id)
            return True
        return False

    def has(self, role: str, peer_id: str) -> bool:
        if role == "client":
            return self.clients is None or peer_id in self.clients
        if role == "node" and self.psk_network:
            return True
        return peer_id in self._granted[role]

    def require(self, role: str, peer_id: str, what: str) -> None:
        """Raise :class:`Forbidden` (and log it) unless ``peer_id`` holds ``role``."""
        if self.has(role, peer_id):
            return
        self.denied += 1
        log.warning("%s: forbidden: %s from %s needs the %s role", self.name, what, peer_id, role)
        raise Forbidden(f"{what} needs the {role} role; peer {peer_id} does not hold it on {self.name}",
                        role=role, peer=peer_id)


class RateLimiter:
    """A token bucket per (peer, protocol): ``rate_per_s`` sustained, ``burst`` at once."""

    def __init__(self, rate_per_s: float, burst: int, clock=time.monotonic) -> None:
        self.rate = float(rate_per_s)
        self.burst = float(burst)
        self.clock = clock
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}

    def check(self, peer_id: str, protocol: str) -> None:
        now = self.clock()
        key = (peer_id, protocol)
        tokens, last = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            raise RateLimited(f"peer {peer_id} exceeds {self.rate:g} requests/s on {protocol} (burst {self.burst:g})",
                              peer=peer_id, protocol=protocol)
        self._buckets[key] = (tokens - 1.0, now)
        if len(self._buckets) > 100_000:          # bounded memory under a flood of identities
            self._buckets.clear()
