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
    """The lifecycle states of a job (FR-009), a ``str`` enum whose values are the names.

    A job moves QUEUED -> COMPILING -> RESERVING -> EXECUTING and ends in one of the terminal
    states COMPLETED, FAILED or CANCELLED (:data:`TERMINAL_STATES`). ``str(state)`` is the name.
    """

    QUEUED = "QUEUED"
    COMPILING = "COMPILING"
    RESERVING = "RESERVING"
    EXECUTING = "EXECUTING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    def __str__(self) -> str:
        """The state's name, e.g. ``"COMPLETED"`` (the value stored in DuckDB and JSON)."""
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
        """The attempt as a JSON-ready dict of its fields."""
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
        """The fragment run as a JSON-ready dict of its fields."""
        return asdict(self)


@dataclass(frozen=True)
class JobSnapshot:
    """An immutable view of a job at one moment (FR-006, FR-009), as the mesh publishes it.

    ``Job.snapshot``, ``Mesh.jobs()``, the widgets and the CLI read these; a new one replaces the
    old on every change, so a snapshot is never half-updated. Fields: ``job_id``, ``name``,
    ``state`` (:class:`JobState`), ``submitted_at`` and ``updated_at`` (epoch seconds),
    ``fragments_total`` and ``fragments_done`` (of the current plan), ``retries`` and
    ``fallbacks`` (FR-007), ``fragments`` (one :class:`FragmentRun` each), ``edges`` (the fragment
    DAG as ``(from, to)`` fragment ids), ``history`` (``(state name, epoch seconds)`` per
    transition, oldest first), ``error`` (a dict with at least ``type`` and ``message`` once the
    job failed or was cancelled, else None) and ``plan_hash`` (of the current plan, None before
    planning).
    """

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
        """True if the job is in a terminal state (COMPLETED, FAILED or CANCELLED)."""
        return self.state in TERMINAL_STATES

    @property
    def progress(self) -> float:
        """Fraction of fragments done, 0.0 .. 1.0 (1.0 once COMPLETED; 0.0 before planning) (NB-5)."""
        if self.state is JobState.COMPLETED:
            return 1.0
        return self.fragments_done / self.fragments_total if self.fragments_total else 0.0

    def evolve(self, **kw: Any) -> "JobSnapshot":
        """A copy with the fields ``kw`` replaced and ``updated_at`` set to now (used by the runtime;
        snapshots themselves never change). Raises :class:`TypeError` for an unknown field."""
        return replace(self, updated_at=time.time(), **kw)


@dataclass(frozen=True)
class JobResult:
    """The aggregated outcome of a job (FR-006): counts, fidelities, ebits and the timeline.

    Returned by ``Job.result()`` / ``Job.wait()`` for every terminal job: check :attr:`ok` (a
    FAILED or CANCELLED job has ``ok`` False, empty ``counts`` and an ``error`` dict). Fields:

    - ``job_id``, ``name``; ``status``: the terminal :class:`JobState` value as a string.
    - ``counts``: bitstring -> count over ``shots`` shots, sampled from the state the distributed
      run produced (empty for plan-and-timing runs and failed jobs).
    - ``measured_fidelity``: Hellinger fidelity of ``counts`` against the ideal distribution;
      ``estimated_fidelity``: what the cost model predicted for the plan; ``state_fidelity``: the
      final state against the ideal one (NFR-007). Each None when not available.
    - ``ebits`` and ``remote_gates`` of the executed plan (docs/planning.md has the accounting).
    - ``fragments`` (:class:`FragmentRun` each) and ``attempts`` (:class:`Attempt` each): the
      timeline (FR-006); ``retries`` and ``fallbacks`` (FR-007).
    - ``wall_ms``: from leaving the queue to the result; ``compile_ms``: parsing plus planning.
    - ``mode``: ``"statevector"``, ``"density_matrix"`` or ``"none"`` (plan-and-timing only);
      ``orchestration``: ``"distributed"`` or ``"centralized"`` (FR-013); ``plan_hash``.
    - ``resumed``: True if the job was re-queued after a coordinator restart (FR-010); ``run``:
      which run of the job this is (1 = the first).
    - ``error``: None, or a dict with at least ``type`` and ``message``; ``notes``: remarks
      such as why no state was simulated.
    """

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
        """True if the job COMPLETED (FAILED and CANCELLED jobs are not ok)."""
        return self.status == JobState.COMPLETED.value

    def to_json(self) -> dict:
        """Every field as a JSON-ready dict (the body of a ``/qnb/control`` result reply); ``wall_ms`` and
        ``compile_ms`` are rounded to 3 decimals, fragments and attempts become lists of dicts."""
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
