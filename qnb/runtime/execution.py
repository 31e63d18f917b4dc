"""One job's schedule while it executes (FR-006, FR-007): fragments, attempts, placements, fallbacks.

The runner decides *what to do* (attempt, retry, back off, re-plan); an :class:`Execution` keeps
*what happened* consistent: which fragment runs where, on which operations of the job's circuit,
how many attempts each took, which nodes failed, and what the re-planned remainder looks like.
Every change goes through one method here and is published as one immutable
:class:`~qnb.runtime.job.JobSnapshot` update, so readers never see a half-spliced schedule.

A fallback keeps the failed fragment visible (status ``moved``) and appends the re-planned
remainder after it, renumbered; the DAG edges of the remainder are shifted the same way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any, Iterable

from ..circuits.ir import Circuit, Operation
from ..planning import Plan
from ..planning.plan import Fragment
from .job import Attempt, FragmentRun

__all__ = ["Slot", "Execution"]


@dataclass(frozen=True)
class Slot:
    """One scheduled fragment: the plan fragment, the job-circuit operations it runs, its run status."""

    fragment: Fragment
    op_indices: tuple[int, ...]     # indices into the job's circuit (not the residual a re-plan saw)
    run: FragmentRun

    @property
    def node(self) -> str:
        return self.fragment.node


class Execution:
    """The mutable schedule of one job run, touched only inside the trio thread.

    ``record`` is the job's :class:`~qnb.runtime.runner.JobRecord`; every state change is
    published through ``record.update`` (fragments, done count, retries, fallbacks, edges).
    """

    def __init__(self, record: Any, circuit: Circuit, plan: Plan, *, link_noise: dict[int, float] | None = None,
                 reservations: dict[str, str] | None = None) -> None:
        self.record = record
        self.circuit = circuit
        self.plan = plan                          # the plan execution started from
        self.slots: list[Slot] = [
            Slot(f, tuple(f.op_indices), FragmentRun(f.id, f.node, f.kind, len(f.op_indices), "pending",
                                                     planned_node=f.node))
            for f in plan.fragments]
        self.edges: tuple[tuple[int, int], ...] = tuple(plan.edges)
        #: node -> reservation id held for this job
        self.reservations: dict[str, str] = dict(reservations or {})
        #: extra link noise per remote gate (operation index into ``circuit``), see JobRunner.link_noise
        self.link_noise: dict[int, float] = dict(link_noise or {})
        self.attempts: list[Attempt] = []
        self.excluded: set[str] = set()
        #: failed attempts per fragment: node, attempt, status, error (FragmentError's ``tried``)
        self.tried: dict[int, list[dict]] = {}
        self.qubit_node: dict[int, str] = {}      # where each qubit was last touched (readout error)
        self.estimated_fidelity = 1.0
        self.retries = 0
        self.fallbacks = record.snapshot.fallbacks   # re-plans at reservation time count too
        self.ebits, self.remote_gates = plan.ebits, plan.remote_gates
        self.notes: list[str] = []

    # ---------------------------------------------------------------- reading
    def __len__(self) -> int:
        return len(self.slots)

    def slot(self, i: int) -> Slot:
        return self.slots[i]

    def operations(self, i: int) -> list[Operation]:
        return [self.circuit.operations[j] for j in self.slots[i].op_indices]

    def link_factors(self, i: int) -> dict[int, float]:
        """Link noise of fragment ``i`` keyed by the operation's position inside the fragment."""
        return {k: self.link_noise[j] for k, j in enumerate(self.slots[i].op_indices) if j in self.link_noise}

    def runs(self) -> tuple[FragmentRun, ...]:
        return tuple(s.run for s in self.slots)

    @property
    def done_count(self) -> int:
        return sum(1 for s in self.slots if s.run.status == "done")

    def remaining_operations(self, i: int) -> list[int]:
        """Job-circuit operation indices of fragment ``i`` and everything after it, in order."""
        return [j for s in self.slots[i:] for j in s.op_indices]

    # ---------------------------------------------------------------- changes
    def _set_run(self, i: int, **kw: Any) -> None:
        self.slots[i] = replace(self.slots[i], run=replace(self.slots[i].run, **kw))

    def begin_attempt(self, i: int, attempt: int) -> None:
        self._set_run(i, status="running", attempts=attempt, start=time.time(), end=None)
        self.record.update(fragments=self.runs())

    def add_attempt(self, a: Attempt) -> None:
        self.attempts.append(a)
        if a.status != "ok":
            self.tried.setdefault(a.fragment_id, []).append(
                {"node": a.node, "attempt": a.attempt, "status": a.status, "error": a.error})

    def count_retry(self) -> None:
        self.retries += 1
        self.record.update(retries=self.retries)

    def complete(self, i: int, attempt: Attempt) -> None:
        """Fragment ``i`` succeeded with ``attempt``: account its fidelity and where its qubits are."""
        slot = self.slots[i]
        self._set_run(i, status="done", end=attempt.end)
        self.estimated_fidelity *= slot.fragment.estimated_fidelity
        for op in self.operations(i):
            for q in op.qubits:
                self.qubit_node[q] = slot.node
        self.record.update(fragments=self.runs(), fragments_done=self.done_count)

    def fail(self, i: int) -> None:
        """Fragment ``i`` failed for good (no fallback follows)."""
        self._set_run(i, status="failed", end=time.time())
        self.record.update(fragments=self.runs())

    def all_tried(self) -> list[dict]:
        return [t for k in sorted(self.tried) for t in self.tried[k]]

    def replace_remainder(self, i: int, rplan: Plan, remaining: list[int],
                          link_noise: dict[int, float] | None = None) -> None:
        """Fallback: fragment ``i`` is ``moved``; ``rplan`` (a plan of the residual circuit whose
        operation ``k`` is job operation ``remaining[k]``) replaces every fragment after it."""
        old = self.slots[i:]
        self.ebits = self.ebits - sum(s.fragment.ebits for s in old) + rplan.ebits
        self.remote_gates = self.remote_gates - sum(1 for s in old if s.fragment.kind == "remote") + rplan.remote_gates
        for k, f in (link_noise or {}).items():
            self.link_noise[remaining[k]] = f
        self._set_run(i, status="moved", end=time.time())
        base = i + 1
        self.slots = self.slots[:base] + [
            Slot(f, tuple(remaining[j] for j in f.op_indices),
                 FragmentRun(base + k, f.node, f.kind, len(f.op_indices), "pending", planned_node=f.node))
            for k, f in enumerate(rplan.fragments)]
        self.edges = tuple(e for e in self.edges if e[0] < base and e[1] < base) + tuple(
            (a + base, b + base) for a, b in rplan.edges)
        self.fallbacks += 1
        self.record.update(fragments=self.runs(), fragments_total=len(self.slots), edges=self.edges,
                           fallbacks=self.fallbacks)

    def nodes(self) -> set[str]:
        return {s.node for s in self.slots}

    def add_reservations(self, held: dict[str, str]) -> None:
        self.reservations.update(held)

    def exclude(self, nodes: Iterable[str]) -> None:
        self.excluded.update(nodes)
