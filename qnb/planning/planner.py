"""The planner pipeline: circuit + topology -> placed fragment DAG with its cost (FR-004, NFR-001).

Analysis steps (record facts): :mod:`.profile`, :mod:`.interaction` (hypergraph),
:mod:`.constraints` (hard constraints, errors). Decision steps: :mod:`.selection` (candidate node
sets), :mod:`.orderings` + :mod:`.partition` (placement by multi-start k-way FM), driven per node
set by :mod:`.search`. Transformation steps: :mod:`.accounting` (remote gates and ebits),
:mod:`.fragments` (fragments + DAG). Then :mod:`.cost` prices each candidate and the cheapest one
becomes the :class:`Plan`. This module decides how much of that search to run.

Determinism: every collection that is iterated is a list, a tuple or an insertion-ordered dict
filled in a deterministic order; randomness comes only from ``random.Random(seed)``. The same
circuit, topology, weights and seed give a byte-identical ``Plan.canonical_bytes()``.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from functools import lru_cache
from typing import Iterable

from ..circuits.ir import Circuit
from ..errors import PlanningError
from ..topology import Topology, load_topology
from .accounting import route_ops
from .constraints import check_min_fidelity, check_request
from .cost import op_codes
from .interaction import build_hypergraph
from .orderings import orderings
from .plan import CostWeights, Fragment, Plan
from .profile import profile_circuit
from .search import Candidate, assemble, cost_matrices, prepare, refine
from .selection import candidate_sets

__all__ = ["plan_circuit", "usable_topology", "link_fidelities"]

# Search effort (measured trade-offs in docs/planning.md). "Small" problems get more starts.
SMALL_QUBITS, SMALL_OPS = 48, 2000
#: candidate node sets refined, ranked by their best starting objective (all if min_fidelity is set)
SETS_REFINED = 2
#: starting placements refined per node set, and FM passes at most: (small, large)
STARTS_REFINED = (2, 1)
MAX_PASSES = (8, 3)
#: seeded random orderings added to the deterministic ones: (small, large)
RANDOM_STARTS = (2, 1)
#: refined candidates priced in full (routing + fragments + cost): at most this many, and only
#: those whose partition objective is within this factor of the best one
FULLY_PRICED = 2
PRICE_MARGIN = 1.05


def _err(message: str, missing: str) -> PlanningError:
    return PlanningError(message, missing=missing, line=None, column=None)


@lru_cache(maxsize=32)
def usable_topology(topology: Topology, exclude: tuple[str, ...]) -> Topology:
    """The sub-topology of available, non-excluded nodes (cached, so its path table is reused)."""
    drop = set(exclude)
    return topology.with_nodes(n for n in topology.nodes if n.available and n.id not in drop)


@lru_cache(maxsize=32)
def _digest(topology: Topology) -> str:
    return topology.digest()


def _validate(circuit: Circuit, seed: int, min_fidelity: float | None, weights: CostWeights) -> None:
    if not isinstance(circuit, Circuit):
        raise _err(f"plan_circuit needs a qnb Circuit (use qnb.circuits.load), got {type(circuit).__name__}",
                   "circuit")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise _err(f"seed must be an integer, got {seed!r}", "seed")
    if min_fidelity is not None and not (isinstance(min_fidelity, (int, float)) and 0.0 < min_fidelity <= 1.0):
        raise _err(f"min_fidelity must be a number in (0, 1], got {min_fidelity!r}", "min_fidelity")
    for name in ("latency", "fidelity", "ebits"):
        v = getattr(weights, name)
        if not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
            raise _err(f"cost weight '{name}' must be a finite number >= 0, got {v!r}", f"weights.{name}")


def _choose(cands: list[Candidate], min_fidelity: float | None) -> Candidate:
    ok = [c for c in cands if min_fidelity is None or c.fidelity >= min_fidelity]
    if not ok:
        best = max(c.fidelity for c in cands)
        raise _err(f"best plan reaches estimated fidelity {best:.6g} < requested {min_fidelity}", "min_fidelity")
    return min(ok, key=lambda c: (round(c.terms["total"], 12), len(c.nodes), sorted(x.id for x in c.nodes)))


def _fragments(circuit: Circuit, c: Candidate) -> tuple[Fragment, ...]:
    ops = circuit.operations
    out = []
    for fid, (rf, fc) in enumerate(zip(c.frags, c.cost.fragments)):
        qubits = sorted(rf.qubits)
        peers: tuple[str, ...] = ()
        ebits = 0
        if rf.route is not None:
            peers = tuple(sorted(c.nodes[p].id for p in rf.route.peers))
            ebits = rf.route.ebits
        out.append(Fragment(id=fid, node=c.nodes[rf.part].id, kind=rf.kind, op_indices=tuple(rf.ops),
                            qubits=tuple(qubits), peers=peers, ebits=ebits,
                            estimated_fidelity=math.exp(fc.log_fidelity), duration_ns=fc.duration_ns))
    return tuple(out)


def plan_circuit(circuit: Circuit, topology: "Topology | str", *, seed: int = 0,
                 min_fidelity: float | None = None, weights: CostWeights | None = None,
                 exclude: Iterable[str] = ()) -> Plan:
    """Place ``circuit`` on ``topology`` and return the cheapest feasible :class:`Plan`.

    ``exclude``: node ids not to use (the runtime's fallback re-plans without failed nodes; ids
    the topology does not know are ignored). Only nodes with ``available=True`` are used.
    Raises :class:`PlanningError` naming the missing capability or violated constraint.
    """
    t0 = time.perf_counter()
    w = weights or CostWeights()
    _validate(circuit, seed, min_fidelity, w)
    topo = load_topology(topology)
    excluded = tuple(sorted(set(exclude)))
    usable_topo = usable_topology(topo, excluded)
    n = circuit.num_qubits
    profile = profile_circuit(circuit)
    common = dict(num_qubits=n, num_ops=circuit.num_ops, weights=w, seed=seed,
                  circuit_fingerprint=circuit.fingerprint(), topology_digest=_digest(usable_topo))
    if n == 0:
        return Plan(placement=(), fragments=(), edges=(), ebits=0, remote_gates=0, estimated_fidelity=1.0,
                    cost={"latency_ms": 0.0, "fidelity_risk": 0.0, "ebits": 0.0, "total": 0.0},
                    compile_ms=(time.perf_counter() - t0) * 1e3, **common)
    usable = check_request(profile, topo, usable_topo, excluded)
    if min_fidelity is not None:
        check_min_fidelity(profile, usable.nodes, min_fidelity)
    hg = build_hypergraph(circuit)
    small = n <= SMALL_QUBITS and len(circuit.operations) <= SMALL_OPS

    def dist(a: str, b: str) -> float:
        pc = usable_topo.path_cost(a, b)
        return w.ebits * pc.hops - w.fidelity * math.log(pc.fidelity) if pc else math.inf

    sets = candidate_sets(profile, usable, w, dist, small=small)
    orders = orderings(hg, seed, random_count=RANDOM_STARTS[0 if small else 1])
    prepared = [prepare(profile, hg, usable_topo, name, nodes, usable.qubit_allowed, w, orders, small)
                for name, nodes in sets]
    prepared = [p for p in prepared if p.ranked]
    if not prepared:
        raise _err("no placement satisfies the gate-support and capacity constraints together", "placement")
    # refine the node sets whose best starting placement looks most promising
    prepared.sort(key=lambda p: (p.ranked[0][0], len(p.nodes)))
    chosen = prepared if min_fidelity is not None else prepared[:SETS_REFINED]
    effort = 0 if small else 1
    cands = [refine(prep, STARTS_REFINED[effort], MAX_PASSES[effort]) for prep in chosen]
    # price fully the most promising sets by objective; all of them when a fidelity floor must be met
    cands.sort(key=lambda c: (round(c.objective, 9), len(c.nodes)))
    if min_fidelity is None:   # the runner-up is priced only if its objective is close to the best
        cands = [c for c in cands[:FULLY_PRICED] if c.objective <= cands[0].objective * PRICE_MARGIN + 1e-9]
    codes = op_codes(circuit.operations)
    best = _choose([assemble(circuit, c, w, codes) for c in cands], min_fidelity)
    plan = Plan(
        placement=tuple(best.nodes[p].id for p in best.place),
        fragments=_fragments(circuit, best),
        edges=tuple(best.edges),
        ebits=best.cost.ebits,
        remote_gates=best.cost.remote_gates,
        estimated_fidelity=best.fidelity,
        cost=best.terms,
        **common,
    )
    return replace(plan, compile_ms=(time.perf_counter() - t0) * 1e3)


def link_fidelities(plan: Plan, circuit: Circuit, topology: "Topology | str",
                    exclude: Iterable[str] = ()) -> dict[int, float]:
    """Per remote gate (operation index): the link fidelity the ebit rule charged it.

    That is the product of the path fidelities of the ebits the gate created (1.0 when it reused
    an existing cat-entangled copy; squared for a teleport there and back), exactly the factor in
    ``plan.estimated_fidelity``. The runtime can apply it as extra noise so that measured and
    estimated fidelity describe the same model. Pass the topology and ``exclude`` used to plan.
    """
    usable_topo = usable_topology(load_topology(topology), tuple(sorted(set(exclude))))
    nodes = sorted({n for n in plan.placement})
    index = {n: i for i, n in enumerate(nodes)}
    specs = [usable_topo.node(n) for n in nodes]
    hops, logf, lat, _ = cost_matrices(usable_topo, specs, plan.weights)
    routes = route_ops(circuit.operations, [index[n] for n in plan.placement], hops, logf, lat)
    return {i: math.exp(r.log_link_fidelity) for i, r in enumerate(routes) if r is not None}
