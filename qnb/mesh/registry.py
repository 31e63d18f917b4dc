"""The coordinator's live registry of service nodes, fed by advertisements (FR-002, FR-008, FR-010).

Time is always passed in (``now``, unix seconds; default ``time.time()``), so TTL behaviour is
tested by injecting clocks, not by sleeping. The registry is a plain object used from one trio
thread; it does no I/O. ``snapshot(now)`` turns it into the planner's :class:`Topology`.

Liveness: an entry whose last advert arrived more than ``ttl_s`` ago is *expired* (kept, but
unavailable). Entries reloaded after a coordinator restart are *stale* until a fresh advert arrives
(FR-010). A dropped connection marks an entry *disconnected* until its next advert.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from ..errors import ProtocolError, TopologyError
from ..topology import LinkSpec, Topology
from .advert import Advertisement

__all__ = ["Registry", "Entry", "LinkQuality"]

log = logging.getLogger("qnb.mesh.registry")


@dataclass(frozen=True)
class Entry:
    """A registry entry as seen at one moment. ``available`` is the effective availability."""

    advert: Advertisement
    received_at: float
    available: bool
    stale: bool
    expired: bool
    disconnected: bool
    degraded: bool

    @property
    def node_id(self) -> str:
        return self.advert.node_id

    @property
    def name(self) -> str:
        return self.advert.name

    def to_json(self) -> dict:
        return {"node_id": self.node_id, "name": self.name, "received_at": self.received_at,
                "available": self.available, "stale": self.stale, "expired": self.expired,
                "disconnected": self.disconnected, "degraded": self.degraded, "advert": self.advert.to_json()}


@dataclass(frozen=True)
class LinkQuality:
    """The latest measured round-trip time between two nodes (names, ``a < b``)."""

    a: str
    b: str
    rtt_ms: float
    at: float


class _Record:
    __slots__ = ("advert", "received_at", "stale", "expired", "disconnected")

    def __init__(self, advert: Advertisement, received_at: float, stale: bool = False) -> None:
        self.advert = advert
        self.received_at = received_at
        self.stale = stale
        self.expired = False
        self.disconnected = False

    @property
    def live(self) -> bool:
        return not (self.stale or self.expired or self.disconnected)

    def key(self) -> tuple[int, int]:
        return (self.advert.epoch, self.advert.seq)


ChangeCallback = Callable[[str, "Entry | None"], None]


class Registry:
    """Live node registry. See the module docstring for the liveness rules.

    ``on_change`` callbacks get ``(kind, entry)`` with kind one of ``added``, ``updated``
    (something the planner sees changed), ``refreshed`` (newer advert, same content), ``expired``,
    ``disconnected``, ``stale``, ``removed``, ``rtt``. ``version`` increases exactly when
    :meth:`snapshot` would return something different, so callers can cache by it.
    """

    def __init__(self, ttl_s: float = 6.0, *, degraded_fidelity_2q: float = 0.95, degraded_link_fidelity: float = 0.9,
                 degraded_link_rtt_ms: float = 50.0, max_rejected: int = 1000,
                 clock: Callable[[], float] = time.time) -> None:
        if not ttl_s > 0:
            raise ValueError(f"ttl_s must be > 0, got {ttl_s}")
        self.ttl_s = ttl_s
        self.degraded_fidelity_2q = degraded_fidelity_2q
        self.degraded_link_fidelity = degraded_link_fidelity
        self.degraded_link_rtt_ms = degraded_link_rtt_ms
        self.clock = clock
        self.version = 0
        self.on_change: list[ChangeCallback] = []
        #: (node, reason) of every rejected advertisement, newest last (bounded by ``max_rejected``).
        self.rejected: list[tuple[str, str]] = []
        self.max_rejected = max_rejected
        self._by_id: dict[str, _Record] = {}
        self._by_name: dict[str, str] = {}
        self._rtt: dict[tuple[str, str], LinkQuality] = {}
        self._snapshot: tuple[int, Topology] | None = None

    # ------------------------------------------------------------------------- ingestion
    def ingest(self, record: Any, now: float | None = None, *, peer_id: str | None = None) -> bool:
        """Validate a wire record and apply it. Returns False for a stale (old seq) advert.

        Invalid records, records whose ``node_id`` is not the authenticated sender ``peer_id``,
        and name conflicts are logged, appended to :attr:`rejected` and raised as ``ProtocolError``
        (so the RPC layer answers the node with an error frame naming the problem).
        """
        who = peer_id or (record.get("node_id") if isinstance(record, dict) else None) or "?"
        try:
            advert = Advertisement.from_json(record)
            if peer_id is not None and advert.node_id != peer_id:
                raise ProtocolError(f"advert.node_id {advert.node_id} is not the sending peer {peer_id}",
                                    code="node_id_mismatch", field="advert.node_id")
            return self.update(advert, now)
        except ProtocolError as e:
            self.reject(who, e.message)
            raise

    def reject(self, node: str, reason: str) -> None:
        log.warning("rejected advertisement from %s: %s", node, reason)
        self.rejected.append((node, reason))
        if len(self.rejected) > self.max_rejected:
            del self.rejected[: len(self.rejected) - self.max_rejected]

    def update(self, advert: Advertisement, now: float | None = None) -> bool:
        """Apply a valid advertisement. Returns False (and changes nothing) if it is not newer.

        Raises ``ProtocolError(code="name_conflict")`` when another live node holds the name.
        """
        now = self.clock() if now is None else now
        rec = self._by_id.get(advert.node_id)
        if rec is not None and (advert.epoch, advert.seq) <= rec.key():
            return False
        holder = self._by_name.get(advert.name)
        if holder is not None and holder != advert.node_id:
            other = self._by_id[holder]
            if other.live and not self._is_expired(other, now):
                raise ProtocolError(f"name {advert.name!r} is already used by live node {holder}",
                                    code="name_conflict", field="advert.name")
            self._drop(holder, "removed")  # a restarted node with a new identity takes its name back
        before = self._material(rec) if rec is not None else None
        if rec is None:
            rec = self._by_id[advert.node_id] = _Record(advert, now)
        else:
            if rec.advert.name != advert.name:
                self._by_name.pop(rec.advert.name, None)
            rec.advert, rec.received_at = advert, now
            rec.stale = rec.expired = rec.disconnected = False
        self._by_name[advert.name] = advert.node_id
        kind = "added" if before is None else ("updated" if self._material(rec) != before else "refreshed")
        self._changed(kind, rec, bump=kind != "refreshed")
        return True

    def restore(self, advert: Advertisement, last_seen: float) -> None:
        """Reload an entry from persistence after a restart: known, but stale until it re-advertises."""
        rec = self._by_id.get(advert.node_id)
        if rec is not None and rec.key() >= (advert.epoch, advert.seq):
            return
        if advert.name in self._by_name and self._by_name[advert.name] != advert.node_id:
            return  # a live holder of the name wins over persisted history
        self._by_id[advert.node_id] = _Record(advert, last_seen, stale=True)
        self._by_name[advert.name] = advert.node_id
        self._changed("stale", self._by_id[advert.node_id])

    # ----------------------------------------------------------------------- liveness
    def _is_expired(self, rec: _Record, now: float) -> bool:
        return now - rec.received_at > self.ttl_s

    def expiring(self, now: float | None = None, grace_s: float = 0.0) -> list[str]:
        """Peer ids of live entries whose TTL (plus ``grace_s``) has run out: the candidates to
        probe before :meth:`expire` marks them."""
        now = self.clock() if now is None else now
        return [pid for pid, rec in self._by_id.items()
                if not rec.expired and not rec.stale and now - rec.received_at > self.ttl_s + grace_s]

    def expire(self, now: float | None = None, grace_s: float = 0.0) -> list[str]:
        """Mark entries whose last advert (or answered call) is older than the TTL plus ``grace_s``
        as expired; returns their names. ``grace_s`` is the observer's own loop lag: a coordinator
        whose loop woke late must not blame the nodes for it."""
        now = self.clock() if now is None else now
        out = []
        for rec in self._by_id.values():
            if not rec.expired and now - rec.received_at > self.ttl_s + grace_s:
                rec.expired = True
                out.append(rec.advert.name)
                self._changed("expired", rec)
        return out

    def mark_all_stale(self) -> None:
        """Every entry becomes unavailable until its node advertises again (coordinator restart)."""
        for rec in self._by_id.values():
            if not rec.stale:
                rec.stale = True
                self._changed("stale", rec)

    def touch(self, node_id: str, now: float | None = None) -> bool:
        """A successful RPC answer from ``node_id`` is as good a liveness signal as an advert: refresh
        its TTL clock (never its content, and never a stale or disconnected entry). Under a busy
        loop adverts queue behind fragment traffic; without this, nodes that are answering every
        call would expire and drop out of the planner's view."""
        rec = self._by_id.get(node_id)
        if rec is None or rec.stale or rec.disconnected:
            return False
        now = self.clock() if now is None else now
        if now <= rec.received_at:
            return False
        rec.received_at = now
        if rec.expired:
            rec.expired = False
            self._changed("refreshed", rec)
        return True

    def mark_disconnected(self, node_id: str) -> bool:
        """The connection to ``node_id`` dropped: unavailable until its next advert."""
        rec = self._by_id.get(node_id)
        if rec is None or rec.disconnected:
            return False
        rec.disconnected = True
        self._changed("disconnected", rec)
        return True

    def remove(self, node: str) -> bool:
        """Forget a node (by peer id or name), e.g. when it retires."""
        node_id = self._resolve(node)
        if node_id is None:
            return False
        self._drop(node_id, "removed")
        return True

    def _drop(self, node_id: str, kind: str) -> None:
        rec = self._by_id.pop(node_id)
        if self._by_name.get(rec.advert.name) == node_id:
            del self._by_name[rec.advert.name]
        self._changed(kind, rec)

    # ---------------------------------------------------------------------------- views
    def _resolve(self, node: str) -> str | None:
        if node in self._by_id:
            return node
        return self._by_name.get(node)

    def _entry(self, rec: _Record, now: float | None) -> Entry:
        expired = rec.expired or (now is not None and self._is_expired(rec, now))
        a = rec.advert
        live = not (rec.stale or expired or rec.disconnected)
        return Entry(advert=a, received_at=rec.received_at, available=a.available and live, stale=rec.stale,
                     expired=expired, disconnected=rec.disconnected,
                     degraded=a.degraded or a.fidelity_2q < self.degraded_fidelity_2q)

    def _material(self, rec: _Record) -> tuple:
        e = self._entry(rec, None)
        a = rec.advert
        return (a.to_node_spec(available=e.available), a.links, e.degraded, a.addrs, a.is_quantum)

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, node: str) -> bool:
        return self._resolve(node) is not None

    def get(self, node: str, now: float | None = None) -> Entry | None:
        """The entry of a node by peer id or name (None if unknown)."""
        node_id = self._resolve(node)
        return None if node_id is None else self._entry(self._by_id[node_id], now)

    def entries(self, now: float | None = None) -> list[Entry]:
        """All entries sorted by name (expiry evaluated at ``now`` when given)."""
        return sorted((self._entry(r, now) for r in self._by_id.values()), key=lambda e: e.name)

    def name_to_peer(self, name: str) -> str:
        node_id = self._by_name.get(name)
        if node_id is None:
            raise TopologyError(f"unknown node {name!r}: no advertisement received under that name")
        return node_id

    def peer_to_name(self, node_id: str) -> str:
        rec = self._by_id.get(node_id)
        if rec is None:
            raise TopologyError(f"unknown peer {node_id!r}: no advertisement received from it")
        return rec.advert.name

    def query(self, *, gate: str | Iterable[str] | None = None, min_fidelity_2q: float | None = None,
              service_type: str | Iterable[str] | None = None, available_only: bool = True,
              min_qubits: int | None = None, region: str | None = None, include_degraded: bool = True,
              now: float | None = None) -> list[Entry]:
        """Entries matching every given filter, sorted by name (FR-002).

        ``gate`` may be one name or several (all required); ``service_type`` one or several (any).
        """
        now = self.clock() if now is None else now
        self.expire(now)
        gates = {gate} if isinstance(gate, str) else set(gate or ())
        types = {service_type} if isinstance(service_type, str) else (set(service_type) if service_type else None)
        out = []
        for e in self.entries(now):
            a = e.advert
            if available_only and not e.available:
                continue
            if gates and not gates <= set(a.gates):
                continue
            if min_fidelity_2q is not None and a.fidelity_2q < min_fidelity_2q:
                continue
            if types is not None and a.service_type not in types:
                continue
            if min_qubits is not None and a.capacity < min_qubits:
                continue
            if region is not None and a.region != region:
                continue
            if not include_degraded and e.degraded:
                continue
            out.append(e)
        return out

    # --------------------------------------------------------------------- link quality
    def record_rtt(self, a: str, b: str, rtt_ms: float, now: float | None = None) -> None:
        """Store a measured round-trip time between nodes ``a`` and ``b`` (names)."""
        if a == b:
            raise ValueError(f"record_rtt: a link needs two different nodes, got {a!r} twice")
        if not rtt_ms >= 0:
            raise ValueError(f"record_rtt: rtt_ms must be >= 0, got {rtt_ms}")
        now = self.clock() if now is None else now
        key = (a, b) if a < b else (b, a)
        self._rtt[key] = LinkQuality(key[0], key[1], float(rtt_ms), now)
        self._changed("rtt", None)  # rtt_ms is part of the snapshot's meta

    def link_quality(self) -> dict[tuple[str, str], LinkQuality]:
        return dict(self._rtt)

    # ------------------------------------------------------------------------- snapshot
    def snapshot(self, now: float | None = None, *, exclude_degraded: bool = False) -> Topology:
        """The planner's topology: one node per quantum entry (id = name), links from adverts.

        A link reported by both ends takes the lower fidelity, the higher latency and the lower
        ebit rate. ``meta`` carries ``version``, ``degraded_nodes``, ``degraded_links``,
        ``rtt_ms`` (``"a|b" -> ms``) and ``stale_nodes``. Unavailable nodes are included with
        ``available=False``; ``exclude_degraded`` also marks degraded nodes unavailable.
        """
        now = self.clock() if now is None else now
        self.expire(now)
        if self._snapshot is not None and self._snapshot[0] == self.version and not exclude_degraded:
            return self._snapshot[1]
        entries = [e for e in self.entries(now) if e.advert.is_quantum]
        names = {e.name for e in entries}
        nodes = tuple(e.advert.to_node_spec(available=e.available and not (exclude_degraded and e.degraded))
                      for e in entries)
        merged: dict[tuple[str, str], list[float]] = {}
        for e in entries:
            for l in e.advert.links:
                if l.peer not in names:
                    continue
                key = (e.name, l.peer) if e.name < l.peer else (l.peer, e.name)
                cur = merged.get(key)
                if cur is None:
                    merged[key] = [l.latency_ms, l.fidelity, l.ebit_rate_hz]
                else:
                    cur[0], cur[1], cur[2] = max(cur[0], l.latency_ms), min(cur[1], l.fidelity), min(cur[2], l.ebit_rate_hz)
        links = tuple(LinkSpec(a, b, latency_ms=v[0], fidelity=v[1], ebit_rate_hz=v[2])
                      for (a, b), v in sorted(merged.items()))
        rtt = {f"{k[0]}|{k[1]}": q.rtt_ms for k, q in sorted(self._rtt.items()) if k[0] in names and k[1] in names}
        degraded_links = sorted({(l.a, l.b) for l in links if l.fidelity < self.degraded_link_fidelity} |
                                {k for k, q in self._rtt.items() if q.rtt_ms > self.degraded_link_rtt_ms
                                 and k[0] in names and k[1] in names})
        meta = {"source": "registry", "version": self.version,
                "degraded_nodes": sorted(e.name for e in entries if e.degraded),
                "degraded_links": [list(k) for k in degraded_links], "rtt_ms": rtt,
                "stale_nodes": sorted(e.name for e in entries if e.stale)}
        topo = Topology(f"registry@{self.version}", nodes, links, meta)
        if not exclude_degraded:
            self._snapshot = (self.version, topo)
        return topo

    # -------------------------------------------------------------------------- events
    def _changed(self, kind: str, rec: _Record | None, bump: bool = True) -> None:
        if bump:
            self.version += 1
        entry = self._entry(rec, None) if rec is not None else None
        for cb in list(self.on_change):
            try:
                cb(kind, entry)
            except Exception:  # a broken observer must not break ingestion
                log.exception("registry on_change callback %r failed on %s", cb, kind)
