"""The capability advertisement a service node sends to the coordinator (FR-001).

An :class:`Advertisement` is an immutable value. ``from_json`` is the only way wire data becomes
one, and it validates against the strict ``advert`` schema plus semantic rules (known gate names,
compatible protocol major), raising ``ProtocolError`` that names the field.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any, Iterable

from ..circuits.gates import STANDARD_GATE_SET
from ..errors import ProtocolError
from ..topology import NodeSpec, Topology
from .protocols import PROTOCOL_VERSION, protocol_major
from .schema import validate

__all__ = ["Advertisement", "LinkAdvert", "links_from_topology", "QUANTUM_SERVICE_TYPES", "KNOWN_NON_GATES"]

#: service types that hold qubits and appear in the planner's topology.
QUANTUM_SERVICE_TYPES = frozenset({"qpu", "simulator"})
#: operation names a node may list besides unitary gates.
KNOWN_NON_GATES = frozenset({"measure", "reset", "barrier"})


@dataclass(frozen=True)
class LinkAdvert:
    """One link as reported by one end: ``peer`` is the other end's name."""

    peer: str
    latency_ms: float = 0.5
    fidelity: float = 0.98
    ebit_rate_hz: float = 1000.0
    #: measured classical round-trip time to the peer (None until probed)
    rtt_ms: float | None = None

    def to_json(self) -> dict:
        d = {"peer": self.peer, "latency_ms": self.latency_ms, "fidelity": self.fidelity,
             "ebit_rate_hz": self.ebit_rate_hz}
        if self.rtt_ms is not None:
            d["rtt_ms"] = self.rtt_ms
        return d


