"""The job runner: one job from COMPILING to a terminal state (FR-004..FR-007, NFR-002, NFR-007).

Steps, each recorded through :class:`RunnerHooks` (job events, plans, attempts, reservations, result):

1. COMPILING  ingest the stored source, check it is executable, plan it on the policy's planning
              view (the policy hook runs here, before assignment).
2. RESERVING  the policy reserves a window on every node of the plan. An adaptive policy excludes
              nodes that refuse and re-plans; a non-adaptive one fails the job.
3. EXECUTING  hand the simulated quantum state along the fragments in topological order. Each
              fragment: per-class timeout, bounded exponential backoff with jitter on the same
              node, then (adaptive policy) fallback: re-plan the remaining operations on the
              remaining feasible nodes, excluding every node that failed. Nothing feasible ->
              FragmentError naming the fragment, the nodes tried and why each failed.
4. result     counts sampled from the final state (job shots and seed, readout error of the node
              that holds each measured qubit), measured fidelity (Hellinger vs the ideal
              distribution), estimated fidelity (planner), state fidelity for noiseless runs.

The schedule itself (fragments, attempts, placements, fallbacks) lives in an
:class:`~qnb.runtime.execution.Execution`; what differs between distributed orchestration and the
centralized baseline lives in :mod:`qnb.runtime.policies`. The runner talks to nodes only through
a :class:`~qnb.runtime.gateway.NodeGateway`, so the same code drives the embedded mesh, a
cross-process mesh and the unit tests' scripted gateway (:class:`qnb.testing.ScriptedGateway`).
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

import trio

from ..circuits import loads
from ..circuits.ir import Circuit
from ..errors import FragmentError, PlanningError, QnbError
from ..planning import CostWeights, Plan, plan_circuit
from ..planning.planner import link_fidelities
from ..quantum.checks import check_executable
from ..quantum.limits import StateLimitError, StateLimits, choose_mode
from ..quantum.state import QuantumState
from ..quantum.wire_ops import ops_to_wire
from ..topology import Topology
from .backoff import Backoff
from .execution import Execution
from .gateway import NodeCallError, NodeGateway
from .job import Attempt, JobResult, JobSnapshot, JobSpec, JobState, FragmentRun
from .policies import Distributed, OrchestrationPolicy

__all__ = ["RunnerOptions", "JobRecord", "JobRunner", "RunnerHooks", "terminal_result",
           "NodeGateway", "NodeCallError"]

log = logging.getLogger("qnb.runtime")

#: circuits with more operations than this are planned in a worker thread
PLAN_IN_THREAD_OPS = 200


@dataclass(frozen=True)
class RunnerOptions:
    backoff: Backoff = Backoff()
    exec_timeout_s: float = 30.0
    reserve_timeout_s: float = 2.0
    weights: CostWeights = CostWeights()
    statevector_max_qubits: int = 20
    density_matrix_max_qubits: int = 10
    reservation_hold_s: float = 30.0
    #: a time conflict waits in line for the node's next free window up to this far ahead (FR-005)
    reservation_queue_s: float = 600.0
    #: reservation rounds (each may exclude refusing nodes and re-plan) before the job fails
    max_replans: int = 8

    @property
    def limits(self) -> StateLimits:
        return StateLimits(self.statevector_max_qubits, self.density_matrix_max_qubits)


@dataclass
class JobRecord:
    """Mutable per-job state, touched only inside the trio thread; publishes snapshots.

    ``wait_changed()`` is the awaitable "record changed" event: it returns after the next
    published snapshot (faults, the harness and widgets wait on it instead of polling).
    """

    spec: JobSpec
    publish: Callable[[JobSnapshot], None]
    snapshot: JobSnapshot = None  # type: ignore[assignment]
    run: int = 1
    resumed: bool = False
    cancel_scope: trio.CancelScope | None = None
    result: JobResult | None = None
    done: trio.Event = field(default_factory=trio.Event)
    #: the parsed circuit when the submitter already ingested it (saves a second parse)
    circuit: Circuit | None = None
    #: every plan of the current run: the first, then one per re-plan (reservation or fallback)
    plans: list = field(default_factory=list)
    #: the last published snapshot (a terminal state is published only once it is durable)
    published: JobSnapshot | None = None
    _changed: trio.Event = field(default_factory=trio.Event, repr=False)

    def __post_init__(self) -> None:
        if self.snapshot is None:
            now = time.time()
            self.snapshot = JobSnapshot(job_id=self.spec.job_id, name=self.spec.name, state=JobState.QUEUED,
                                        submitted_at=self.spec.submitted_at, updated_at=now,
                                        history=(("QUEUED", now),))
        self.announce()

    def update(self, **kw: Any) -> None:
        self.snapshot = self.snapshot.evolve(**kw)
        self.announce()

    def announce(self) -> None:
        """Publish the current snapshot; ``published`` is what every reader outside the runner sees."""
        self.published = self.snapshot
        self.publish(self.snapshot)
        ev, self._changed = self._changed, trio.Event()
        ev.set()

    async def wait_changed(self) -> JobSnapshot:
        """Wait for the next published snapshot and return it."""
        await self._changed.wait()
        return self.published

    def set_state(self, state: JobState, *, publish: bool = True, **kw: Any) -> None:
        hist = self.snapshot.history + ((state.value, time.time()),)
        if publish:
            self.update(state=state, history=hist, **kw)
        else:
            self.snapshot = self.snapshot.evolve(state=state, history=hist, **kw)


class RunnerHooks:
    """Observers of the runner. The coordinator's records module writes the store, metrics and audit."""

    def state(self, rec: JobRecord) -> None: ...
    def plan(self, rec: JobRecord, plan: Plan, compile_ms: float) -> None: ...
    def attempt(self, rec: JobRecord, attempt: Attempt) -> None: ...
    def reservation(self, rec: JobRecord, node: str, response: dict, request: dict) -> None: ...
    def book_events(self, node: str, events: list[dict]) -> None: ...
    def event(self, rec: JobRecord, kind: str, data: dict) -> None: ...
    def result(self, rec: JobRecord, result: JobResult) -> None: ...
    def policy(self, spec: JobSpec, topology: Topology) -> None: ...

    async def commit(self, rec: JobRecord) -> None:
        """Make everything recorded so far durable (called before a terminal state is published)."""


