"""Search over candidate node sets: build each partitioning problem, refine it, price it (FR-004).

One :class:`Prepared` per candidate node set holds its cost matrices, its partitioning problem and
its starting placements ranked by objective; :func:`refine` runs FM on the best starts and
:func:`assemble` routes remote gates, cuts fragments and prices the result. The planner decides
which sets get refined and priced (``qnb.planning.planner``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..circuits.ir import Circuit
from ..topology import NodeSpec, Topology
from .accounting import route_ops
from .cost import NodeModel, PlanCost, evaluate
from .fragments import RawFragment, build_fragments
from .interaction import Hypergraph
from .partition import PartitionProblem, fill, partition, rank_starts
from .plan import CostWeights
from .profile import CircuitProfile

__all__ = ["Prepared", "Candidate", "cost_matrices", "starting_placements", "prepare", "refine", "assemble"]


@dataclass
class Candidate:
    """A refined placement over one node set; :func:`assemble` fills in fragments and cost."""

    name: str
    nodes: list[NodeSpec]
    place: list[int]
    objective: float               # partitioner objective (ebit + fidelity terms, no latency)
    matrices: tuple
    models: list[NodeModel]
    frags: list[RawFragment] = field(default_factory=list)
    edges: list[tuple[int, int]] = field(default_factory=list)
    cost: PlanCost | None = None
    terms: dict[str, float] = field(default_factory=dict)

    @property
    def fidelity(self) -> float:
        return math.exp(self.cost.log_fidelity)


def cost_matrices(topo: Topology, nodes: list[NodeSpec], w: CostWeights):
    """Hops, ln path fidelity, path latency and the price ``C`` of one ebit between node pairs."""
    k = len(nodes)
    hops = [[0] * k for _ in range(k)]
    logf = [[0.0] * k for _ in range(k)]
    lat = [[0.0] * k for _ in range(k)]
    C = [[0.0] * k for _ in range(k)]
    for i, a in enumerate(nodes):
        for j, b in enumerate(nodes):
            if i == j:
                continue
            pc = topo.path_cost(a.id, b.id)
            hops[i][j] = pc.hops
            logf[i][j] = math.log(pc.fidelity)
            lat[i][j] = pc.latency_ms
            C[i][j] = w.ebits * pc.hops - w.fidelity * logf[i][j]
    return hops, logf, lat, C


def starting_placements(hg: Hypergraph, caps: list[int], allowed, orders, balanced: bool) -> list[list[int]]:
    """Cut each ordering into per-node chunks: filling nodes to capacity, and (``balanced``) also
    proportionally to capacity when there is slack."""
    k = len(caps)
    n = hg.num_vertices
    part_order = list(range(k))
    targets = [caps]
    total = sum(caps)
    if balanced and total > n and k > 1:
        bal = [c * n // total for c in caps]
        i = 0
        while sum(bal) < n:
            if bal[i % k] < caps[i % k]:
                bal[i % k] += 1
            i += 1
        if bal != caps:
            targets.append(bal)
    starts = []
    for _, order in orders:
        for t in targets:
            s = fill(order, part_order, t, allowed)
            if s is not None:
                starts.append(s)
    if not starts:  # most constrained qubits first
        order = sorted(range(n), key=lambda v: (len(allowed[v]) if allowed[v] is not None else k, v))
        s = fill(order, part_order, caps, allowed)
        if s is not None:
            starts.append(s)
    return starts


@dataclass
class Prepared:
    """A candidate node set with its partitioning problem and ranked starting placements."""

    name: str
    nodes: list[NodeSpec]
    problem: PartitionProblem | None
    ranked: list[tuple[float, list[int]]]
    matrices: tuple
    models: list[NodeModel]


def prepare(profile: CircuitProfile, hg: Hypergraph, topo: Topology, name: str, nodes: list[NodeSpec],
             qubit_allowed, w: CostWeights, orders, small: bool) -> Prepared:
    hops, logf, lat, C = cost_matrices(topo, nodes, w)
    models = [NodeModel.of(x) for x in nodes]
    index = {x.id: i for i, x in enumerate(nodes)}
    allowed = []
    for ok in qubit_allowed:
        parts = frozenset(index[i] for i in ok if i in index)
        allowed.append(None if len(parts) == len(nodes) else parts)
    unary = [[-w.fidelity * (a1 * m.log_1q + a2 * m.log_2q + ar * m.log_ro) for m in models]
             for a1, a2, ar in profile.attributed]
    if len(nodes) == 1:
        ranked = [(sum(u[0] for u in unary), [0] * hg.num_vertices)]
        return Prepared(name, nodes, None, ranked, (hops, logf, lat), models)
    caps = [x.qubits for x in nodes]
    problem = PartitionProblem(hg, caps, C, unary, allowed)
    ranked = rank_starts(problem, starting_placements(hg, caps, allowed, orders, balanced=small))
    return Prepared(name, nodes, problem, ranked, (hops, logf, lat), models)


def refine(prep: Prepared, keep: int, max_passes: int) -> Candidate:
    """Refine the best starts of one prepared node set (objective only; see :func:`_assemble`)."""
    if prep.problem is None:
        objective, place = prep.ranked[0]
    else:
        place, objective = partition(prep.problem, prep.ranked, keep=keep, max_passes=max_passes)
    return Candidate(prep.name, prep.nodes, place, objective, prep.matrices, prep.models)


def assemble(circuit: Circuit, c: Candidate, w: CostWeights, codes) -> Candidate:
    """Route remote gates, cut fragments, price the plan (fills ``c.frags/edges/cost/terms``)."""
    hops, logf, lat = c.matrices
    routes = route_ops(circuit.operations, c.place, hops, logf, lat)
    c.frags, c.edges = build_fragments(circuit.operations, c.place, routes, circuit.num_clbits)
    c.cost = evaluate(circuit.operations, c.frags, c.edges, c.models, codes)
    c.terms = c.cost.terms(w)
    return c