@dataclass(frozen=True)
class Advertisement:
    """A node's self-description. ``name`` is the planner's node id; ``node_id`` its libp2p peer id."""

    node_id: str
    name: str
    qubit_range: tuple[int, int]
    gates: tuple[str, ...] = tuple(sorted(STANDARD_GATE_SET))
    service_type: str = "qpu"
    fidelity_1q: float = 0.9995
    fidelity_2q: float = 0.99
    fidelity_readout: float = 0.98
    duration_1q_ns: float = 35.0
    duration_2q_ns: float = 300.0
    duration_readout_ns: float = 1000.0
    available: bool = True
    queue_depth: int = 0
    timestamp: float = 0.0
    protocol_version: str = PROTOCOL_VERSION
    region: str = "local"
    price_per_shot: float = 0.0
    addrs: tuple[str, ...] = ()
    seq: int = 0
    epoch: int = 0
    links: tuple[LinkAdvert, ...] = field(default_factory=tuple)
    degraded: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "gates", tuple(sorted(set(self.gates))))
        object.__setattr__(self, "qubit_range", tuple(self.qubit_range))
        object.__setattr__(self, "addrs", tuple(self.addrs))
        object.__setattr__(self, "links", tuple(self.links))

    # ------------------------------------------------------------------------ wire form
    def to_json(self) -> dict:
        return {
            "node_id": self.node_id, "name": self.name, "service_type": self.service_type,
            "gates": list(self.gates), "fidelity_1q": self.fidelity_1q, "fidelity_2q": self.fidelity_2q,
            "fidelity_readout": self.fidelity_readout, "duration_1q_ns": self.duration_1q_ns,
            "duration_2q_ns": self.duration_2q_ns, "duration_readout_ns": self.duration_readout_ns,
            "qubit_range": list(self.qubit_range), "available": self.available, "queue_depth": self.queue_depth,
            "timestamp": self.timestamp, "protocol_version": self.protocol_version, "region": self.region,
            "price_per_shot": self.price_per_shot, "addrs": list(self.addrs), "seq": self.seq, "epoch": self.epoch,
            "links": [l.to_json() for l in self.links], "degraded": self.degraded,
        }

    @classmethod
    def from_json(cls, d: Any) -> "Advertisement":
        """Validate a wire record and build the advertisement; ``ProtocolError`` names the bad field."""
        validate("advert", d)
        unknown = [g for g in d["gates"] if g not in STANDARD_GATE_SET and g not in KNOWN_NON_GATES]
        if unknown:
            raise ProtocolError(f"advert.gates: unknown gate {unknown[0]!r} (qnb gate library names only)",
                                code="schema", field="advert.gates", rule="known gate")
        if protocol_major(d["protocol_version"]) != protocol_major(PROTOCOL_VERSION):
            raise ProtocolError(f"advert.protocol_version: {d['protocol_version']} is incompatible with "
                                f"{PROTOCOL_VERSION} (major versions differ)", code="version",
                                field="advert.protocol_version", rule=f"major {protocol_major(PROTOCOL_VERSION)}")
        if d["service_type"] in QUANTUM_SERVICE_TYPES and d["qubit_range"][1] < 1:
            raise ProtocolError(f"advert.qubit_range: a {d['service_type']} node needs max >= 1 qubit",
                                code="schema", field="advert.qubit_range", rule="max >= 1")
        data = dict(d)
        data["qubit_range"] = tuple(d["qubit_range"])
        data["gates"] = tuple(d["gates"])
        data["addrs"] = tuple(d["addrs"])
        data["links"] = tuple(LinkAdvert(**l) for l in d["links"])
        return cls(**data)

    # -------------------------------------------------------------------- topology form
    @property
    def capacity(self) -> int:
        return self.qubit_range[1]

    @property
    def is_quantum(self) -> bool:
        return self.service_type in QUANTUM_SERVICE_TYPES and self.capacity >= 1

    def to_node_spec(self, *, available: bool | None = None) -> NodeSpec:
        """The planner's view of this node (``available`` overrides the advertised flag)."""
        return NodeSpec(
            id=self.name, qubits=max(1, self.capacity), gates=frozenset(g for g in self.gates if g in STANDARD_GATE_SET),
            fidelity_1q=self.fidelity_1q, fidelity_2q=self.fidelity_2q, fidelity_readout=self.fidelity_readout,
            duration_1q_ns=self.duration_1q_ns, duration_2q_ns=self.duration_2q_ns,
            duration_readout_ns=self.duration_readout_ns, region=self.region, price_per_shot=self.price_per_shot,
            service_type=self.service_type, available=self.available if available is None else available)

    @classmethod
    def from_node_spec(cls, spec: NodeSpec, node_id: str, *, seq: int = 0, epoch: int = 0,
                       timestamp: float | None = None, addrs: Iterable[str] = (), links: Iterable[LinkAdvert] = (),
                       queue_depth: int = 0, degraded: bool = False, min_qubits: int = 1) -> "Advertisement":
        """The advertisement a node built from a topology entry sends (``name`` = ``spec.id``)."""
        return cls(
            node_id=node_id, name=spec.id, qubit_range=(min(min_qubits, spec.qubits), spec.qubits),
            gates=tuple(sorted(spec.gates)), service_type=spec.service_type, fidelity_1q=spec.fidelity_1q,
            fidelity_2q=spec.fidelity_2q, fidelity_readout=spec.fidelity_readout,
            duration_1q_ns=spec.duration_1q_ns, duration_2q_ns=spec.duration_2q_ns,
            duration_readout_ns=spec.duration_readout_ns, available=spec.available, queue_depth=queue_depth,
            timestamp=time.time() if timestamp is None else timestamp, region=spec.region,
            price_per_shot=spec.price_per_shot, addrs=tuple(addrs), seq=seq, epoch=epoch, links=tuple(links),
            degraded=degraded)

    def next(self, **changes: Any) -> "Advertisement":
        """The following advertisement of the same incarnation: ``seq + 1``, fresh timestamp, changes applied."""
        changes.setdefault("timestamp", time.time())
        return replace(self, seq=self.seq + 1, **changes)


def links_from_topology(topology: Topology, name: str) -> tuple[LinkAdvert, ...]:
    """The links of node ``name`` in ``topology``, as that node advertises them."""
    out = []
    for l in topology.links:
        if name in (l.a, l.b):
            other = l.b if l.a == name else l.a
            out.append(LinkAdvert(peer=other, latency_ms=l.latency_ms, fidelity=l.fidelity,
                                  ebit_rate_hz=l.ebit_rate_hz))
    return tuple(sorted(out, key=lambda x: x.peer))