def terminal_result(rec: JobRecord, state: JobState, error: dict | None, *, plan: Plan | None = None,
                    attempts: tuple[Attempt, ...] = (), wall_ms: float = 0.0, compile_ms: float = 0.0) -> JobResult:
    """The result of a job that ends without counts (FAILED or CANCELLED): what it had got to."""
    snap = rec.snapshot
    return JobResult(
        job_id=rec.spec.job_id, name=rec.spec.name, status=state.value, counts={}, shots=rec.spec.shots,
        measured_fidelity=None, estimated_fidelity=plan.estimated_fidelity if plan else None,
        state_fidelity=None, ebits=plan.ebits if plan else 0, remote_gates=plan.remote_gates if plan else 0,
        fragments=snap.fragments, attempts=tuple(attempts), wall_ms=wall_ms, compile_ms=compile_ms,
        mode="none", plan_hash=plan.plan_hash if plan else None, retries=snap.retries, fallbacks=snap.fallbacks,
        resumed=rec.resumed, run=rec.run, error=error, orchestration=rec.spec.mode)


class JobRunner:
    """Runs jobs under an orchestration policy (default: :class:`~qnb.runtime.policies.Distributed`).

    ``topology`` returns the registry's live snapshot; the policy decides what the planner sees.
    """

    def __init__(self, gateway: NodeGateway, topology: Callable[[], Topology], options: RunnerOptions | None = None,
                 hooks: RunnerHooks | None = None) -> None:
        self.gateway = gateway
        self.topology = topology
        self.options = options or RunnerOptions()
        self.hooks = hooks or RunnerHooks()
        self.default_policy: OrchestrationPolicy = Distributed()

    # ================================================================= entry
    async def run(self, rec: JobRecord, policy: OrchestrationPolicy | None = None) -> JobResult:
        """Drive ``rec`` to a terminal state; the result is durable (hooks.commit) before it is published."""
        policy = policy or self.default_policy
        spec = rec.spec
        t0 = time.perf_counter()
        compile_ms = 0.0
        plan: Plan | None = None
        ex: Execution | None = None

        def ended(state: JobState, error: dict) -> JobResult:
            return terminal_result(rec, state, error, plan=plan, attempts=tuple(ex.attempts) if ex else (),
                                   wall_ms=(time.perf_counter() - t0) * 1000, compile_ms=compile_ms)
        try:
            self._enter(rec, JobState.COMPILING)
            tc = time.perf_counter()
            circuit = await self._compile_circuit(spec, rec.circuit)
            mode = self._state_mode(circuit, spec)
            plan = await self._plan(policy, circuit, spec, exclude=())
            compile_ms = (time.perf_counter() - tc) * 1000
            self._note_plan(rec, plan, compile_ms)
            self._publish_plan(rec, plan)

            self._enter(rec, JobState.RESERVING)
            plan, held = await self._reserve_all(policy, rec, circuit, plan)
            self._publish_plan(rec, plan)

            self._enter(rec, JobState.EXECUTING)
            ex = Execution(rec, circuit, plan, reservations=held,
                           link_noise=self.link_noise(plan, circuit, self.topology(), (), spec.noisy))
            result = await self._execute(policy, ex, mode, t0, compile_ms)
        except trio.Cancelled:
            result = ended(JobState.CANCELLED, {"type": "cancelled", "message": "job cancelled"})
            with trio.CancelScope(shield=True):
                if ex is not None:
                    await policy.release(self, ex.reservations)
                await self.conclude(rec, result)
            raise
        except QnbError as e:
            result = ended(JobState.FAILED, e.to_json()["error"])
        except Exception as e:  # an internal bug must still end the job, never hang it
            log.exception("internal error in job %s", spec.job_id)
            result = ended(JobState.FAILED, {"type": "internal", "message": f"{type(e).__name__}: {e}"})
        if ex is not None and result.status != JobState.COMPLETED.value:
            with trio.CancelScope(shield=True):
                await policy.release(self, ex.reservations)
        await self.conclude(rec, result)
        return result

    def _enter(self, rec: JobRecord, state: JobState) -> None:
        rec.set_state(state)
        self.hooks.state(rec)

    async def conclude(self, rec: JobRecord, result: JobResult) -> None:
        """Persist the terminal state and result, make them durable, and only then publish them:
        a job anyone saw COMPLETED is never re-run after a crash (FR-010)."""
        rec.result = result
        self.hooks.result(rec, result)
        rec.set_state(JobState(result.status), publish=False, error=result.error)
        self.hooks.state(rec)
        try:
            await self.hooks.commit(rec)
        finally:
            rec.announce()
            rec.done.set()

    # ============================================================== compile
    async def _compile_circuit(self, spec: JobSpec, parsed: Circuit | None = None) -> Circuit:
        """Ingest (unless the submitter already parsed it), bind and check, in a worker thread:
        parsing is CPU work and must never stall the hosts on this trio loop."""

        def work() -> Circuit:
            # a stored source is text (never a path or a bundled name), parsed within the default bounds
            circuit = parsed if parsed is not None else loads(spec.source)
            if spec.parameters or circuit.parameters:
                circuit = circuit.bind(spec.parameters)
            check_executable(circuit)
            return circuit
        return await trio.to_thread.run_sync(work)

    async def _plan(self, policy: OrchestrationPolicy, circuit: Circuit, spec: JobSpec, exclude) -> Plan:
        topo = policy.planning_view(self.topology())
        self.hooks.policy(spec, topo)  # GOV-3 seam: a policy verdict before assignment

        def work() -> Plan:
            return plan_circuit(circuit, topo, seed=spec.seed, min_fidelity=spec.min_fidelity,
                                weights=self.options.weights, exclude=tuple(exclude))
        if circuit.num_ops > PLAN_IN_THREAD_OPS:
            return await trio.to_thread.run_sync(work)
        return work()

    def _note_plan(self, rec: JobRecord, plan: Plan, compile_ms: float) -> None:
        rec.plans.append(plan)
        self.hooks.plan(rec, plan, compile_ms)

    def _publish_plan(self, rec: JobRecord, plan: Plan) -> None:
        frs = tuple(FragmentRun(f.id, f.node, f.kind, len(f.op_indices), "pending", planned_node=f.node)
                    for f in plan.fragments)
        rec.update(fragments_total=len(frs), fragments=frs, edges=plan.edges, plan_hash=plan.plan_hash)

    # ============================================================ reserve
    async def _reserve_all(self, policy: OrchestrationPolicy, rec: JobRecord, circuit: Circuit,
                           plan: Plan) -> tuple[Plan, dict[str, str]]:
        """Reserve every node of the plan; an adaptive policy excludes refusing nodes and re-plans."""
        excluded: list[str] = []
        for _ in range(self.options.max_replans):
            got = await policy.reserve(self, rec, plan, sorted({f.node for f in plan.fragments}))
            if not got.refused:
                return plan, got.held
            with trio.CancelScope(shield=True):
                await policy.release(self, got.held)
            if not policy.adaptive:
                raise PlanningError("reservation refused: " + got.describe_refusals(), missing="reservation")
            excluded.extend(n for n, _ in got.refused)
            rec.update(fallbacks=rec.snapshot.fallbacks + 1)
            self.hooks.event(rec, "replan", {"reason": "reservation", "refused": got.refused})
            plan = await self._plan(policy, circuit, rec.spec, exclude=excluded)
            self._note_plan(rec, plan, 0.0)
        raise PlanningError(f"could not reserve a plan after {self.options.max_replans} re-plans; "
                            f"excluded {sorted(set(excluded))}", missing="reservation")

    # ============================================================ execute
    def _state_mode(self, circuit: Circuit, spec: JobSpec) -> str:
        """How the state is simulated; a job that measures must get counts or fail before it runs."""
        if spec.plan_only:
            return "none"
        mode = choose_mode(circuit.num_qubits, spec.noisy, self.options.limits)
        if mode == "none" and circuit.measurements:
            o = self.options
            need, limit = (("a density matrix", f"limits.density_matrix_max_qubits = {o.density_matrix_max_qubits}")
                           if spec.noisy else
                           ("a state vector", f"limits.statevector_max_qubits = {o.statevector_max_qubits}"))
            raise StateLimitError(
                f"{circuit.num_qubits} qubits {'with' if spec.noisy else 'without'} noise need {need} beyond "
                f"{limit}; no counts could be produced. Raise the limit, run noiseless (state vector up to "
                f"{o.statevector_max_qubits} qubits), or submit with plan_only=True for plan and timing only",
                num_qubits=circuit.num_qubits, limit=limit.split(" =")[0])
        return mode

    async def _execute(self, policy: OrchestrationPolicy, ex: Execution, mode: str, t0: float,
                       compile_ms: float) -> JobResult:
        rec, spec, circuit = ex.record, ex.record.spec, ex.circuit
        rng = random.Random(spec.seed)
        state = QuantumState.initial(circuit.num_qubits, mode) if mode != "none" else None
        i = 0
        while i < len(ex):
            new_state = await self._run_fragment(policy, ex, i, state, mode, rng)
            if new_state is _FAILED:
                await self._fall_back(policy, ex, i)
            else:
                state = new_state
            i += 1
        await policy.release(self, ex.reservations)
        return await self._finish(ex, state, mode, t0, compile_ms)

    async def _run_fragment(self, policy: OrchestrationPolicy, ex: Execution, i: int, state, mode: str, rng):
        """Attempt fragment ``i`` with retries and backoff on its node; its new state, or ``_FAILED``."""
        node = ex.slot(i).node
        backoff = self.options.backoff
        for attempt in range(1, backoff.max_attempts + 1):
            ex.begin_attempt(i, attempt)
            a, new_state = await self._attempt(policy, ex, i, state, attempt, mode)
            ex.add_attempt(a)
            self.hooks.attempt(ex.record, a)
            if a.status == "ok":
                ex.complete(i, a)
                return new_state
            if a.status == "transport" and not self._alive(node):
                break   # its connection is gone: retrying the same node only delays the fallback
            if attempt < backoff.max_attempts:
                ex.count_retry()
                await trio.sleep(backoff.delay(attempt, rng))
        return _FAILED

    async def _fall_back(self, policy: OrchestrationPolicy, ex: Execution, i: int) -> None:
        """Fragment ``i`` failed on its node: re-plan the rest without every failed node, or raise."""
        slot = ex.slot(i)
        ex.exclude([slot.node])
        if not policy.adaptive:
            ex.fail(i)
            raise FragmentError(f"fragment {i} failed on {slot.node} after {slot.run.attempts} attempts "
                                f"({policy.name} orchestration does not re-plan)", fragment=i,
                                tried=ex.tried.get(i, []))
        remaining = ex.remaining_operations(i)
        residual = ex.circuit.with_operations(ex.circuit.operations[j] for j in remaining)
        excluded = sorted(ex.excluded)
        try:
            rplan = await self._plan(policy, residual, ex.record.spec, exclude=excluded)
        except PlanningError as e:
            ex.fail(i)
            raise FragmentError(
                f"fragment {i} ({slot.fragment.kind}, {len(slot.op_indices)} ops) failed on {excluded} and no "
                f"feasible fallback exists: {e.message}", fragment=i, tried=ex.all_tried()) from None
        noise = self.link_noise(rplan, residual, self.topology(), excluded, ex.record.spec.noisy)
        ex.replace_remainder(i, rplan, remaining, noise)
        self.hooks.event(ex.record, "fallback", {"fragment": i, "failed": slot.node, "excluded": excluded,
                                                 "plan_hash": rplan.plan_hash})
        self._note_plan(ex.record, rplan, 0.0)
        new_nodes = sorted({f.node for f in rplan.fragments} - set(ex.reservations))
        if new_nodes:
            # a node that refuses here runs without a window; if it then fails, another fallback follows
            ex.add_reservations((await policy.reserve(self, ex.record, rplan, new_nodes)).held)

    def _alive(self, node: str) -> bool:
        check = getattr(self.gateway, "node_alive", None)
        return True if check is None else bool(check(node))

    @staticmethod
    def link_noise(plan: Plan, circuit: Circuit, topo: Topology, exclude, noisy: bool = True) -> dict[int, float]:
        """Extra link noise per remote gate (operation index in ``circuit``): exactly the factor the
        planner's ebit rule charged, so measured and estimated fidelity describe the same model."""
        if not plan.remote_gates or not noisy:   # a noiseless job has ideal links too
            return {}
        return {j: f for j, f in link_fidelities(plan, circuit, topo, exclude).items() if f < 1.0}

    async def _attempt(self, policy: OrchestrationPolicy, ex: Execution, i: int, state, attempt: int,
                       mode: str) -> tuple[Attempt, Any]:
        spec, slot = ex.record.spec, ex.slot(i)
        node = slot.node
        corr = f"{spec.job_id[:8]}-{i}-{attempt}-{uuid.uuid4().hex[:6]}"
        header: dict[str, Any] = {
            "type": "exec", "job_id": spec.job_id, "fragment_id": i, "attempt": attempt,
            "correlation_id": corr, "num_qubits": spec.num_qubits,
            "ops": ops_to_wire(ex.operations(i), ex.link_factors(i) or None), "noise": spec.noisy,
            "reservation_id": policy.exec_reservation(ex.reservations.get(node)), "mode": mode,
            "peers": list(slot.fragment.peers),
        }
        payload = None
        if state is not None:
            desc, payload = state.encode()
            header["state"] = desc
        else:
            header["state"] = {"kind": "none", "num_qubits": spec.num_qubits, "dtype": "complex128", "nbytes": 0}
        start = time.time()
        t = time.perf_counter()
        try:
            resp, out = await self.gateway.execute(node, header, payload, self.options.exec_timeout_s)
        except NodeCallError as e:
            return Attempt(i, attempt, node, start, time.time(), e.kind, e.message, correlation_id=corr), None
        wall = (time.perf_counter() - t) * 1000
        sim = float(resp.get("sim_ms", 0.0))
        new_state = None
        if state is not None:
            try:
                new_state = QuantumState.decode(resp["state"], out or b"")
            except (QnbError, KeyError, TypeError) as e:
                msg = e.message if isinstance(e, QnbError) else f"missing or malformed state descriptor ({e})"
                return Attempt(i, attempt, node, start, time.time(), "remote_error",
                               f"bad state from node: {msg}", correlation_id=corr), None
        return Attempt(i, attempt, node, start, time.time(), "ok", None, sim, max(0.0, wall - sim), corr), new_state

    # ============================================================= finish
    async def _finish(self, ex: Execution, state, mode: str, t0: float, compile_ms: float) -> JobResult:
        spec, circuit = ex.record.spec, ex.circuit
        topo = self.topology()
        counts: dict[str, int] = {}
        measured = state_f = None
        meas = list(circuit.measurements)
        if state is not None:
            readout = {}
            for q, _c in meas:
                node = ex.qubit_node.get(q)
                if spec.noisy and node and node in topo.by_id:
                    readout[q] = topo.node(node).fidelity_readout
            counts, measured, state_f = await trio.to_thread.run_sync(
                _sample_and_score, circuit, state, meas, spec, readout, self.options.limits)
        elif spec.plan_only:
            ex.notes.append("plan-and-timing only (plan_only=True): no state was simulated, so there are no counts")
        else:
            ex.notes.append(f"plan-and-timing only: the circuit measures nothing and {circuit.num_qubits} qubits "
                            f"exceed the state limits (statevector {self.options.statevector_max_qubits}, "
                            f"density matrix {self.options.density_matrix_max_qubits})")
        rec = ex.record
        return JobResult(
            job_id=spec.job_id, name=spec.name, status=JobState.COMPLETED.value, counts=counts, shots=spec.shots,
            measured_fidelity=measured,
            estimated_fidelity=ex.estimated_fidelity if ex.attempts else ex.plan.estimated_fidelity,
            state_fidelity=state_f, ebits=ex.ebits, remote_gates=ex.remote_gates, fragments=ex.runs(),
            attempts=tuple(ex.attempts), wall_ms=(time.perf_counter() - t0) * 1000, compile_ms=compile_ms,
            mode=mode, plan_hash=ex.plan.plan_hash, retries=ex.retries, fallbacks=ex.fallbacks,
            resumed=rec.resumed, run=rec.run, orchestration=spec.mode, notes=tuple(ex.notes))


#: the outcome of a fragment whose every attempt failed (a state may legitimately be None)
_FAILED = object()


def _sample_and_score(circuit: Circuit, state, meas, spec: JobSpec, readout, limits):
    """Counts from the distributed final state; measured fidelity against the ideal distribution
    and (noiseless runs) the state overlap with the monolithic ideal state. One ideal simulation."""
    from ..quantum import fidelity as fq
    counts = fq.sample_counts(state, meas, circuit.num_clbits, spec.shots, spec.seed, readout or None)
    ideal = fq.ideal_state(circuit, limits)
    measured = state_f = None
    if meas:
        probs = fq.distribution(QuantumState("statevector", circuit.num_qubits, ideal), meas, circuit.num_clbits)
        measured = fq.hellinger_fidelity(counts, probs)
    if not spec.noisy:
        state_f = fq.state_fidelity(state, ideal)
    return counts, measured, state_f
