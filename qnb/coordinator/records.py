"""Typed row mapping between the runtime and DuckDB (FR-010): jobs in and out, runner facts down.

:class:`JobRow` is the one definition of a ``jobs`` row: built from a :class:`JobSpec` on submit,
read back by column name on recovery (never by position). :class:`StoreHooks` writes every fact
the runner reports (state changes, plans, attempts, reservations, fallbacks, results) to the
store, the metrics and the audit chain (GOV-5 seam).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any, Callable

import trio

from ..observability import Metrics
from ..planning import Plan
from ..runtime.job import Attempt, JobResult, JobSpec, JobState, TERMINAL_STATES
from ..runtime.runner import JobRecord, RunnerHooks

__all__ = ["JobRow", "load_unfinished", "StoreHooks", "epoch", "sha256"]


def epoch(value: Any) -> float:
    """Store TIMESTAMPs are naive UTC datetimes; the runtime uses epoch seconds."""
    if isinstance(value, _dt.datetime):
        return value.replace(tzinfo=_dt.timezone.utc).timestamp()
    return float(value or time.time())


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class JobRow:
    """One row of ``jobs``: what was submitted plus its run bookkeeping."""

    spec: JobSpec
    state: str = "QUEUED"
    run_count: int = 1
    resumed: bool = False

    COLUMNS = ("job_id", "name", "state", "submitted_at", "updated_at", "finished_at", "circuit_source",
               "source_format", "fingerprint", "num_qubits", "num_ops", "parameters", "shots", "seed",
               "min_fidelity", "policy", "idempotency_key", "run_count", "resumed", "error")

    def to_row(self) -> dict[str, Any]:
        s = self.spec
        return {"job_id": s.job_id, "name": s.name, "state": self.state, "submitted_at": s.submitted_at,
                "updated_at": s.submitted_at, "finished_at": None, "circuit_source": s.source,
                "source_format": s.source_format, "fingerprint": s.fingerprint, "num_qubits": s.num_qubits,
                "num_ops": s.num_ops, "parameters": json.dumps(s.parameters), "shots": s.shots, "seed": s.seed,
                "min_fidelity": s.min_fidelity, "policy": json.dumps({"noisy": s.noisy, "mode": s.mode, "plan_only": s.plan_only}),
                "idempotency_key": s.idempotency_key, "run_count": self.run_count, "resumed": self.resumed,
                "error": None}

    @classmethod
    def from_db(cls, row: dict[str, Any]) -> "JobRow":
        policy = json.loads(row.get("policy") or "{}")
        spec = JobSpec(job_id=row["job_id"], name=row["name"], source=row["circuit_source"],
                       source_format=row["source_format"], fingerprint=row["fingerprint"],
                       num_qubits=row["num_qubits"], num_ops=row["num_ops"], shots=row["shots"], seed=row["seed"],
                       min_fidelity=row["min_fidelity"], parameters=json.loads(row.get("parameters") or "{}"),
                       noisy=policy.get("noisy", True), submitted_at=epoch(row["submitted_at"]),
                       idempotency_key=row.get("idempotency_key"), mode=policy.get("mode", "distributed"),
                       plan_only=bool(policy.get("plan_only", False)))
        return cls(spec, state=row["state"], run_count=int(row.get("run_count") or 1),
                   resumed=bool(row.get("resumed")))


def load_unfinished(store: Any) -> list[JobRow]:
    """Every job not in a terminal state, oldest first."""
    terminal = ", ".join(f"'{s.value}'" for s in sorted(TERMINAL_STATES, key=lambda s: s.value))
    res = store.sql(f"select {', '.join(JobRow.COLUMNS)} from jobs where state not in ({terminal}) "
                    "order by submitted_at")
    return [JobRow.from_db(d) for d in res.to_dicts()]


class StoreHooks(RunnerHooks):
    """Writes every runner fact to DuckDB, metrics and the audit chain.

    ``writer`` returns the coordinator's StoreWriter (it exists only while the coordinator runs);
    ``book_events(node, events)`` persists a node's reservation-book events.
    """

    def __init__(self, writer: Callable[[], Any], metrics: Metrics, *, max_attempts: int,
                 book_events: Callable[[str, list[dict]], None]) -> None:
        self._writer = writer
        self.metrics = metrics
        self.max_attempts = max_attempts
        self._book_events = book_events
        self._seq: dict[tuple[str, int], int] = {}   # plan revision per (job, run)

    @property
    def w(self):
        return self._writer()

    def state(self, rec: JobRecord) -> None:
        s = rec.snapshot
        now = time.time()
        self.w.insert("job_events", {"job_id": s.job_id, "state": s.state.value, "ts": now,
                                     "detail": json.dumps({"run": rec.run, "error": s.error})})
        upd: dict[str, Any] = {"state": s.state.value, "updated_at": now}
        if s.state in TERMINAL_STATES:
            upd["finished_at"] = now
            upd["error"] = json.dumps(s.error) if s.error else None
            self.metrics.jobs_total.inc(state=s.state.value)
            if s.state is JobState.FAILED and s.error:
                self.metrics.failures_total.inc(reason=str(s.error.get("type")))
        self.w.update("jobs", upd, {"job_id": s.job_id})

    def plan(self, rec: JobRecord, plan: Plan, compile_ms: float) -> None:
        key = (rec.spec.job_id, rec.run)
        revision = self._seq[key] = self._seq.get(key, -1) + 1
        self.w.insert("plans", {"job_id": rec.spec.job_id, "run": rec.run, "revision": revision,
                                "plan_hash": plan.plan_hash, "plan": json.dumps(plan.to_json()),
                                "compile_ms": compile_ms, "estimated_fidelity": plan.estimated_fidelity,
                                "ebits": plan.ebits, "created_at": time.time()})
        self.w.append_audit("plan", rec.spec.job_id, {"plan_hash": plan.plan_hash, "run": rec.run})

    def attempt(self, rec: JobRecord, a: Attempt) -> None:
        self.w.insert("attempts", {"job_id": rec.spec.job_id, "run": rec.run, "fragment_id": a.fragment_id,
                                   "attempt": a.attempt, "node": a.node, "started_at": a.start,
                                   "finished_at": a.end, "status": a.status,
                                   "error": json.dumps({"message": a.error}) if a.error else None,
                                   "sim_ms": a.sim_ms, "overhead_ms": a.overhead_ms,
                                   "wall_ms": (a.end - a.start) * 1000, "correlation_id": a.correlation_id})
        m = self.metrics
        m.fragment_latency_seconds.observe(a.end - a.start)
        if a.status == "ok":
            m.fragment_overhead_seconds.observe(a.overhead_ms / 1000)
        elif a.attempt < self.max_attempts:
            m.retries_total.inc(node=a.node)

    def reservation(self, rec: JobRecord, node: str, response: dict, request: dict) -> None:
        self._book_events(node, response.get("events") or [])

    def book_events(self, node: str, events: list[dict]) -> None:
        self._book_events(node, events)

    def event(self, rec: JobRecord, kind: str, data: dict) -> None:
        if kind == "fallback":
            self.metrics.fallbacks_total.inc()
        self.w.append_audit(kind, rec.spec.job_id, data)

    async def commit(self, rec: JobRecord) -> None:
        await trio.to_thread.run_sync(self.w.flush, 30.0)

    def result(self, rec: JobRecord, r: JobResult) -> None:
        self.w.upsert("results", {
            "job_id": r.job_id, "run": r.run, "status": r.status, "counts": json.dumps(r.counts), "shots": r.shots,
            "estimated_fidelity": r.estimated_fidelity, "measured_fidelity": r.measured_fidelity,
            "state_fidelity": r.state_fidelity, "ebits": r.ebits, "remote_gates": r.remote_gates,
            "wall_ms": r.wall_ms, "mode": r.mode, "resumed": r.resumed,
            "timeline": json.dumps([f.to_json() for f in r.fragments]), "created_at": time.time()},
            key=("job_id",))
        for f in r.fragments:
            self.w.insert("fragments", {"job_id": r.job_id, "run": r.run, "fragment_id": f.fragment_id,
                                        "node": f.node, "kind": f.kind, "ops": f.ops, "qubits": "[]",
                                        "status": f.status, "started_at": f.start, "finished_at": f.end})
        self.metrics.job_latency_seconds.observe(r.wall_ms / 1000)
        self.w.append_audit("result", r.job_id, {"status": r.status, "run": r.run,
                                                 "counts_sha": sha256(json.dumps(r.counts, sort_keys=True))})
