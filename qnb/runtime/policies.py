"""Orchestration policies (FR-005, FR-007, FR-013): distributed and centralized behind one interface.

The runner (:mod:`qnb.runtime.runner`) runs every job the same way: compile, plan, reserve,
execute fragment by fragment with retries and backoff. What differs between the distributed
mode and the centralized baseline is decided here, and only here:

=====================  ===========================================  ==========================================
question               :class:`Distributed` (default)               :class:`Centralized` (the FR-013 baseline)
=====================  ===========================================  ==========================================
planning view          the registry's live snapshot (FR-008)        an inventory frozen when the policy is
                                                                    first used; never reads adverts again
reservations           co-reserved on each node's own               one interval table in the coordinator
                       event-sourced book over ``/qnb/reserve``     (:class:`CentralReservationTable`); nodes
                       (a time conflict takes the offered window)   are not asked, a conflict queues
a refusal or a         exclude the node and re-plan the rest on     the job fails (retries on the same node
fragment that fails    the remaining feasible nodes (fallback)      only, no re-plan)
=====================  ===========================================  ==========================================

Everything else is shared on purpose, so the comparison isolates the orchestration policy: the
same planner and weights, nodes, libp2p transport, timeouts, backoff and physics (readout noise
comes from the live registry in both modes; only the *planning* view is static).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Protocol

import trio

from ..planning import Plan
from ..topology import Topology
from .central_table import CENTRAL_PREFIX, CentralReservationTable
from .gateway import NodeCallError

if TYPE_CHECKING:  # the runner passes itself; only types are needed here
    from .runner import JobRecord, JobRunner

__all__ = ["OrchestrationPolicy", "Distributed", "Centralized", "Reservations", "reservation_request",
           "POLICY_NAMES", "FRAGMENT_ALLOWANCE_S"]

#: the values of ``JobSpec.mode``
POLICY_NAMES = ("distributed", "centralized")

#: wall-time allowance per fragment on top of its simulated quantum duration (RPC, state copy)
FRAGMENT_ALLOWANCE_S = 0.02

#: how many reservation requests one node gets per round (the first plus the offers it follows)
MAX_OFFERS = 64


def reservation_request(plan: Plan, node: str, job_id: str, min_fidelity: float | None, hold_s: float,
                        now: float | None = None) -> dict:
    """The ``/qnb/reserve`` request for ``node``: its fragments' quantum time plus an allowance each."""
    now = time.time() if now is None else now
    mine = [f for f in plan.fragments if f.node == node]
    busy_s = sum(f.duration_ns for f in mine) * 1e-9 + FRAGMENT_ALLOWANCE_S * max(1, len(mine))
    return {"operation": "reserve", "window_start": now, "window_end": now + busy_s,
            "min_fidelity": min_fidelity or None, "job_id": job_id, "correlation_id": job_id, "hold_s": hold_s}


class Reservations:
    """What a reservation round produced: windows held (node -> id) and nodes that refused (why)."""

    def __init__(self) -> None:
        self.held: dict[str, str] = {}
        self.refused: list[tuple[str, str]] = []

    def describe_refusals(self) -> str:
        return "; ".join(f"{a}: {b}" for a, b in self.refused)


class OrchestrationPolicy(Protocol):
    """What the runner asks a policy. ``adaptive``: re-plan around refusing or failing nodes."""

    name: str
    adaptive: bool

    def planning_view(self, live: Topology) -> Topology:
        """The topology to plan on, given the registry's live snapshot."""

    async def reserve(self, runner: "JobRunner", rec: "JobRecord", plan: Plan, nodes: list[str]) -> Reservations:
        """Reserve a window for ``plan`` on each of ``nodes``."""

    async def release(self, runner: "JobRunner", held: dict[str, str]) -> None:
        """Give back every window in ``held`` (shielded from cancellation by the caller)."""

    def exec_reservation(self, reservation_id: str | None) -> str | None:
        """The reservation id to send to the node with an EXEC (None: the node holds none)."""


