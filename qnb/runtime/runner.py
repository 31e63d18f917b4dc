"""The DAG executor: one job from COMPILING to a terminal state (FR-004..FR-007, NFR-002, NFR-007).

Steps, each recorded (job events, plan, attempts, reservations, result):

1. COMPILING  ingest the stored source, check it is executable, plan it on the registry's latest
              snapshot (the policy hook runs here, before assignment).
2. RESERVING  co-reserve a window on every node of the plan. A node that rejects for fidelity is
              excluded and the job re-planned; a time conflict takes the offered next window.
3. EXECUTING  hand the simulated quantum state along the fragments in topological order over
              libp2p RPC. Each fragment: per-class timeout, bounded exponential backoff with jitter
              on the same node, then fallback: re-plan the remaining operations on the remaining
              feasible nodes (excluding every node that failed). Nothing feasible -> FragmentError
              naming the fragment, the nodes tried and why each failed.
4. result     counts sampled from the final state (job shots and seed, readout error of the node
              that holds each measured qubit), measured fidelity (Hellinger vs the ideal
              distribution), estimated fidelity (planner), state fidelity for noiseless runs.

The runner talks to nodes only through a :class:`NodeGateway` (the coordinator's libp2p client), so
the same code drives the embedded mesh, a cross-process mesh and the centralized baseline.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

import trio

from ..circuits import load
from ..circuits.ir import Circuit
from ..errors import FragmentError, PlanningError, QnbError
from ..planning import CostWeights, Plan, plan_circuit
from ..topology import Topology
from .backoff import Backoff
from .job import Attempt, FragmentRun, JobResult, JobSnapshot, JobSpec, JobState

__all__ = ["NodeGateway", "RunnerOptions", "JobRecord", "JobRunner", "NodeCallError"]

log = logging.getLogger("qnb.runtime")


class NodeCallError(QnbError):
    """A node call failed. ``kind``: timeout | transport | remote_error | rejected."""

    type = "node_call_error"

    def __init__(self, message: str, kind: str, node: str, code: str | None = None) -> None:
        super().__init__(message, kind=kind, node=node, code=code)
        self.kind, self.node, self.code = kind, node, code


class NodeGateway(Protocol):
    """What the runner needs from the transport; implemented by the coordinator over libp2p."""

    async def reserve(self, node: str, request: dict, timeout: float) -> dict: ...
    async def cancel_reservation(self, node: str, reservation_id: str, timeout: float) -> None: ...
    async def execute(self, node: str, header: dict, payload: bytes | None, timeout: float) -> tuple[dict, bytes | None]: ...


@dataclass(frozen=True)
class RunnerOptions:
    backoff: Backoff = Backoff()
    exec_timeout_s: float = 30.0
    reserve_timeout_s: float = 2.0
    weights: CostWeights = CostWeights()
    statevector_max_qubits: int = 20
    density_matrix_max_qubits: int = 10
    reservation_hold_s: float = 30.0
    #: False = the centralized baseline: no re-planning, retries on the same node only
    adaptive: bool = True
    #: True = co-reserve windows on the nodes' own books (distributed); False = the caller's
    #: ``central_reserve`` hook decides (centralized baseline)
    node_reservations: bool = True
    max_replans: int = 8


@dataclass
class JobRecord:
    """Mutable per-job state, touched only inside the trio thread; publishes snapshots."""

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

    def set_state(self, state: JobState, *, publish: bool = True, **kw: Any) -> None:
        hist = self.snapshot.history + ((state.value, time.time()),)
        if publish:
            self.update(state=state, history=hist, **kw)
        else:
            self.snapshot = self.snapshot.evolve(state=state, history=hist, **kw)


class JobRunner:
    """Runs jobs. ``hooks`` receive facts for the store/metrics/audit (all optional)."""

    def __init__(self, gateway: NodeGateway, topology: Callable[[], Topology], options: RunnerOptions,
                 hooks: "RunnerHooks | None" = None) -> None:
        self.gateway = gateway
        self.topology = topology
        self.options = options
        self.hooks = hooks or RunnerHooks()

    # ================================================================= entry
    async def run(self, rec: JobRecord) -> JobResult:
        spec = rec.spec
        t0 = time.perf_counter()
        rng = random.Random(spec.seed)
        compile_ms = 0.0
        attempts: list[Attempt] = []
        plan: Plan | None = None
        try:
            rec.set_state(JobState.COMPILING)
            self.hooks.state(rec)
            tc = time.perf_counter()
            circuit = await self._compile_circuit(spec, rec.circuit)
            topo = self.topology()
            plan = await self._plan(circuit, topo, spec, exclude=())
            compile_ms = (time.perf_counter() - tc) * 1000
            self._note_plan(rec, plan, compile_ms)
            self._publish_plan(rec, plan)

            rec.set_state(JobState.RESERVING)
            self.hooks.state(rec)
            plan, reservations = await self._reserve_all(rec, circuit, plan, spec)
            self._publish_plan(rec, plan)

            rec.set_state(JobState.EXECUTING)
            self.hooks.state(rec)
            result = await self._execute(rec, circuit, plan, reservations, attempts, rng, t0, compile_ms)
        except trio.Cancelled:
            result = self._terminal(rec, JobState.CANCELLED, plan, attempts, t0, compile_ms,
                                    {"type": "cancelled", "message": "job cancelled"})
            with trio.CancelScope(shield=True):
                await self._conclude(rec, result)
            raise
        except QnbError as e:
            result = self._terminal(rec, JobState.FAILED, plan, attempts, t0, compile_ms, e.to_json()["error"])
        except Exception as e:  # an internal bug must still end the job, never hang it
            log.exception("internal error in job %s", spec.job_id)
            result = self._terminal(rec, JobState.FAILED, plan, attempts, t0, compile_ms,
                                    {"type": "internal", "message": f"{type(e).__name__}: {e}"})
        await self._conclude(rec, result)
        return result

    async def _conclude(self, rec: JobRecord, result: JobResult) -> None:
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
        from ..quantum.checks import check_executable

        def work() -> Circuit:
            circuit = parsed if parsed is not None else load(spec.source)
            if spec.parameters or circuit.parameters:
                circuit = circuit.bind(spec.parameters)
            check_executable(circuit)
            return circuit
        return await trio.to_thread.run_sync(work)

    async def _plan(self, circuit: Circuit, topo: Topology, spec: JobSpec, exclude) -> Plan:
        self.hooks.policy(spec, topo)  # GOV-3 seam: a policy verdict before assignment
        if circuit.num_ops > 200:
            return await trio.to_thread.run_sync(
                lambda: plan_circuit(circuit, topo, seed=spec.seed, min_fidelity=spec.min_fidelity,
                                     weights=self.options.weights, exclude=tuple(exclude)))
        return plan_circuit(circuit, topo, seed=spec.seed, min_fidelity=spec.min_fidelity,
                            weights=self.options.weights, exclude=tuple(exclude))

    def _note_plan(self, rec: JobRecord, plan: Plan, compile_ms: float) -> None:
        rec.plans.append(plan)
        self.hooks.plan(rec, plan, compile_ms)

    def _publish_plan(self, rec: JobRecord, plan: Plan) -> None:
        frs = tuple(FragmentRun(f.id, f.node, f.kind, len(f.op_indices), "pending", planned_node=f.node)
                    for f in plan.fragments)
        rec.update(fragments_total=len(frs), fragments=frs, edges=plan.edges, plan_hash=plan.plan_hash)

    # ============================================================ reserve
    #: wall-time allowance per fragment on top of its simulated quantum duration (RPC, state copy)
    FRAGMENT_ALLOWANCE_S = 0.02

    def _window(self, plan: Plan, node: str) -> tuple[float, float]:
        """The window a node is asked for: its fragments' quantum time plus a per-fragment allowance."""
        now = time.time()
        mine = [f for f in plan.fragments if f.node == node]
        busy_s = sum(f.duration_ns for f in mine) * 1e-9 + self.FRAGMENT_ALLOWANCE_S * max(1, len(mine))
        return now, now + busy_s

    async def _reserve_all(self, rec: JobRecord, circuit: Circuit, plan: Plan, spec: JobSpec):
        """Co-reserve every node of the plan; exclude nodes that refuse on fidelity and re-plan."""
        if not self.options.node_reservations:
            return plan, await self.hooks.central_reserve(rec, plan)
        excluded: list[str] = []
        for _ in range(self.options.max_replans):
            held: dict[str, str] = {}
            refused: list[tuple[str, str]] = []
            nodes = sorted({f.node for f in plan.fragments})

            async def one(node: str) -> None:
                start, end = self._window(plan, node)
                req = {"operation": "reserve", "window_start": start, "window_end": end,
                       "min_fidelity": spec.min_fidelity or None, "job_id": spec.job_id,
                       "correlation_id": spec.job_id, "hold_s": self.options.reservation_hold_s}
                try:
                    resp = await self.gateway.reserve(node, req, self.options.reserve_timeout_s)
                except NodeCallError as e:
                    refused.append((node, f"{e.kind}: {e.message}"))
                    return
                if resp.get("accepted"):
                    held[node] = resp["reservation_id"]
                    self.hooks.reservation(rec, node, resp, req)
                    return
                self.hooks.reservation(rec, node, resp, req)
                # a time conflict offers the next free window: take it (concurrent jobs queue on
                # the node); the offer can race with another job, so follow a few offers
                for _ in range(4):
                    nxt = resp.get("next_window")
                    if not nxt or resp.get("reason") == "fidelity":
                        break
                    req = dict(req, window_start=nxt[0], window_end=nxt[1])
                    try:
                        resp = await self.gateway.reserve(node, req, self.options.reserve_timeout_s)
                    except NodeCallError as e:
                        refused.append((node, f"{e.kind}: {e.message}"))
                        return
                    self.hooks.reservation(rec, node, resp, req)
                    if resp.get("accepted"):
                        held[node] = resp["reservation_id"]
                        return
                refused.append((node, resp.get("reason") or "rejected"))

            async with trio.open_nursery() as n:
                for node in nodes:
                    n.start_soon(one, node)
            if not refused:
                return plan, held
            await self._release(held)
            if not self.options.adaptive:
                raise PlanningError("reservation refused: " + "; ".join(f"{a}: {b}" for a, b in refused),
                                    missing="reservation")
            excluded.extend(n for n, _ in refused)
            rec.update(fallbacks=rec.snapshot.fallbacks + 1)
            self.hooks.event(rec, "replan", {"reason": "reservation", "refused": refused})
            plan = await self._plan(circuit, self.topology(), spec, exclude=excluded)
            self._note_plan(rec, plan, 0.0)
        raise PlanningError(f"could not reserve a plan after {self.options.max_replans} re-plans; "
                            f"excluded {sorted(set(excluded))}", missing="reservation")

    async def _release(self, held: dict[str, str]) -> None:
        with trio.CancelScope(shield=True):
            async with trio.open_nursery() as n:
                for node, rid in held.items():
                    async def rel(node=node, rid=rid):
                        try:
                            await self.gateway.cancel_reservation(node, rid, self.options.reserve_timeout_s)
                        except Exception:  # a dead node's reservations expire on their own
                            pass
                    n.start_soon(rel)

    # ============================================================ execute
    async def _execute(self, rec, circuit, plan, reservations, attempts, rng, t0, compile_ms) -> JobResult:
        from ..quantum.limits import StateLimits, choose_mode
        from ..quantum.state import QuantumState

        spec: JobSpec = rec.spec
        limits = StateLimits(self.options.statevector_max_qubits, self.options.density_matrix_max_qubits)
        mode = choose_mode(circuit.num_qubits, spec.noisy, limits)
        state = QuantumState.initial(circuit.num_qubits, mode) if mode != "none" else None

        frags = list(plan.fragments)             # current schedule (rewritten on fallback)
        op_map: list[list[int]] = [list(f.op_indices) for f in frags]  # indices into circuit.operations
        runs: list[FragmentRun] = [FragmentRun(f.id, f.node, f.kind, len(f.op_indices), "pending",
                                               planned_node=f.node) for f in frags]
        excluded: set[str] = set()
        tried: dict[int, list[dict]] = {}
        qubit_node: dict[int, str] = {}          # where each qubit was last touched (readout error)
        est_fidelity = 1.0
        retries, fallbacks = 0, rec.snapshot.fallbacks   # re-plans at reservation time count too
        ebits, remote_gates = plan.ebits, plan.remote_gates
        notes: list[str] = []
        i = 0
        topo = self.topology()
        #: extra link noise per remote gate (op index in ``circuit``): exactly the factor the planner's
        #: ebit rule charged, so measured and estimated fidelity describe the same model
        link_noise = self._link_noise(plan, circuit, topo, (), spec.noisy)
        while i < len(frags):
            frag = frags[i]
            ops = [circuit.operations[j] for j in op_map[i]]
            link_f = {k: link_noise[j] for k, j in enumerate(op_map[i]) if j in link_noise}
            ok = False
            for attempt in range(1, self.options.backoff.max_attempts + 1):
                runs[i] = FragmentRun(i, frag.node, frag.kind, len(ops), "running", attempt,
                                      time.time(), None, runs[i].planned_node)
                rec.update(fragments=tuple(runs))
                a, new_state = await self._attempt(rec, i, frag, ops, link_f, state, attempt,
                                                   reservations.get(frag.node), mode)
                attempts.append(a)
                self.hooks.attempt(rec, a)
                if a.status == "ok":
                    state = new_state
                    ok = True
                    runs[i] = FragmentRun(i, frag.node, frag.kind, len(ops), "done", attempt,
                                          runs[i].start, a.end, runs[i].planned_node)
                    break
                tried.setdefault(i, []).append({"node": frag.node, "attempt": attempt, "status": a.status,
                                                "error": a.error})
                if a.status == "transport" and not self._alive(frag.node):
                    break   # its connection is gone: retrying the same node only delays the fallback
                if attempt < self.options.backoff.max_attempts:
                    retries += 1
                    rec.update(retries=retries)
                    await trio.sleep(self.options.backoff.delay(attempt, rng))
            if not ok:
                excluded.add(frag.node)
                if not self.options.adaptive:
                    runs[i] = FragmentRun(i, frag.node, frag.kind, len(ops), "failed",
                                          attempt, runs[i].start, time.time(),
                                          runs[i].planned_node)
                    rec.update(fragments=tuple(runs))
                    raise FragmentError(
                        f"fragment {i} failed on {frag.node} after {attempt} "
                        f"attempts (centralized baseline does not re-plan)", fragment=i, tried=tried.get(i, []))
                # ---- fallback: re-plan the remaining operations without the failed nodes
                remaining = [j for k in range(i, len(frags)) for j in op_map[k]]
                residual = circuit.with_operations(circuit.operations[j] for j in remaining)
                topo = self.topology()
                try:
                    rplan = await self._plan(residual, topo, rec.spec, exclude=sorted(excluded))
                except PlanningError as e:
                    runs[i] = FragmentRun(i, frag.node, frag.kind, len(ops), "failed",
                                          attempt, runs[i].start, time.time(),
                                          runs[i].planned_node)
                    rec.update(fragments=tuple(runs))
                    raise FragmentError(
                        f"fragment {i} ({frag.kind}, {len(ops)} ops) failed on {sorted(excluded)} and no "
                        f"feasible fallback exists: {e.message}", fragment=i,
                        tried=[t for k in sorted(tried) for t in tried[k]]) from None
                fallbacks += 1
                rec.update(fallbacks=fallbacks)
                for j, f in self._link_noise(rplan, residual, topo, sorted(excluded), spec.noisy).items():
                    link_noise[remaining[j]] = f
                self.hooks.event(rec, "fallback", {"fragment": i, "failed": frag.node,
                                                   "excluded": sorted(excluded), "plan_hash": rplan.plan_hash})
                self._note_plan(rec, rplan, 0.0)
                new_nodes = sorted({f.node for f in rplan.fragments} - set(reservations))
                if new_nodes and self.options.node_reservations:
                    extra = await self._reserve_nodes(rec, rplan, new_nodes)
                    reservations.update(extra)
                ebits = ebits - sum(f.ebits for f in frags[i:]) + rplan.ebits
                remote_gates = remote_gates - sum(1 for f in frags[i:] if f.kind == "remote") + rplan.remote_gates
                moved = [FragmentRun(i + k, f.node, f.kind, len(f.op_indices), "pending",
                                     planned_node=f.node) for k, f in enumerate(rplan.fragments)]
                runs[i] = FragmentRun(i, frag.node, frag.kind, len(ops), "moved",
                                      attempt, runs[i].start, time.time(),
                                      runs[i].planned_node)
                # keep the failed fragment visible, then the re-planned remainder
                frags = frags[:i + 1] + list(rplan.fragments)
                op_map = op_map[:i + 1] + [[remaining[j] for j in f.op_indices] for f in rplan.fragments]
                runs = runs[:i + 1] + [FragmentRun(i + 1 + k, m.node, m.kind, m.ops, "pending",
                                                   planned_node=m.planned_node) for k, m in enumerate(moved)]
                edges = tuple((a + i + 1, b + i + 1) for a, b in rplan.edges)
                rec.update(fragments=tuple(runs), fragments_total=len(runs),
                           edges=tuple(e for e in rec.snapshot.edges if e[0] < i + 1 and e[1] < i + 1) + edges)
                i += 1
                continue
            est_fidelity *= frag.estimated_fidelity
            for op in ops:
                for q in op.qubits:
                    qubit_node[q] = frag.node
            rec.update(fragments=tuple(runs), fragments_done=sum(1 for r in runs if r.status == "done"))
            i += 1

        await self._release(reservations)
        return await self._finish(rec, circuit, plan, state, mode, qubit_node, est_fidelity, attempts, runs,
                                  retries, fallbacks, ebits, remote_gates, t0, compile_ms, notes)

    async def _reserve_nodes(self, rec, plan: Plan, nodes: list[str]) -> dict[str, str]:
        held: dict[str, str] = {}
        for node in nodes:
            start, end = self._window(plan, node)
            req = {"operation": "reserve", "window_start": start, "window_end": end,
                   "min_fidelity": rec.spec.min_fidelity or None,
                   "job_id": rec.spec.job_id, "correlation_id": rec.spec.job_id,
                   "hold_s": self.options.reservation_hold_s}
            try:
                resp = await self.gateway.reserve(node, req, self.options.reserve_timeout_s)
            except NodeCallError:
                continue  # the attempt itself will fail and trigger another fallback
            self.hooks.reservation(rec, node, resp, req)
            if resp.get("accepted"):
                held[node] = resp["reservation_id"]
        return held

    def _alive(self, node: str) -> bool:
        check = getattr(self.gateway, "node_alive", None)
        return True if check is None else bool(check(node))

    @staticmethod
    def _link_noise(plan: Plan, circuit: Circuit, topo: Topology, exclude, noisy: bool = True) -> dict[int, float]:
        from ..planning.planner import link_fidelities
        if not plan.remote_gates or not noisy:   # a noiseless job has ideal links too
            return {}
        return {j: f for j, f in link_fidelities(plan, circuit, topo, exclude).items() if f < 1.0}

    async def _attempt(self, rec, idx, frag, ops, link_f, state, attempt, reservation_id, mode):
        from ..quantum.wire_ops import ops_to_wire
        corr = f"{rec.spec.job_id[:8]}-{idx}-{attempt}-{uuid.uuid4().hex[:6]}"
        header: dict[str, Any] = {
            "type": "exec", "job_id": rec.spec.job_id, "fragment_id": idx, "attempt": attempt,
            "correlation_id": corr, "num_qubits": rec.spec.num_qubits,
            "ops": ops_to_wire(ops, link_f or None), "noise": rec.spec.noisy,
            "reservation_id": reservation_id, "mode": mode, "peers": list(frag.peers),
        }
        payload = None
        if state is not None:
            desc, payload = state.encode()
            header["state"] = desc
        else:
            header["state"] = {"kind": "none", "num_qubits": rec.spec.num_qubits, "dtype": "complex128", "nbytes": 0}
        start = time.time()
        t = time.perf_counter()
        try:
            resp, out = await self.gateway.execute(frag.node, header, payload, self.options.exec_timeout_s)
        except NodeCallError as e:
            return Attempt(idx, attempt, frag.node, start, time.time(), e.kind, e.message,
                           correlation_id=corr), None
        wall = (time.perf_counter() - t) * 1000
        sim = float(resp.get("sim_ms", 0.0))
        new_state = None
        if state is not None:
            from ..quantum.state import QuantumState
            try:
                new_state = QuantumState.decode(resp["state"], out or b"")
            except QnbError as e:
                return Attempt(idx, attempt, frag.node, start, time.time(), "remote_error",
                               f"bad state from node: {e.message}", correlation_id=corr), None
        return Attempt(idx, attempt, frag.node, start, time.time(), "ok", None, sim,
                       max(0.0, wall - sim), corr), new_state

    # ============================================================= finish
    async def _finish(self, rec, circuit, plan, state, mode, qubit_node, est_fidelity, attempts, runs,
                      retries, fallbacks, ebits, remote_gates, t0, compile_ms, notes) -> JobResult:
        spec: JobSpec = rec.spec
        topo = self.topology()
        counts: dict[str, int] = {}
        measured = state_f = None
        meas = list(circuit.measurements)
        if state is not None:
            readout = {}
            for q, _c in meas:
                node = qubit_node.get(q)
                if spec.noisy and node and node in topo.by_id:
                    readout[q] = topo.node(node).fidelity_readout
            from ..quantum.limits import StateLimits
            limits = StateLimits(self.options.statevector_max_qubits, self.options.density_matrix_max_qubits)
            counts, measured, state_f = await trio.to_thread.run_sync(
                _sample_and_score, circuit, state, meas, spec, readout, limits)
        else:
            notes.append(f"plan-and-timing only: {circuit.num_qubits} qubits exceed the state limits "
                         f"(statevector {self.options.statevector_max_qubits}, density matrix "
                         f"{self.options.density_matrix_max_qubits})")
        return JobResult(
            job_id=spec.job_id, name=spec.name, status=JobState.COMPLETED.value, counts=counts, shots=spec.shots,
            measured_fidelity=measured, estimated_fidelity=est_fidelity if attempts else plan.estimated_fidelity,
            state_fidelity=state_f, ebits=ebits, remote_gates=remote_gates, fragments=tuple(runs),
            attempts=tuple(attempts), wall_ms=(time.perf_counter() - t0) * 1000, compile_ms=compile_ms,
            mode=mode, plan_hash=plan.plan_hash, retries=retries, fallbacks=fallbacks, resumed=rec.resumed,
            run=rec.run, orchestration=spec.mode, notes=tuple(notes))

    def _terminal(self, rec, state: JobState, plan, attempts, t0, compile_ms, error) -> JobResult:
        snap = rec.snapshot
        return JobResult(
            job_id=rec.spec.job_id, name=rec.spec.name, status=state.value, counts={}, shots=rec.spec.shots,
            measured_fidelity=None, estimated_fidelity=plan.estimated_fidelity if plan else None,
            state_fidelity=None, ebits=plan.ebits if plan else 0, remote_gates=plan.remote_gates if plan else 0,
            fragments=snap.fragments, attempts=tuple(attempts), wall_ms=(time.perf_counter() - t0) * 1000,
            compile_ms=compile_ms, mode="none", plan_hash=plan.plan_hash if plan else None,
            retries=snap.retries, fallbacks=snap.fallbacks, resumed=rec.resumed, run=rec.run, error=error,
            orchestration=rec.spec.mode)


