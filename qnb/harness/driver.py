"""Applies a resolved fault schedule to a live embedded mesh while one job runs (FR-013).

Pre-submission faults (``at_s == 0``) are applied from the caller's thread before the job is
submitted; for faults a node advertises (fidelity, link latency, availability) we then wait until
the coordinator's registry holds an advert built after the change, so "the planner saw it" is a
fact, not a race. Every other fault fires from a task inside the mesh's own trio run that wakes
on each published snapshot of the job (``JobRecord.wait_changed``) or when a timed fault falls
due, never by polling: a progress trigger fires as soon as the fragment that reaches it is done,
and the fault reaches the node through the same code path as ``mesh.fault``
(:func:`qnb.faults.apply_fault`). It uses only the mesh's seam (``mesh.call``,
``mesh.coordinator``, ``mesh.node_service``).
"""

from __future__ import annotations

import threading
import time
from typing import Any, Iterable

import trio

from .scenarios import ADVERTISED_KINDS, ResolvedFault

__all__ = ["apply_before_submit", "FaultDriver", "ensure_central_runner", "wait_ready"]

TERMINAL = ("COMPLETED", "FAILED", "CANCELLED")


def ensure_central_runner(mesh: Any) -> None:
    """Create the centralized policy now, so its static inventory predates every fault."""
    mesh.call_sync(_freeze_central, mesh.coordinator)


def _freeze_central(coord: Any) -> None:
    coord.policy("centralized").planning_view(coord.snapshot_topology())


def _log(f: ResolvedFault, **kw: Any) -> dict:
    return dict(f.to_json(), **kw)


def _entry(coord: Any, name: str):
    return next((e for e in coord.registry.entries(time.time()) if e.name == name), None)


async def _wait_registry(mesh: Any, cond, timeout: float) -> bool:
    """Wait (on the coordinator's registry-changed event, no polling) until ``cond()`` holds."""
    coord = mesh.coordinator
    with trio.move_on_after(timeout):
        while not cond():
            await coord.wait_registry_change()
        return True
    return False


async def _wait_advertised(mesh: Any, node: str, seq0: int | None, timeout: float) -> bool:
    """Wait until the registry holds an advert of ``node`` newer than ``seq0``."""
    if seq0 is None:
        return False

    def newer() -> bool:
        e = _entry(mesh.coordinator, node)
        return e is not None and e.advert.seq > seq0
    return await _wait_registry(mesh, newer, timeout)


def wait_ready(mesh: Any, timeout: float = 30.0) -> bool:
    """Block until every embedded node is registered, fresh and available (start can return earlier)."""
    names = set(mesh.node_names())

    def ready() -> bool:
        fresh = {e.name for e in mesh.coordinator.registry.query(now=time.time())}
        return names <= fresh
    return mesh.call(_wait_registry, mesh, ready, timeout)


#: faults whose ``duration_s`` qnb.faults does not undo by itself: the driver applies this undo
_UNDO = {"link_latency": lambda kw: {"peer": kw["peer"], "ms": 0.0}}


async def _undo_later(mesh: Any, f: ResolvedFault, delay: float) -> None:
    from ..faults import apply_fault
    await trio.sleep(delay)
    try:
        await apply_fault(mesh, f.kind, f.node, _UNDO[f.kind](f.kw))
    except Exception:  # noqa: BLE001 - the mesh may be stopping; the run is over either way
        pass


async def _apply(mesh: Any, f: ResolvedFault, *, wait_advert: float = 0.0) -> dict:
    from ..faults import apply_fault
    svc = mesh.node_service(f.node) if f.node else None
    seq0 = svc.seq if svc is not None else None
    t = time.time()
    try:
        await apply_fault(mesh, f.kind, f.node, f.kw)
    except Exception as e:  # noqa: BLE001 - a fault that cannot be applied is a recorded fact
        return _log(f, applied=False, applied_at=t, error=f"{type(e).__name__}: {e}")
    duration = f.kw.get("duration_s")
    if duration and f.kind in _UNDO:
        mesh.coordinator.spawn(_undo_later, mesh, f, float(duration))
    out = _log(f, applied=True, applied_at=t, error=None)
    if wait_advert and f.kind in ADVERTISED_KINDS:
        out["advertised"] = await _wait_advertised(mesh, f.node, seq0, wait_advert)
    return out


