"""Advert intake (FR-001, FR-002, FR-008): validated adverts into the registry, quality into the store.

The ``/qnb/advert`` handler admits only peers that hold the node role (:mod:`qnb.mesh.access`),
validates each pushed record (schema, known gates, protocol major, sender identity;
:meth:`Registry.ingest`), makes the node dialable, records its quality and link
RTTs, and answers with the peers the node should probe for RTT and the default link model.
Every rejection is stored (``advertisements.valid = false``) with its reason.
"""

from __future__ import annotations

import json
import time
from collections import deque
from typing import Any, Callable

from ..errors import QnbError
from ..mesh.access import AccessPolicy
from ..mesh.advert import Advertisement
from ..mesh.announce import learn_peer
from ..mesh.registry import Registry
from ..observability import Metrics

__all__ = ["AdvertIntake"]

#: neighbours a node without declared links probes for RTT (FR-008): the next names in a ring
PROBE_RING = 2


class AdvertIntake:
    """The ``/qnb/advert`` handler and the quality history it keeps."""

    def __init__(self, registry: Registry, metrics: Metrics, writer: Callable[[], Any], access: AccessPolicy, *,
                 name: str,
                 ttl_s: float, default_link: dict, on_change: Callable[[], None]) -> None:
        self.name = name
        self.access = access
        self.registry = registry
        self.metrics = metrics
        self._writer = writer
        self.ttl_s = ttl_s
        self.default_link = default_link
        self.on_change = on_change
        self.host: Any = None
        self.quality: deque[dict] = deque(maxlen=5000)

    async def on_advert(self, header: dict, payload: bytes | None, peer_id: str):
        now = time.time()
        record = header.get("advert")
        w = self._writer()
        try:   # admission, then schema, known gates, protocol major, sender identity
            self.access.present("node", peer_id, header.get("token"))
            self.access.require("node", peer_id, "advert")
            changed = self.registry.ingest(record, now, peer_id=peer_id)
        except QnbError as e:
            self.metrics.adverts_total.inc(result="rejected")
            w.insert("advertisements", {"node_id": peer_id, "name": None, "seq": None, "received_at": now,
                                        "valid": False, "reason": e.message,
                                        "record": json.dumps(record, default=str)[:10000]})
            raise
        adv = self.registry.get(peer_id).advert
        learn_peer(self.host, peer_id, adv.addrs)
        self.metrics.adverts_total.inc(result="accepted" if changed else "stale")
        if changed:
            self._record_quality(adv, now)
            self.on_change()
        peers = []
        for name in [link.peer for link in adv.links] or self._probe_ring(adv.name):
            e = self.registry.get(name)
            if e is not None:
                peers.append({"name": e.advert.name, "peer_id": e.advert.node_id, "addrs": list(e.advert.addrs)})
        return {"ok": True, "accepted": changed, "seq": adv.seq, "peers": peers, "default_link": self.default_link,
                "ttl_s": self.ttl_s}, None

    async def on_probe(self, header: dict, payload: bytes | None, peer_id: str):
        return {"ok": True, "node": self.name, "time": time.time()}, None

    def _probe_ring(self, name: str) -> list[str]:
        names = sorted(e.name for e in self.registry.entries())
        if name not in names or len(names) < 2:
            return []
        i = names.index(name)
        return [names[(i + k) % len(names)] for k in range(1, min(PROBE_RING, len(names) - 1) + 1)]

    def _record_quality(self, adv: Advertisement, now: float) -> None:
        w = self._writer()
        row = {"ts": now, "node": adv.name, "fidelity_1q": adv.fidelity_1q, "fidelity_2q": adv.fidelity_2q,
               "fidelity_readout": adv.fidelity_readout, "available": adv.available, "degraded": adv.degraded,
               "queue_depth": adv.queue_depth}
        self.quality.append(dict(row, kind="node", at=now))
        w.insert("quality_snapshots", row)
        w.insert("advertisements", {"node_id": adv.node_id, "name": adv.name, "seq": adv.seq, "received_at": now,
                                    "valid": True, "reason": None, "record": json.dumps(adv.to_json())})
        w.upsert("registry_cache", {"node_id": adv.node_id, "name": adv.name, "record": json.dumps(adv.to_json()),
                                    "last_seen": now, "stale": False}, key=("node_id",))
        for link in adv.links:
            rtt = link.rtt_ms
            if rtt is not None:
                self.registry.record_rtt(adv.name, link.peer, rtt, now)
                self.quality.append({"at": now, "kind": "link", "a": adv.name, "b": link.peer,
                                     "rtt_ms": rtt, "fidelity": link.fidelity})
                w.insert("link_quality", {"ts": now, "a": adv.name, "b": link.peer, "rtt_ms": rtt,
                                          "fidelity": link.fidelity})
        self.metrics.node_fidelity.set(adv.fidelity_2q, node=adv.name, kind="2q")
        self.metrics.node_fidelity.set(adv.fidelity_1q, node=adv.name, kind="1q")
        self.metrics.node_available.set(1.0 if adv.available else 0.0, node=adv.name)