def _sample_and_score(circuit: Circuit, state, meas, spec: JobSpec, readout, limits):
    """Counts from the distributed final state; measured fidelity against the ideal distribution
    and (noiseless runs) the state overlap with the monolithic ideal state. One ideal simulation."""
    from ..quantum import fidelity as fq
    from ..quantum.state import QuantumState
    counts = fq.sample_counts(state, meas, circuit.num_clbits, spec.shots, spec.seed, readout or None)
    ideal = fq.ideal_state(circuit, limits)
    measured = state_f = None
    if meas:
        probs = fq.distribution(QuantumState("statevector", circuit.num_qubits, ideal), meas, circuit.num_clbits)
        measured = fq.hellinger_fidelity(counts, probs)
    if not spec.noisy:
        state_f = fq.state_fidelity(state, ideal)
    return counts, measured, state_f


class RunnerHooks:
    """Observers of the runner. The coordinator subclasses this to write the store, metrics and audit."""

    def state(self, rec: JobRecord) -> None: ...
    def plan(self, rec: JobRecord, plan: Plan, compile_ms: float) -> None: ...
    def attempt(self, rec: JobRecord, attempt: Attempt) -> None: ...
    def reservation(self, rec: JobRecord, node: str, response: dict, request: dict) -> None: ...
    def event(self, rec: JobRecord, kind: str, data: dict) -> None: ...
    def result(self, rec: JobRecord, result: JobResult) -> None: ...
    def policy(self, spec: JobSpec, topology: Topology) -> None: ...

    async def central_reserve(self, rec: JobRecord, plan: Plan) -> dict[str, str]:
        return {}

    async def commit(self, rec: JobRecord) -> None:
        """Make everything recorded so far durable (called before a terminal state is published)."""
