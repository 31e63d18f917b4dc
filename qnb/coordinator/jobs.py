"""The job queue (FR-006, FR-009, FR-010): accept, persist, dispatch, cancel and recover jobs.

A job is durable before its id is returned (the ``jobs`` row is flushed), then queued for one of
``limits.max_jobs_in_flight`` workers. Each worker runs the job under the orchestration policy
its ``mode`` names (:mod:`qnb.runtime.policies`). On start, every unfinished job in the store is
re-queued (``resumed=True``, ``run`` incremented) and dispatch waits until the nodes of the
reloaded registry have re-advertised, so nothing accepted is lost across a coordinator crash.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any, Callable

import trio

from ..errors import JobError, UnknownJobError
from ..runtime.job import JobResult, JobSnapshot, JobSpec, JobState, TERMINAL_STATES
from ..runtime.policies import POLICY_NAMES, Centralized, OrchestrationPolicy
from ..runtime.runner import JobRecord, JobRunner, terminal_result
from ..topology import Topology
from ..observability import Metrics, log_context
from .records import JobRow, load_unfinished

__all__ = ["JobQueue"]

log = logging.getLogger("qnb.coordinator")


class JobQueue:
    """Jobs by id, their workers and their orchestration policies.

    ``publish(snapshot, result)`` receives every published snapshot (the embedded mesh's
    thread-safe view); ``inventory()`` is the planning view the centralized policy freezes.
    """

    def __init__(self, runner: JobRunner, writer: Callable[[], Any], metrics: Metrics, *, queue_max: int,
                 publish: Callable[[JobSnapshot, JobResult | None], None], inventory: Callable[[], Topology]) -> None:
        self.runner = runner
        self._writer = writer
        self.metrics = metrics
        self._publish_cb = publish
        self._inventory = inventory
        self.jobs: dict[str, JobRecord] = {}
        self.policies: dict[str, OrchestrationPolicy] = {"distributed": runner.default_policy}
        self._send, self._recv = trio.open_memory_channel(queue_max)
        #: set once dispatch may start (see Coordinator: recovered jobs wait for fresh adverts)
        self.ready = trio.Event()
        self._added = trio.Event()
        self.nursery: trio.Nursery | None = None

    # ----------------------------------------------------------- policies
    def policy(self, name: str) -> OrchestrationPolicy:
        """The policy for ``JobSpec.mode``; the centralized one freezes its inventory on first use."""
        if name not in POLICY_NAMES:
            raise JobError(f"mode must be one of {', '.join(POLICY_NAMES)}, got {name!r}", field="mode")
        if name not in self.policies:
            self.policies[name] = Centralized(self._inventory())
        return self.policies[name]

    # ----------------------------------------------------------- reading
    def get(self, job_id: str) -> JobRecord:
        rec = self.jobs.get(job_id)
        if rec is None:
            raise UnknownJobError(f"unknown job id {job_id!r}", job_id=job_id)
        return rec

    def find(self, name: str) -> JobRecord | None:
        return next((r for r in self.jobs.values() if r.spec.name == name), None)

    async def wait_for(self, name: str) -> JobRecord:
        """Wait until a job called ``name`` is accepted (the harness's fault driver starts first)."""
        while (rec := self.find(name)) is None:
            await self._added.wait()
        return rec

    @property
    def depth(self) -> int:
        return sum(1 for r in self.jobs.values() if r.snapshot.state is JobState.QUEUED)

    # ----------------------------------------------------------- accepting
    async def submit(self, spec: JobSpec, circuit=None) -> str:
        """Accept a job: persist it (before returning its id) and enqueue it."""
        self.policy(spec.mode)   # an unknown mode is refused before anything is stored
        if spec.idempotency_key:
            for rec in self.jobs.values():
                if rec.spec.idempotency_key == spec.idempotency_key:
                    return rec.spec.job_id
        self._writer().insert("jobs", JobRow(spec).to_row())
        await trio.to_thread.run_sync(self._writer().flush, 10.0)   # durable before we answer (FR-010)
        self._enqueue(spec, circuit=circuit)
        self.metrics.jobs_total.inc(state="QUEUED")
        return spec.job_id

    def _enqueue(self, spec: JobSpec, *, run: int = 1, resumed: bool = False, circuit=None) -> JobRecord:
        rec = JobRecord(spec, publish=lambda snap, _id=spec.job_id: self._publish(_id, snap), run=run,
                        resumed=resumed, circuit=circuit)
        self.jobs[spec.job_id] = rec
        self._writer().insert("job_events", {"job_id": spec.job_id, "state": "QUEUED", "ts": time.time(),
                                             "detail": json.dumps({"run": run, "resumed": resumed})})
        self._send.send_nowait(spec.job_id)
        ev, self._added = self._added, trio.Event()
        ev.set()
        return rec

    def _publish(self, job_id: str, snap: JobSnapshot) -> None:
        rec = self.jobs.get(job_id)
        result = rec.result if rec is not None and snap.state in TERMINAL_STATES else None
        self._publish_cb(snap, result)

    # ----------------------------------------------------------- running
    async def worker(self) -> None:
        await self.ready.wait()
        async for job_id in self._recv:
            rec = self.jobs.get(job_id)
            if rec is None or rec.snapshot.state is not JobState.QUEUED:
                continue
            with trio.CancelScope() as scope:
                rec.cancel_scope = scope
                with log_context(job_id=job_id, correlation_id=job_id):
                    await self.runner.run(rec, self.policy(rec.spec.mode))
            if scope.cancelled_caught and not rec.done.is_set():
                await self._finish_cancelled(rec)   # cancelled while queued or between steps
            rec.cancel_scope = None

    async def _finish_cancelled(self, rec: JobRecord) -> None:
        res = terminal_result(rec, JobState.CANCELLED, {"type": "cancelled", "message": "job cancelled"})
        await self.runner.conclude(rec, res)

    def cancel(self, job_id: str) -> bool:
        """Request cancellation; False if the job is already terminal."""
        rec = self.get(job_id)
        if rec.snapshot.state in TERMINAL_STATES:
            return False
        if rec.cancel_scope is not None:
            rec.cancel_scope.cancel()
        else:
            self.nursery.start_soon(self._finish_cancelled, rec)
        return True

    # ----------------------------------------------------------- recovery
    def recover(self, store: Any) -> int:
        """Re-queue every unfinished job of ``store`` (FR-010); returns how many."""
        rows = load_unfinished(store)
        for row in rows:
            run = row.run_count + 1
            self._writer().update("jobs", {"run_count": run, "resumed": True, "state": "QUEUED",
                                           "updated_at": time.time()}, {"job_id": row.spec.job_id})
            log.info("recovering job %s (was %s), run %d", row.spec.job_id, row.state, run)
            self._enqueue(row.spec, run=run, resumed=True)
        return len(rows)
