"""Planning: partition a circuit over a topology into a placed fragment DAG (FR-004)."""

from .plan import CostWeights, Fragment, Plan

__all__ = ["CostWeights", "Fragment", "Plan", "plan_circuit"]


def plan_circuit(circuit, topology, *, seed: int = 0, min_fidelity: float | None = None,
                 weights: CostWeights | None = None, exclude=()) -> Plan:
    """Plan ``circuit`` on ``topology``; see :mod:`qnb.planning.planner`."""
    from .planner import plan_circuit as _plan
    return _plan(circuit, topology, seed=seed, min_fidelity=min_fidelity, weights=weights, exclude=exclude)
