"""Mesh topologies: the nodes the planner may use and the links between them.

A :class:`Topology` is what the planner reads. It comes from a TOML file in ``data/topologies/``,
from a generator spec string (``all-to-all:K:Q``, ``line:K:Q``, ``ring:K:Q``, ``grid:RxC:Q``,
``random:K:Q:SEED``), from :class:`TopologyBuilder`, or (in a live mesh) from the registry's
latest quality snapshot. The format is documented in ``docs/topology.md``.

Links are undirected. Two nodes with no direct link can still share entanglement by
entanglement swapping along the shortest path; :meth:`Topology.path_cost` returns the hop count
(ebits consumed per remote use), summed latency and multiplied fidelity of that path.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import tomllib
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Iterable

from .circuits.gates import STANDARD_GATE_SET
from .errors import TopologyError

__all__ = ["NodeSpec", "LinkSpec", "Topology", "TopologyBuilder", "load_topology", "DATA_DIR"]

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True)
class NodeSpec:
    """A simulated QPU module as the planner sees it (FR-001 advertisement fields)."""

    id: str
    qubits: int
    gates: frozenset[str] = STANDARD_GATE_SET
    fidelity_1q: float = 0.9995
    fidelity_2q: float = 0.99
    fidelity_readout: float = 0.98
    duration_1q_ns: float = 35.0
    duration_2q_ns: float = 300.0
    duration_readout_ns: float = 1000.0
    region: str = "local"
    price_per_shot: float = 0.0
    service_type: str = "qpu"
    available: bool = True

    def __post_init__(self) -> None:
        if self.qubits < 1:
            raise TopologyError(f"node {self.id!r}: qubits must be >= 1, got {self.qubits}")
        for name in ("fidelity_1q", "fidelity_2q", "fidelity_readout"):
            v = getattr(self, name)
            if not 0.0 < v <= 1.0:
                raise TopologyError(f"node {self.id!r}: {name} must be in (0, 1], got {v}")
        object.__setattr__(self, "gates", frozenset(self.gates))

    def to_json(self) -> dict:
        d = asdict(self)
        d["gates"] = sorted(self.gates)
        return d


@dataclass(frozen=True)
class LinkSpec:
    """An undirected quantum+classical link between two nodes."""

    a: str
    b: str
    latency_ms: float = 0.5
    fidelity: float = 0.98
    ebit_rate_hz: float = 1000.0

    def __post_init__(self) -> None:
        if self.a == self.b:
            raise TopologyError(f"link {self.a!r}-{self.b!r} connects a node to itself")
        if not 0.0 < self.fidelity <= 1.0:
            raise TopologyError(f"link {self.a}-{self.b}: fidelity must be in (0, 1], got {self.fidelity}")
        if self.a > self.b:  # canonical order
            a, b = self.b, self.a
            object.__setattr__(self, "a", a)
            object.__setattr__(self, "b", b)

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class PathCost:
    hops: int
    latency_ms: float
    fidelity: float


@dataclass(frozen=True)
class Topology:
    """Nodes and the links between them (FR-004): what the planner plans on.

    ``meta`` carries extras such as ``default_link`` (the link model of pairs that declare none).
    Build one with :func:`load_topology` (TOML file, bundled name or generator spec)."""

    name: str
    nodes: tuple[NodeSpec, ...]
    links: tuple[LinkSpec, ...] = ()
    meta: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        ids = [n.id for n in self.nodes]
        if len(set(ids)) != len(ids):
            dup = sorted({i for i in ids if ids.count(i) > 1})
            raise TopologyError(f"duplicate node id(s) {dup}")
        known = set(ids)
        for l in self.links:
            for end in (l.a, l.b):
                if end not in known:
                    raise TopologyError(f"link {l.a}-{l.b} names unknown node {end!r}")

    # ---------------------------------------------------------------- access
    @cached_property
    def by_id(self) -> dict[str, NodeSpec]:
        return {n.id: n for n in self.nodes}

    def node(self, node_id: str) -> NodeSpec:
        try:
            return self.by_id[node_id]
        except KeyError:
            raise TopologyError(f"unknown node {node_id!r}") from None

    @cached_property
    def _link_map(self) -> dict[tuple[str, str], LinkSpec]:
        return {(l.a, l.b): l for l in self.links}

    def link(self, a: str, b: str) -> LinkSpec | None:
        return self._link_map.get((a, b) if a < b else (b, a))

    @property
    def total_qubits(self) -> int:
        return sum(n.qubits for n in self.nodes if n.available)

    @cached_property
    def _paths(self) -> dict[str, dict[str, PathCost]]:
        """All-pairs shortest paths by hop count (ties: lower latency), computed once."""
        adj: dict[str, list[LinkSpec]] = {n.id: [] for n in self.nodes}
        for l in self.links:
            adj[l.a].append(l)
            adj[l.b].append(l)
        out: dict[str, dict[str, PathCost]] = {}
        import heapq
        for src in sorted(adj):
            best: dict[str, PathCost] = {}
            heap = [(0, 0.0, 1.0, src)]
            while heap:
                hops, lat, fid, u = heapq.heappop(heap)
                if u in best:
                    continue
                best[u] = PathCost(hops, lat, fid)
                for l in adj[u]:
                    v = l.b if l.a == u else l.a
                    if v not in best:
                        heapq.heappush(heap, (hops + 1, lat + l.latency_ms, fid * l.fidelity, v))
            out[src] = best
        return out

    def path_cost(self, a: str, b: str) -> PathCost | None:
        """Cost of sharing one ebit between ``a`` and ``b`` (None when disconnected)."""
        if a == b:
            return PathCost(0, 0.0, 1.0)
        return self._paths.get(a, {}).get(b)

    # ------------------------------------------------------------ derivation
    def with_nodes(self, nodes: Iterable[NodeSpec]) -> "Topology":
        nodes = tuple(nodes)
        keep = {n.id for n in nodes}
        return Topology(self.name, nodes, tuple(l for l in self.links if l.a in keep and l.b in keep), self.meta)

    def without(self, node_ids: Iterable[str]) -> "Topology":
        drop = set(node_ids)
        return self.with_nodes(n for n in self.nodes if n.id not in drop)

    def available_only(self) -> "Topology":
        return self.with_nodes(n for n in self.nodes if n.available)

    def to_json(self) -> dict:
        return {"name": self.name, "nodes": [n.to_json() for n in self.nodes],
                "links": [l.to_json() for l in self.links]}

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.to_json(), sort_keys=True).encode()).hexdigest()


# =========================================================================== builder
class TopologyBuilder:
    """Fluent Python builder: ``TopologyBuilder("lab").node("a", 4).node("b", 4).link("a", "b").build()``."""

    def __init__(self, name: str = "custom") -> None:
        self.name = name
        self._nodes: list[NodeSpec] = []
        self._links: list[LinkSpec] = []

    def node(self, node_id: str, qubits: int, **kw) -> "TopologyBuilder":
        if "gates" in kw and kw["gates"] is not None:
            kw["gates"] = frozenset(kw["gates"])
        self._nodes.append(NodeSpec(id=node_id, qubits=qubits, **kw))
        return self

    def link(self, a: str, b: str, **kw) -> "TopologyBuilder":
        self._links.append(LinkSpec(a=a, b=b, **kw))
        return self

    def all_to_all(self, **kw) -> "TopologyBuilder":
        ids = [n.id for n in self._nodes]
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                self.link(a, b, **kw)
        return self

    def build(self) -> Topology:
        return Topology(self.name, tuple(self._nodes), tuple(self._links))


# ========================================================================= generators
def _ids(k: int) -> list[str]:
    width = max(2, len(str(k - 1)))
    return [f"n{i:0{width}d}" for i in range(k)]


def _uniform(name: str, k: int, q: int, pairs: Iterable[tuple[int, int]]) -> Topology:
    ids = _ids(k)
    nodes = tuple(NodeSpec(id=i, qubits=q) for i in ids)
    links = tuple(LinkSpec(ids[a], ids[b]) for a, b in pairs)
    return Topology(name, nodes, links)


def _random(k: int, q: int, seed: int) -> Topology:
    rng = random.Random(seed)
    ids = _ids(k)
    nodes = tuple(NodeSpec(
        id=i, qubits=q,
        fidelity_1q=round(rng.uniform(0.999, 0.9999), 5),
        fidelity_2q=round(rng.uniform(0.97, 0.995), 4),
        fidelity_readout=round(rng.uniform(0.95, 0.99), 4),
        region=rng.choice(["eu", "us", "ap"]),
        price_per_shot=round(rng.uniform(0.0001, 0.001), 5),
    ) for i in ids)
    pairs = {(i, i + 1) for i in range(k - 1)}  # a spanning line keeps it connected
    for a in range(k):
        for b in range(a + 2, k):
            if rng.random() < min(1.0, 3.0 / max(k - 1, 1)):
                pairs.add((a, b))
    links = tuple(LinkSpec(ids[a], ids[b], latency_ms=round(rng.uniform(0.2, 3.0), 3),
                           fidelity=round(rng.uniform(0.95, 0.995), 4))
                  for a, b in sorted(pairs))
    return Topology(f"random:{k}:{q}:{seed}", nodes, links)


def _int(text: str, what: str, spec: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise TopologyError(f"topology spec {spec!r}: {what} must be an integer, got {text!r}") from None
    if v < 1:
        raise TopologyError(f"topology spec {spec!r}: {what} must be >= 1, got {v}")
    return v


def generate(spec: str) -> Topology:
    """Build a topology from a generator spec string (see module docstring)."""
    kind, _, rest = spec.partition(":")
    parts = rest.split(":") if rest else []
    if kind == "all-to-all" and len(parts) == 2:
        k, q = _int(parts[0], "K", spec), _int(parts[1], "Q", spec)
        return _uniform(spec, k, q, ((a, b) for a in range(k) for b in range(a + 1, k)))
    if kind == "line" and len(parts) == 2:
        k, q = _int(parts[0], "K", spec), _int(parts[1], "Q", spec)
        return _uniform(spec, k, q, ((i, i + 1) for i in range(k - 1)))
    if kind == "ring" and len(parts) == 2:
        k, q = _int(parts[0], "K", spec), _int(parts[1], "Q", spec)
        pairs = {(i, i + 1) for i in range(k - 1)}
        if k > 2:
            pairs.add((0, k - 1))
        return _uniform(spec, k, q, sorted(pairs))
    if kind == "grid" and len(parts) == 2:
        r, sep, c = parts[0].partition("x")
        if not sep:
            raise TopologyError(f"topology spec {spec!r}: grid size must look like RxC, e.g. grid:2x3:4")
        rows, cols, q = _int(r, "R", spec), _int(c, "C", spec), _int(parts[1], "Q", spec)
        pairs = []
        for i in range(rows):
            for j in range(cols):
                n = i * cols + j
                if j + 1 < cols:
                    pairs.append((n, n + 1))
                if i + 1 < rows:
                    pairs.append((n, n + cols))
        return _uniform(spec, rows * cols, q, pairs)
    if kind == "random" and len(parts) == 3:
        k, q = _int(parts[0], "K", spec), _int(parts[1], "Q", spec)
        try:
            seed = int(parts[2])
        except ValueError:
            raise TopologyError(f"topology spec {spec!r}: SEED must be an integer") from None
        return _random(k, q, seed)
    raise TopologyError(
        f"unknown topology {spec!r}: expected a TOML file or one of all-to-all:K:Q, line:K:Q, "
        "ring:K:Q, grid:RxC:Q, random:K:Q:SEED")


# ============================================================================ TOML
_NODE_KEYS = {f for f in NodeSpec.__dataclass_fields__}
_LINK_KEYS = {f for f in LinkSpec.__dataclass_fields__}


def from_toml(text: str, name: str = "toml") -> Topology:
    """Parse the TOML topology format (``docs/topology.md``)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise TopologyError(f"topology {name}: invalid TOML: {e}") from None
    defaults = doc.get("defaults", {}).get("node", {})
    link_defaults = doc.get("defaults", {}).get("link", {})
    nodes = []
    for i, raw in enumerate(doc.get("node", [])):
        entry = {**defaults, **raw}
        bad = set(entry) - _NODE_KEYS
        if bad:
            raise TopologyError(f"topology {name}: node #{i}: unknown key(s) {sorted(bad)}; allowed: {sorted(_NODE_KEYS)}")
        if "id" not in entry or "qubits" not in entry:
            raise TopologyError(f"topology {name}: node #{i} needs 'id' and 'qubits'")
        if "gates" in entry:
            entry["gates"] = frozenset(entry["gates"])
            unknown = entry["gates"] - STANDARD_GATE_SET
            if unknown:
                raise TopologyError(f"topology {name}: node {entry['id']!r}: unknown gate(s) {sorted(unknown)}")
        nodes.append(NodeSpec(**entry))
    if not nodes:
        raise TopologyError(f"topology {name}: no [[node]] entries")
    links = []
    for i, raw in enumerate(doc.get("link", [])):
        entry = {**link_defaults, **raw}
        bad = set(entry) - _LINK_KEYS
        if bad:
            raise TopologyError(f"topology {name}: link #{i}: unknown key(s) {sorted(bad)}")
        links.append(LinkSpec(**entry))
    if doc.get("all_to_all"):
        have = {(l.a, l.b) for l in links}
        ids = sorted(n.id for n in nodes)
        for x, a in enumerate(ids):
            for b in ids[x + 1:]:
                if (a, b) not in have:
                    links.append(LinkSpec(a, b, **link_defaults))
    return Topology(doc.get("name", name), tuple(nodes), tuple(links))


