"""Job lifecycle values (FR-006, FR-009): states, attempts, immutable snapshots and results.

The runtime mutates a private ``JobRecord`` inside the trio thread and publishes immutable
:class:`JobSnapshot` objects; the kernel, widgets and the CLI only ever read snapshots, so nothing
outside the trio thread can observe a half-updated job.
"""

from __future__ import annotations

import enum
import html
import json
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any

__all__ = ["JobState", "TERMINAL_STATES", "Attempt", "FragmentRun", "JobSnapshot", "JobResult", "JobSpec"]


class JobState(str, enum.Enum):
    QUEUED = "QUEUED"
    COMPILING = "COMPILING"
    RESERVING = "RESERVING"
    EXECUTING = "EXECUTING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    def __str__(self) -> str:
        return self.value


TERMINAL_STATES = frozenset({JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED})


@dataclass(frozen=True)
class JobSpec:
    """What was submitted: everything needed to (re-)run the job after a coordinator restart."""

    job_id: str
    name: str
    source: str               # QASM text (qiskit circuits are stored as their OpenQASM 3 export)
    source_format: str
    fingerprint: str
    num_qubits: int
    num_ops: int
    shots: int
    seed: int
    min_fidelity: float | None
    parameters: dict[str, float] = field(default_factory=dict)
    noisy: bool = True
    submitted_at: float = field(default_factory=time.time)
    idempotency_key: str | None = None
    #: orchestration mode: "distributed" (default) or "centralized" (the harness baseline)
    mode: str = "distributed"
    #: run plan and timing only, without simulating the state (no counts); asked for explicitly,
    #: never a silent fallback when a circuit exceeds the state limits (FR-006)
    plan_only: bool = False


@dataclass(frozen=True)
class Attempt:
    """One try of one fragment on one node (FR-006: node, start, end, status, error)."""

    fragment_id: int
    attempt: int
    node: str
    start: float
    end: float
    status: str                # "ok" | "timeout" | "transport" | "remote_error" | "cancelled"
    error: str | None = None
    sim_ms: float = 0.0
    overhead_ms: float = 0.0
    correlation_id: str = ""

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class FragmentRun:
    """Final status of one executed fragment: where it ran and how many attempts it took."""

    fragment_id: int
    node: str
    kind: str
    ops: int
    status: str                # "pending" | "running" | "done" | "failed" | "moved"
    attempts: int = 0
    start: float | None = None
    end: float | None = None
    planned_node: str | None = None

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class JobSnapshot:
    job_id: str
    name: str
    state: JobState
    submitted_at: float
    updated_at: float
    fragments_total: int = 0
    fragments_done: int = 0
    retries: int = 0
    fallbacks: int = 0
    fragments: tuple[FragmentRun, ...] = ()
    edges: tuple[tuple[int, int], ...] = ()
    history: tuple[tuple[str, float], ...] = ()
    error: dict | None = None
    plan_hash: str | None = None

    @property
    def done(self) -> bool:
        return self.state in TERMINAL_STATES

    @property
    def progress(self) -> float:
        if self.state is JobState.COMPLETED:
            return 1.0
        return self.fragments_done / self.fragments_total if self.fragments_total else 0.0

    def evolve(self, **kw: Any) -> "JobSnapshot":
        return replace(self, updated_at=time.time(), **kw)


@dataclass(frozen=True)
class JobResult:
    """The aggregated outcome of a job (FR-006): counts, fidelities, ebits and the timeline."""

    job_id: str
    name: str
    status: str
    counts: dict[str, int]
    shots: int
    measured_fidelity: float | None
    estimated_fidelity: float | None
    state_fidelity: float | None
    ebits: int
    remote_gates: int
    fragments: tuple[FragmentRun, ...]
    attempts: tuple[Attempt, ...]
    wall_ms: float
    compile_ms: float
    mode: str                   # "statevector" | "density_matrix" | "none" (plan-and-timing only)
    plan_hash: str | None
    retries: int = 0
    fallbacks: int = 0
    resumed: bool = False
    run: int = 1
    error: dict | None = None
    orchestration: str = "distributed"
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == JobState.COMPLETED.value

    def to_json(self) -> dict:
        return {
            "job_id": self.job_id, "name": self.name, "status": self.status, "counts": self.counts,
            "shots": self.shots, "measured_fidelity": self.measured_fidelity,
            "estimated_fidelity": self.estimated_fidelity, "state_fidelity": self.state_fidelity,
            "ebits": self.ebits, "remote_gates": self.remote_gates,
            "fragments": [f.to_json() for f in self.fragments],
            "attempts": [a.to_json() for a in self.attempts],
            "wall_ms": round(self.wall_ms, 3), "compile_ms": round(self.compile_ms, 3), "mode": self.mode,
            "plan_hash": self.plan_hash, "retries": self.retries, "fallbacks": self.fallbacks,
            "resumed": self.resumed, "run": self.run, "error": self.error,
            "orchestration": self.orchestration, "notes": list(self.notes),
        }

    # ------------------------------------------------------------ display
    def _fmt(self, x: float | None) -> str:
        return "-" if x is None else f"{x:.4f}"

    def __repr__(self) -> str:
        top = sorted(self.counts.items(), key=lambda kv: -kv[1])[:4]
        return (f"JobResult({self.name} {self.job_id[:8]} {self.status}, fragments={len(self.fragments)}, "
                f"ebits={self.ebits}, est={self._fmt(self.estimated_fidelity)}, "
                f"measured={self._fmt(self.measured_fidelity)}, retries={self.retries}, "
                f"fallbacks={self.fallbacks}, wall={self.wall_ms:.1f} ms, top={top})")

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{f.fragment_id}</td><td>{html.escape(f.node)}</td><td>{f.kind}</td><td>{f.ops}</td>"
            f"<td>{f.attempts}</td><td>{f.status}</td></tr>" for f in self.fragments)
        top = sorted(self.counts.items(), key=lambda kv: -kv[1])[:8]
        counts = ", ".join(f"{html.escape(k)}: {v}" for k, v in top)
        err = f"<p><b>error</b>: {html.escape(json.dumps(self.error))}</p>" if self.error else ""
        return (f"<div class='qnb-result'><b>{html.escape(self.name)}</b> <code>{self.job_id[:8]}</code> "
                f"<b>{self.status}</b> &middot; ebits {self.ebits} &middot; estimated fidelity "
                f"{self._fmt(self.estimated_fidelity)} &middot; measured {self._fmt(self.measured_fidelity)}"
                f" &middot; {self.wall_ms:.1f} ms{err}<br><small>top counts: {counts}</small>"
                f"<table><tr><th>fragment</th><th>node</th><th>kind</th><th>ops</th><th>attempts</th>"
                f"<th>status</th></tr>{rows}</table></div>")