def apply_before_submit(mesh: Any, faults: Iterable[ResolvedFault], *, advert_timeout: float = 5.0) -> list[dict]:
    """Apply the ``at_s == 0`` faults now, in schedule order; returns one log entry per fault."""
    log = []
    for f in faults:
        if f.before_submit:
            entry = mesh.call(_apply_wait, mesh, f, advert_timeout)
            entry.update(t_rel_s=0.0, progress=None, state="QUEUED", phase="before_submit")
            log.append(entry)
    return log


async def _apply_wait(mesh: Any, f: ResolvedFault, timeout: float) -> dict:
    return await _apply(mesh, f, wait_advert=timeout)


class FaultDriver:
    """Fires the in-run faults of one job, found by its (unique) name, inside the mesh's trio run.

    Start it *before* submitting, so no progress trigger can be missed; :meth:`wait` returns the
    log after the job is terminal (faults that never became due are logged ``applied=False,
    reason="not reached"``).
    """

    def __init__(self, mesh: Any, job_name: str, faults: Iterable[ResolvedFault]) -> None:
        self.mesh = mesh
        self.job_name = job_name
        self.faults = [f for f in faults if not f.before_submit]
        self.log: list[dict] = []
        self._done = threading.Event()
        self._stop = False
        #: how long to wait for the job to be submitted before giving up on its faults
        self.wait_for_job_s = 60.0

    def start(self) -> "FaultDriver":
        if not self.faults:
            self._done.set()
            return self
        self.mesh.call_sync(self.mesh.coordinator.spawn, self._run)
        return self

    def wait(self, timeout: float = 30.0) -> list[dict]:
        if not self._done.wait(timeout):
            self._stop = True
            self._done.wait(5.0)
        return sorted(self.log, key=lambda e: e["index"])

    @staticmethod
    def _due(f: ResolvedFault, snap, elapsed: float) -> bool:
        if f.at_s is not None:
            return elapsed >= f.at_s
        state = snap.state.value
        if state != "EXECUTING":
            return False
        if f.at_fraction == 0:
            return True
        total = snap.fragments_total
        return bool(total) and snap.fragments_done / total >= f.at_fraction

    def _next_timed(self, pending: list[ResolvedFault], submitted_at: float) -> float:
        """Seconds until the next time-triggered fault falls due (inf if none is pending)."""
        times = [f.at_s for f in pending if f.at_s is not None]
        return max(0.0, min(times) - (time.time() - submitted_at)) if times else float("inf")

    async def _run(self) -> None:
        rec = None
        try:
            pending = list(self.faults)
            with trio.move_on_after(self.wait_for_job_s) as scope:
                rec = await self.mesh.coordinator.wait_for_job(self.job_name)
            if scope.cancelled_caught:
                pending_reason = "job not submitted"
            else:
                pending_reason = "not reached"
            while rec is not None and pending and not self._stop:
                snap = rec.snapshot
                elapsed = time.time() - rec.spec.submitted_at
                due = [f for f in pending if self._due(f, snap, elapsed)]
                for f in due:
                    pending.remove(f)
                    entry = await _apply(self.mesh, f)
                    s = rec.snapshot
                    entry.update(t_rel_s=round(entry["applied_at"] - rec.spec.submitted_at, 6),
                                 progress=(s.fragments_done / s.fragments_total) if s.fragments_total else None,
                                 state=s.state.value, phase="in_run")
                    self.log.append(entry)
                if snap.state.value in TERMINAL or rec.done.is_set():
                    break
                if not due:
                    # wake on the job's next snapshot or when a timed fault falls due
                    with trio.move_on_after(self._next_timed(pending, rec.spec.submitted_at)):
                        await rec.wait_changed()
            for f in pending:
                self.log.append(_log(f, applied=False, applied_at=None, error=None, reason=pending_reason,
                                       t_rel_s=None, progress=None, state=rec.snapshot.state.value if rec else None,
                                       phase="in_run"))
        finally:
            self._done.set()
