"""Fault scenarios: named, seeded schedules of faults for the comparison harness (FR-013).

A :class:`Scenario` is a pure description: a list of :class:`FaultEvent` whose node is a
*selector* (``"busiest"``, ``"random"``, ``"index:2"``, a literal node name ...). Turning it into
concrete faults is :func:`resolve_schedule`, a pure function of the scenario, the seed, the sorted
node names and the load of the plan. Same inputs -> the same schedule, which is what makes a fault
run repeatable; the *application* of the schedule to a live mesh is :mod:`qnb.harness.driver`.

When an event fires
-------------------
``at_s=t``         ``t`` seconds after the job is submitted. ``t == 0`` means *before* submission:
                   the harness applies it synchronously and, for faults that change what a node
                   advertises, waits until the registry shows the change.
``at_fraction=f``  when the job's execution progress (fragments done / fragments total) first
                   reaches ``f``; ``f == 0`` fires as soon as the job enters EXECUTING.

Node selectors
--------------
``busiest``        the node that executes the most operations in the plan (ties: sorted name).
``busiest-peer``   the node that shares the most remote gates with ``busiest`` (else the
                   second-busiest node, else a seeded random other node); used as a link's far end.
``random``         a node drawn by the scenario's seeded RNG from the sorted node names.
``idle``           a seeded random node the plan does not use (``random`` if all are used).
``index:K``        the K-th sorted node name (modulo the node count).
anything else      a literal node name, which must exist.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from ..errors import QnbError
from ..mesh.vocabulary import FAULT_KINDS as _MESH_FAULT_KINDS

__all__ = ["FaultEvent", "Scenario", "ResolvedFault", "PlanLoad", "SCENARIOS", "FAULT_KINDS",
           "get_scenario", "parse_scenarios", "resolve_schedule", "plan_load", "derive_seed"]

#: kinds the mesh applies (qnb.faults) plus ``fidelity_drift``, which the resolver expands
FAULT_KINDS = _MESH_FAULT_KINDS + ("fidelity_drift",)
#: kinds whose effect is advertised: a pre-submission fault of this kind waits for the registry
ADVERTISED_KINDS = ("fidelity", "link_latency", "available")


class ScenarioError(QnbError):
    """A scenario or fault event that cannot be built or resolved."""

    type = "scenario_error"


def derive_seed(*parts: Any) -> int:
    """A stable 63-bit seed from any parts (``hash()`` of a str is salted per process; this is not)."""
    text = "\x1f".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") >> 1


@dataclass(frozen=True)
class FaultEvent:
    """One scheduled fault: when (``at_s`` xor ``at_fraction``), what (``kind``), where (``node``)."""

    kind: str
    node: str = "busiest"
    at_s: float | None = None
    at_fraction: float | None = None
    params: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ScenarioError(f"unknown fault kind {self.kind!r}; expected one of {', '.join(FAULT_KINDS)}",
                                field="kind", value=self.kind)
        if (self.at_s is None) == (self.at_fraction is None):
            raise ScenarioError(f"fault {self.kind!r} needs exactly one of at_s or at_fraction",
                                field="at_s/at_fraction")
        if self.at_s is not None and not self.at_s >= 0:
            raise ScenarioError(f"at_s must be >= 0, got {self.at_s}", field="at_s", value=self.at_s)
        if self.at_fraction is not None and not 0.0 <= self.at_fraction <= 1.0:
            raise ScenarioError(f"at_fraction must be in [0, 1], got {self.at_fraction}", field="at_fraction",
                                value=self.at_fraction)
        if isinstance(self.params, Mapping):
            object.__setattr__(self, "params", tuple(sorted(self.params.items())))

    @classmethod
    def make(cls, kind: str, node: str = "busiest", *, at_s: float | None = None,
             at_fraction: float | None = None, **params: Any) -> "FaultEvent":
        return cls(kind, node, at_s, at_fraction, tuple(sorted(params.items())))

    @property
    def kw(self) -> dict:
        return dict(self.params)

    def to_json(self) -> dict:
        return {"kind": self.kind, "node": self.node, "at_s": self.at_s, "at_fraction": self.at_fraction,
                "params": self.kw}


@dataclass(frozen=True)
class Scenario:
    name: str
    events: tuple[FaultEvent, ...] = ()
    description: str = ""

    def to_json(self) -> dict:
        return {"name": self.name, "description": self.description, "events": [e.to_json() for e in self.events]}


@dataclass(frozen=True)
class ResolvedFault:
    """A concrete fault: a real node name and concrete parameters, ready for ``mesh.fault``."""

    index: int
    kind: str
    node: str
    at_s: float | None
    at_fraction: float | None
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def kw(self) -> dict:
        return dict(self.params)

    @property
    def before_submit(self) -> bool:
        return self.at_s == 0

    @property
    def horizon_s(self) -> float:
        """How long after it fires the fault keeps acting by itself (0 = until restored)."""
        kw = self.kw
        if self.kind == "flap":
            return float(kw.get("period_s", 0.5)) * int(kw.get("cycles", 3))
        return float(kw.get("duration_s") or kw.get("return_after_s") or 0.0)

    def to_json(self) -> dict:
        return {"index": self.index, "kind": self.kind, "node": self.node, "at_s": self.at_s,
                "at_fraction": self.at_fraction, "params": self.kw}


@dataclass(frozen=True)
class PlanLoad:
    """What selectors need to know about a plan: operations per node, remote gates per node pair."""

    ops: tuple[tuple[str, int], ...] = ()
    pairs: tuple[tuple[tuple[str, str], int], ...] = ()

    @property
    def ops_by_node(self) -> dict[str, int]:
        return dict(self.ops)

    @property
    def pair_counts(self) -> dict[tuple[str, str], int]:
        return dict(self.pairs)


def plan_load(plan: Any) -> PlanLoad:
    """The :class:`PlanLoad` of a :class:`qnb.planning.Plan` (pure)."""
    ops: dict[str, int] = {}
    pairs: dict[tuple[str, str], int] = {}
    for f in plan.fragments:
        ops[f.node] = ops.get(f.node, 0) + len(f.op_indices)
        for p in f.peers:
            key = tuple(sorted((f.node, p)))
            pairs[key] = pairs.get(key, 0) + 1
    return PlanLoad(tuple(sorted(ops.items())), tuple(sorted(pairs.items())))


# ------------------------------------------------------------------ bundled scenarios
def _s(name: str, description: str, *events: FaultEvent) -> Scenario:
    return Scenario(name, tuple(events), description)


_E = FaultEvent.make
SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    _s("none", "no faults: the control condition"),
    _s("latency-spike", "the busiest node answers 50 ms late for 2 s, from the start of execution",
       _E("latency", "busiest", at_fraction=0.0, ms=50.0, duration_s=2.0)),
    _s("node-drop", "the busiest node's libp2p host stops as execution starts and does not return",
       _E("drop", "busiest", at_fraction=0.0)),
    _s("node-blip", "the busiest node drops as execution starts and returns after 0.3 s",
       _E("drop", "busiest", at_fraction=0.0, return_after_s=0.3)),
    _s("fidelity-drop", "step: the busiest node's error rates x10 just before submission",
       _E("fidelity", "busiest", at_s=0.0, factor=10.0)),
    _s("fidelity-drift", "drift: the busiest node's error rates grow x1.5 at four points of the run",
       _E("fidelity_drift", "busiest", at_s=0.0, factor=1.5, steps=4, every_fraction=0.25)),
    _s("link-degradation", "the link between the busiest node and its main peer gets 40 ms slower, "
       "before submission",
       _E("link_latency", "busiest", at_s=0.0, peer="busiest-peer", ms=40.0)),
    _s("flapping", "the busiest node drops and returns every 0.2 s, three times, from the start of execution",
       _E("flap", "busiest", at_fraction=0.0, period_s=0.2, cycles=3)),
)}

#: the default scenarios of ``qnb bench compare`` (the brief's four)
DEFAULT_SCENARIOS = ("none", "latency-spike", "node-drop", "fidelity-drop")


def get_scenario(name: str | Scenario) -> Scenario:
    if isinstance(name, Scenario):
        return name
    try:
        return SCENARIOS[name]
    except KeyError:
        raise ScenarioError(f"unknown scenario {name!r}; bundled: {', '.join(SCENARIOS)}", field="scenario",
                            value=name) from None


def parse_scenarios(spec: str | Iterable[str | Scenario]) -> list[Scenario]:
    """``"none,node-drop"`` or an iterable of names/Scenarios -> Scenarios (duplicates rejected)."""
    items = [s.strip() for s in spec.split(",") if s.strip()] if isinstance(spec, str) else list(spec)
    if not items:
        raise ScenarioError("no scenarios given", field="scenarios")
    out = [get_scenario(s) for s in items]
    names = [s.name for s in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ScenarioError(f"duplicate scenarios: {', '.join(dup)}", field="scenarios")
    return out


# ------------------------------------------------------------------ resolution
def _pick(selector: str, nodes: Sequence[str], load: PlanLoad, rng: random.Random, busiest: str | None) -> str:
    if selector == "busiest":
        ops = load.ops_by_node
        used = [n for n in nodes if ops.get(n)]
        if not used:
            return rng.choice(list(nodes))
        return max(used, key=lambda n: (ops[n], -nodes.index(n)))
    if selector == "busiest-peer":
        b = busiest or _pick("busiest", nodes, load, rng, None)
        shared = {(p[1] if p[0] == b else p[0]): c for p, c in load.pair_counts.items() if b in p}
        if shared:
            return max(sorted(shared), key=lambda n: shared[n])
        ops = {n: c for n, c in load.ops_by_node.items() if n != b and n in nodes}
        if ops:
            return max(sorted(ops), key=lambda n: ops[n])
        others = [n for n in nodes if n != b]
        if not others:
            raise ScenarioError("busiest-peer needs at least two nodes", field="node", value=selector)
        return rng.choice(others)
    if selector == "random":
        return rng.choice(list(nodes))
    if selector == "idle":
        ops = load.ops_by_node
        idle = [n for n in nodes if not ops.get(n)]
        return rng.choice(idle or list(nodes))
    if selector.startswith("index:"):
        try:
            k = int(selector.split(":", 1)[1])
        except ValueError:
            raise ScenarioError(f"bad node selector {selector!r}; expected index:K with an integer K",
                                field="node", value=selector) from None
        return nodes[k % len(nodes)]
    if selector in nodes:
        return selector
    raise ScenarioError(f"node selector {selector!r} is neither a selector (busiest, busiest-peer, random, idle, "
                        f"index:K) nor a node name ({', '.join(nodes)})", field="node", value=selector)


def resolve_schedule(scenario: Scenario | str, *, seed: int, nodes: Iterable[str],
                     load: PlanLoad | None = None) -> tuple[ResolvedFault, ...]:
    """Concrete faults for one run. Pure: the same arguments always give the same schedule.

    ``fidelity_drift`` expands into ``steps`` ``fidelity`` steps of ``factor`` each, the first at
    the event's time and the next ones ``every_fraction`` (of execution progress) or ``every_s``
    apart.
    """
    sc = get_scenario(scenario)
    names = sorted(set(nodes))
    if not names:
        raise ScenarioError("cannot resolve a fault schedule on a mesh without nodes", field="nodes")
    load = load or PlanLoad()
    rng = random.Random(derive_seed(seed, sc.name))
    out: list[ResolvedFault] = []
    busiest = _pick("busiest", names, load, random.Random(derive_seed(seed, sc.name, "busiest")), None)
    for ev in sc.events:
        node = busiest if ev.node == "busiest" else _pick(ev.node, names, load, rng, busiest)
        kw = ev.kw
        if ev.kind == "link_latency":
            peer_sel = str(kw.get("peer", "busiest-peer"))
            peer = _pick(peer_sel, [n for n in names if n != node] or names, load, rng, node)
            if peer == node:
                raise ScenarioError(f"link_latency needs two different nodes, both resolved to {node}",
                                    field="peer")
            kw["peer"] = peer
        if ev.kind == "fidelity_drift":
            steps = int(kw.pop("steps", 4))
            every_f = kw.pop("every_fraction", None)
            every_s = kw.pop("every_s", None)
            if steps < 1 or (every_f is None) == (every_s is None):
                raise ScenarioError("fidelity_drift needs steps >= 1 and exactly one of every_fraction or every_s",
                                    field="params")
            for k in range(steps):
                if every_f is not None:
                    base = ev.at_fraction if ev.at_fraction is not None else 0.0
                    at_f = min(1.0, base + k * float(every_f))
                    at_s = 0.0 if (ev.at_s == 0 and k == 0) else None
                    out.append(ResolvedFault(len(out), "fidelity", node, at_s, None if at_s is not None else at_f,
                                             tuple(sorted(kw.items()))))
                else:
                    base_s = ev.at_s if ev.at_s is not None else 0.0
                    out.append(ResolvedFault(len(out), "fidelity", node, base_s + k * float(every_s), None,
                                             tuple(sorted(kw.items()))))
            continue
        out.append(ResolvedFault(len(out), ev.kind, node, ev.at_s, ev.at_fraction, tuple(sorted(kw.items()))))
    return tuple(out)