def load_topology(spec: "str | Path | Topology | None", default: str = "all-to-all:5:4") -> Topology:
    """Accept a Topology, a TOML path, a bundled name (``hetero5``) or a generator spec."""
    if isinstance(spec, Topology):
        return spec
    if spec is None:
        spec = default
    text = str(spec)
    path = Path(text)
    if path.suffix == ".toml" or path.exists():
        if not path.exists():
            bundled = DATA_DIR / "topologies" / path.name
            if bundled.exists():
                path = bundled
            else:
                raise TopologyError(f"topology file {text!r} not found")
        return from_toml(path.read_text(), name=path.stem)
    bundled = DATA_DIR / "topologies" / f"{text}.toml"
    if bundled.exists():
        return from_toml(bundled.read_text(), name=text)
    return generate(text)


def degrade(node: NodeSpec, factor: float) -> NodeSpec:
    """A node whose error rates are multiplied by ``factor`` (used by fault injection)."""
    def f(x: float) -> float:
        return max(1e-6, 1.0 - min(1.0, (1.0 - x) * factor))
    return replace(node, fidelity_1q=f(node.fidelity_1q), fidelity_2q=f(node.fidelity_2q),
                   fidelity_readout=f(node.fidelity_readout))


def log_fidelity(x: float) -> float:
    return math.log(max(x, 1e-300))
