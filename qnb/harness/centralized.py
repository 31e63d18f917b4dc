"""The centralized baseline (FR-013): one scheduler with a static inventory and its own reservation table.

Distributed mode (the default runner) plans on the registry's *live* snapshot, co-reserves windows
on each node's own event-sourced book over libp2p, and on a fragment failure re-plans the rest of
the circuit on the remaining feasible nodes. The baseline models the classic central scheduler:

* **static inventory** - it plans on the registry snapshot taken when this runner is created
  (the harness creates it right after the mesh starts, before any fault); it never reads adverts
  again, so it cannot see a drop, a degradation or a new node;
* **central reservations** - windows live in :class:`CentralReservationTable`, an interval table
  per node inside the coordinator process; nodes are not asked, and every reservation is still
  recorded in the store (``reservation_events``, ids ``central-...``);
* **no adaptation** - ``RunnerOptions(adaptive=False)``: the same bounded retries with backoff on
  the *same* node, then the job fails; no re-plan, no fallback.

Everything else is shared on purpose, so the comparison isolates the orchestration policy: the
same planner and weights, the same nodes, the same libp2p transport through the coordinator's
gateway, the same timeouts and backoff, and the same physics (the readout noise applied when
sampling comes from the live registry in both modes; only the *planning* view is static).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any

from ..planning import Plan
from ..runtime.runner import JobRecord, JobRunner, RunnerHooks
from ..topology import Topology

__all__ = ["CentralReservation", "CentralReservationTable", "CentralGateway", "CentralHooks",
           "CentralRunner", "make_central_runner"]

CENTRAL_PREFIX = "central-"


@dataclass(frozen=True)
class CentralReservation:
    reservation_id: str
    node: str
    start: float
    end: float
    job_id: str | None = None
    events: tuple[dict, ...] = ()      # the log entries this reservation produced (requested, accepted)


class CentralReservationTable:
    """Per-node interval table of the central scheduler. Windows never overlap on one node.

    A request that conflicts is moved to the earliest free window of the same length at or after
    the requested start (a central scheduler does not refuse, it queues). Like a node's book it
    keeps an append-only log per node (``requested``, ``accepted``, ``cancelled``, ``expired``;
    the same event shape as :class:`qnb.reservations.Event`), which the coordinator stores in
    ``reservation_events``.
    """

    def __init__(self) -> None:
        self._by_node: dict[str, list[CentralReservation]] = {}
        self._by_id: dict[str, CentralReservation] = {}
        self._ids = itertools.count(1)
        self._seq: dict[str, int] = {}
        self.events: list[tuple[str, dict]] = []

    def _event(self, node: str, kind: str, rid: str, at: float, data: dict) -> dict:
        seq = self._seq[node] = self._seq.get(node, 0) + 1
        ev = {"seq": seq, "kind": kind, "reservation_id": rid, "at": at, "data": data}
        self.events.append((node, ev))
        return ev

    def reserve(self, node: str, start: float, end: float, job_id: str | None = None, *,
                now: float | None = None, min_fidelity: float | None = None) -> CentralReservation:
        if not end > start:
            raise ValueError(f"empty window [{start}, {end}) on {node}")
        now = time.time() if now is None else now
        length = end - start
        s = start
        for r in sorted(self._by_node.get(node, ()), key=lambda r: r.start):
            if r.end <= s:
                continue
            if r.start >= s + length:
                break
            s = r.end
        rid = f"{CENTRAL_PREFIX}{next(self._ids)}"
        evs = (self._event(node, "requested", rid, now, {
                   "operation": "exec", "start": start, "end": end, "min_fidelity": min_fidelity,
                   "correlation": {"job_id": job_id, "correlation_id": job_id}, "central": True}),
               self._event(node, "accepted", rid, now, {"start": s, "end": s + length, "moved": s != start,
                                                        "central": True}))
        res = CentralReservation(rid, node, s, s + length, job_id, evs)
        self._by_node.setdefault(node, []).append(res)
        self._by_id[rid] = res
        return res

    def release(self, reservation_id: str, *, now: float | None = None, kind: str = "cancelled") -> list[dict]:
        """Free a window; returns its log entries (empty if the id is unknown or already free)."""
        res = self._by_id.pop(reservation_id, None)
        if res is None:
            return []
        self._by_node[res.node].remove(res)
        return [self._event(res.node, kind, reservation_id, time.time() if now is None else now, {"central": True})]

    def expire(self, now: float) -> list[tuple[str, dict]]:
        """Drop windows that ended before ``now``; returns (node, event) per expired window."""
        gone = [r for r in self._by_id.values() if r.end <= now]
        return [(r.node, ev) for r in gone for ev in self.release(r.reservation_id, now=now, kind="expired")]

    def windows(self, node: str) -> list[tuple[float, float]]:
        return sorted((r.start, r.end) for r in self._by_node.get(node, ()))

    def __len__(self) -> int:
        return len(self._by_id)


def _recorder(coordinator: Any):
    """The coordinator's reservation-log writer (``record_book_events(node, events)``), if it has one."""
    fn = getattr(coordinator, "record_book_events", None)
    return fn if callable(fn) else (lambda node, events: None)