class Distributed:
    """Plan on the live registry, co-reserve on the nodes' own books, fall back on failure."""

    name = "distributed"
    adaptive = True

    def planning_view(self, live: Topology) -> Topology:
        return live

    async def reserve(self, runner: "JobRunner", rec: "JobRecord", plan: Plan, nodes: list[str]) -> Reservations:
        out = Reservations()
        spec, opts = rec.spec, runner.options

        async def one(node: str) -> None:
            req = reservation_request(plan, node, spec.job_id, spec.min_fidelity, opts.reservation_hold_s)
            # a time conflict is not a refusal: the node offers its next free window and the job
            # waits in line for it (concurrent jobs queue on the node). Another job can take the
            # offered window first, so follow offers, bounded in count and in how far ahead
            for _ in range(MAX_OFFERS):
                try:
                    resp = await runner.gateway.reserve(node, req, opts.reserve_timeout_s)
                except NodeCallError as e:
                    out.refused.append((node, f"{e.kind}: {e.message}"))
                    return
                runner.hooks.reservation(rec, node, resp, req)
                if resp.get("accepted"):
                    out.held[node] = resp["reservation_id"]
                    return
                nxt = resp.get("next_window")
                if resp.get("reason") != "conflict" or not nxt:
                    out.refused.append((node, resp.get("reason") or "rejected"))
                    return
                if nxt[0] - time.time() > opts.reservation_queue_s:
                    out.refused.append((node, f"busy: next free window starts in {nxt[0] - time.time():.1f} s, "
                                              f"beyond timeouts.reservation_queue = {opts.reservation_queue_s:g} s"))
                    return
                req = dict(req, window_start=nxt[0], window_end=nxt[1])
            out.refused.append((node, f"busy: {MAX_OFFERS} offered windows were taken by other jobs first"))

        async with trio.open_nursery() as n:
            for node in nodes:
                n.start_soon(one, node)
        return out

    async def release(self, runner: "JobRunner", held: dict[str, str]) -> None:
        async with trio.open_nursery() as n:
            for node, rid in held.items():
                n.start_soon(self._release_one, runner, node, rid)

    @staticmethod
    async def _release_one(runner: "JobRunner", node: str, rid: str) -> None:
        try:
            await runner.gateway.cancel_reservation(node, rid, runner.options.reserve_timeout_s)
        except Exception:  # noqa: BLE001 - a dead node's reservations expire on their own
            pass

    def exec_reservation(self, reservation_id: str | None) -> str | None:
        return reservation_id


class Centralized:
    """The classic central scheduler: static inventory, central reservation table, no adaptation.

    ``inventory`` is frozen the first time :meth:`planning_view` runs unless given; the
    coordinator creates the policy right after the mesh starts (the harness asks for it before
    any fault), so the inventory predates every fault.
    """

    name = "centralized"
    adaptive = False

    def __init__(self, inventory: Topology | None = None, table: CentralReservationTable | None = None) -> None:
        self.inventory = inventory
        self.table = table if table is not None else CentralReservationTable()

    def planning_view(self, live: Topology) -> Topology:
        if self.inventory is None:
            self.inventory = live
        return self.inventory

    async def reserve(self, runner: "JobRunner", rec: "JobRecord", plan: Plan, nodes: list[str]) -> Reservations:
        """One window per plan node, as long as the node's fragments plus one exec timeout."""
        out = Reservations()
        now = time.time()
        for node, ev in self.table.expire(now):
            runner.hooks.book_events(node, [ev])
        spec = rec.spec
        for node in nodes:
            busy_s = sum(f.duration_ns for f in plan.fragments if f.node == node) * 1e-9
            start, end = now, now + max(busy_s, 0.001) + runner.options.exec_timeout_s
            r = self.table.reserve(node, start, end, spec.job_id, now=now, min_fidelity=spec.min_fidelity)
            request = {"operation": "reserve", "start": start, "end": end, "min_fidelity": spec.min_fidelity,
                       "job_id": spec.job_id, "correlation_id": spec.job_id, "central": True}
            response = {"accepted": True, "reservation_id": r.reservation_id, "reason": None,
                        "next_window": [r.start, r.end] if r.start != start else None, "central": True,
                        "events": list(r.events)}
            runner.hooks.reservation(rec, node, response, request)   # the coordinator stores the events
            out.held[node] = r.reservation_id
        return out

    async def release(self, runner: "JobRunner", held: dict[str, str]) -> None:
        for node, rid in held.items():
            runner.hooks.book_events(node, self.table.release(rid))

    def exec_reservation(self, reservation_id: str | None) -> str | None:
        # a node would not know a central id: the central table is the only book
        if reservation_id and reservation_id.startswith(CENTRAL_PREFIX):
            return None
        return reservation_id
