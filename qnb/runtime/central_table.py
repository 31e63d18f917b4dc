"""The centralized baseline's reservation table (FR-013): one interval table per node, in the coordinator.

A classic central scheduler books windows in its own table instead of asking each node's
event-sourced book; :class:`qnb.runtime.policies.Centralized` uses this table. Like a node's book
it keeps an append-only log per node with the same event shape as :class:`qnb.reservations.Event`,
which the coordinator stores in ``reservation_events`` (ids ``central-N``).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

__all__ = ["CENTRAL_PREFIX", "CentralReservation", "CentralReservationTable"]

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