class CentralGateway:
    """The coordinator's libp2p gateway, minus node-side reservations.

    Reservation ids of the central table are released locally and never sent to nodes (a node
    would not know them); execution goes to the node over the same transport as distributed mode.
    """

    def __init__(self, inner: Any, table: CentralReservationTable, record=None) -> None:
        self.inner = inner
        self.table = table
        self.record = record or _recorder(inner)

    def __getattr__(self, name: str) -> Any:
        # anything else the runner asks the gateway (e.g. ``node_alive``) behaves exactly as in
        # distributed mode: the modes differ only in reservations and adaptation
        return getattr(self.inner, name)

    async def reserve(self, node: str, request: dict, timeout: float) -> dict:
        return await self.inner.reserve(node, request, timeout)

    async def cancel_reservation(self, node: str, reservation_id: str, timeout: float) -> None:
        if reservation_id and reservation_id.startswith(CENTRAL_PREFIX):
            self.record(node, self.table.release(reservation_id))
            return
        await self.inner.cancel_reservation(node, reservation_id, timeout)

    async def execute(self, node: str, header: dict, payload: bytes | None, timeout: float):
        rid = header.get("reservation_id")
        if rid and str(rid).startswith(CENTRAL_PREFIX):
            header = dict(header, reservation_id=None)
        return await self.inner.execute(node, header, payload, timeout)


class CentralHooks(RunnerHooks):
    """Forwards every fact to the coordinator's hooks (store, metrics, audit) and books windows centrally."""

    def __init__(self, inner: RunnerHooks, table: CentralReservationTable, exec_timeout_s: float,
                 record=None) -> None:
        self.inner = inner
        self.table = table
        self.exec_timeout_s = exec_timeout_s
        self.record = record or (lambda node, events: None)

    def state(self, rec):
        self.inner.state(rec)

    def plan(self, rec, plan, compile_ms):
        self.inner.plan(rec, plan, compile_ms)

    def attempt(self, rec, attempt):
        self.inner.attempt(rec, attempt)

    def reservation(self, rec, node, response, request):
        self.inner.reservation(rec, node, response, request)

    def event(self, rec, kind, data):
        self.inner.event(rec, kind, data)

    def result(self, rec, result):
        self.inner.result(rec, result)

    def policy(self, spec, topology):
        self.inner.policy(spec, topology)

    async def central_reserve(self, rec: JobRecord, plan: Plan) -> dict[str, str]:
        """One window per plan node, the same length the distributed runner asks nodes for."""
        now = time.time()
        for node, ev in self.table.expire(now):
            self.record(node, [ev])
        held: dict[str, str] = {}
        for node in sorted({f.node for f in plan.fragments}):
            busy_s = sum(f.duration_ns for f in plan.fragments if f.node == node) * 1e-9
            start, end = now, now + max(busy_s, 0.001) + self.exec_timeout_s
            r = self.table.reserve(node, start, end, rec.spec.job_id, now=now, min_fidelity=rec.spec.min_fidelity)
            request = {"operation": "reserve", "start": start, "end": end, "min_fidelity": rec.spec.min_fidelity,
                       "job_id": rec.spec.job_id, "correlation_id": rec.spec.job_id, "central": True}
            response = {"accepted": True, "reservation_id": r.reservation_id, "reason": None,
                        "next_window": [r.start, r.end] if r.start != start else None, "central": True,
                        "events": list(r.events)}
            self.inner.reservation(rec, node, response, request)   # the coordinator stores the events
            held[node] = r.reservation_id
        return held


class CentralRunner(JobRunner):
    """A :class:`JobRunner` that plans on a frozen inventory; execution and physics stay live."""

    def __init__(self, *args: Any, inventory: Topology, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.inventory = inventory

    async def _plan(self, circuit, topo, spec, exclude):
        return await super()._plan(circuit, self.inventory, spec, exclude)


def make_central_runner(coordinator: Any, *, inventory: Topology | None = None) -> JobRunner:
    """The centralized-baseline runner for ``coordinator`` (called by ``Coordinator._central``).

    ``inventory`` defaults to the registry snapshot *now*; if the registry is empty, the mesh's
    configured static topology.
    """
    from dataclasses import replace

    if inventory is None:
        inventory = coordinator.snapshot_topology()
        if not inventory.nodes and getattr(coordinator, "static_topology", None) is not None:
            inventory = coordinator.static_topology
    base = coordinator.runner
    options = replace(base.options, adaptive=False, node_reservations=False)
    table = CentralReservationTable()
    record = _recorder(coordinator)
    hooks = CentralHooks(base.hooks, table, options.exec_timeout_s, record)
    runner = CentralRunner(CentralGateway(coordinator, table, record), coordinator.snapshot_topology, options,
                           hooks=hooks, inventory=inventory)
    runner.table = table
    return runner
