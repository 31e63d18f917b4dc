"""The embedded mesh and the synchronous Python API (FR-009 in-process, NB-2).

``qnb.start()`` runs one ``trio.run`` on a background thread that owns the coordinator host, the
node hosts, the registry, the runtime and the store writer. The caller's thread (a Jupyter kernel,
a script, an asyncio loop) talks to it only through ``trio.from_thread`` with the run's token, and
reads immutable :class:`~qnb.runtime.job.JobSnapshot` objects that the trio side publishes. Nothing
in the trio thread prints or touches widgets, and this module never imports IPython or ipywidgets.

The stable user API (``docs/api.md``, pinned by ``tests/test_public_api.py``) is :func:`start`,
:class:`Mesh` (lifecycle, jobs, inspection, SQL, faults) and :class:`Job`. The bridging seam
(:meth:`Mesh.call`, :meth:`Mesh.call_sync`, :attr:`Mesh.coordinator`, :meth:`Mesh.node_service`,
:meth:`Mesh.result_of`) is for qnb's own layers (faults, harness, bench, widgets); it is not part
of the stable user API.
"""

from __future__ import annotations

import itertools
import logging
import secrets
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Iterable, Mapping

import trio

from .circuits import Circuit, load
from .errors import ConfigError, JobError, QnbError, UnknownJobError
from .runtime.job import TERMINAL_STATES, JobResult, JobSnapshot, JobSpec, JobState
from .topology import Topology, load_topology

if TYPE_CHECKING:  # annotations only: at run time some of these pull in libp2p and duckdb
    import pandas as pd

    from .config import Settings
    from .coordinator import Coordinator
    from .node import NodeService
    from .observability.health import HealthReport
    from .planning import Plan
    from .store.result import Result

__all__ = ["Mesh", "Job", "start", "default_topology"]

log = logging.getLogger("qnb.mesh_api")
_mesh_counter = itertools.count(1)


def default_topology(nodes: int, qubits_per_node: int = 4, seed: int | None = None,
                     noiseless: bool = False) -> Topology:
    """Embedded default: N nodes with realistic, slightly different fidelities, fully connected.

    The links are *implicit* (``meta["default_link"]``): every pair shares the same link model, so
    nodes do not advertise N-1 link records each (at 100 nodes those lists made every advert cost
    ~2 ms of schema checks); the coordinator fills the pairs in (``Coordinator.snapshot_topology``).
    """
    from .topology import NodeSpec
    import random
    rng = random.Random(0 if seed is None else seed)
    width = max(2, len(str(nodes - 1)))
    specs = []
    for i in range(nodes):
        if noiseless:
            specs.append(NodeSpec(f"n{i:0{width}d}", qubits_per_node, fidelity_1q=1.0, fidelity_2q=1.0,
                                  fidelity_readout=1.0))
        else:
            specs.append(NodeSpec(f"n{i:0{width}d}", qubits_per_node,
                                  fidelity_1q=round(rng.uniform(0.9990, 0.9999), 5),
                                  fidelity_2q=round(rng.uniform(0.985, 0.997), 4),
                                  fidelity_readout=round(rng.uniform(0.975, 0.995), 4),
                                  region=("eu", "us", "ap")[i % 3], price_per_shot=round(0.0002 + 0.0001 * (i % 4), 5)))
    link = {"latency_ms": 0.5, "fidelity": 1.0 if noiseless else 0.99, "ebit_rate_hz": 1000.0}
    return Topology(f"embedded-{nodes}x{qubits_per_node}", tuple(specs), (), meta={"default_link": link})


def _make_noiseless(topo: Topology) -> Topology:
    from dataclasses import replace
    nodes = tuple(replace(n, fidelity_1q=1.0, fidelity_2q=1.0, fidelity_readout=1.0) for n in topo.nodes)
    links = tuple(replace(l, fidelity=1.0) for l in topo.links)
    meta = dict(topo.meta)
    if "default_link" in meta:
        meta["default_link"] = dict(meta["default_link"], fidelity=1.0)
    return Topology(topo.name, nodes, links, meta)


_warm = False


def _warm_up() -> None:
    """Import the heavy libraries (QASM parser, qiskit-aer) in the caller's thread before the trio
    loop starts, so the first job does not stall every host on the loop while they load."""
    global _warm
    if _warm:
        return
    import qnb.quantum.executor  # noqa: F401  (imports qiskit_aer)
    load('OPENQASM 3.0; include "stdgates.inc"; qubit[1] q; h q[0];')
    _warm = True


class Job:
    """A handle on a submitted job (FR-009). Cheap; all state lives in the mesh's published snapshots.

    Get one from :meth:`Mesh.submit` or :meth:`Mesh.job`; building one directly is for qnb's own
    layers. Attributes: ``mesh`` (the :class:`Mesh` that runs the job) and ``id`` (the job id,
    a string, stable across coordinator restarts).
    """

    def __init__(self, mesh: "Mesh", job_id: str) -> None:
        """Wrap ``job_id`` of ``mesh``; does not check that the job exists (:meth:`Mesh.job` does)."""
        self.mesh = mesh
        self.id = job_id

    @property
    def snapshot(self) -> JobSnapshot:
        """The latest immutable :class:`~qnb.runtime.job.JobSnapshot` the mesh published.

        Never blocks and never half-updated. Raises :class:`~qnb.errors.UnknownJobError` if the
        mesh has no such job.
        """
        return self.mesh._snapshot(self.id)

    @property
    def status(self) -> JobState:
        """The job's current :class:`~qnb.runtime.job.JobState` (FR-009: QUEUED, COMPILING, RESERVING,
        EXECUTING, then COMPLETED, FAILED or CANCELLED). Raises :class:`~qnb.errors.UnknownJobError`."""
        return self.snapshot.state

    @property
    def done(self) -> bool:
        """True once the job is terminal (COMPLETED, FAILED or CANCELLED); never blocks."""
        return self.status in TERMINAL_STATES

    def wait(self, timeout: float | None = None) -> JobResult:
        """Block until the job is terminal and return its :class:`~qnb.runtime.job.JobResult`.

        Waits in short slices so Ctrl-C interrupts the wait (NB-2); the job itself keeps running:
        call :meth:`cancel` to stop it. A FAILED or CANCELLED job returns its result (``ok`` is
        False, ``error`` says why); it does not raise.

        ``timeout``: seconds to wait, None (default) waits as long as it takes.

        Raises :class:`TimeoutError` (the builtin) if ``timeout`` passes first,
        :class:`~qnb.errors.JobError` if the mesh stops while the job is unfinished and the wait
        notices it or was stopped before (:meth:`Mesh.stop` releases every waiter), and
        :class:`~qnb.errors.UnknownJobError` for an unknown job id.
        """
        ev = self.mesh._done_event(self.id)
        deadline = None if timeout is None else time.monotonic() + timeout
        while not ev.wait(0.05):
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"job {self.id} still {self.status} after {timeout} s")
            if not self.mesh.running and not ev.is_set():
                raise JobError(f"mesh stopped before job {self.id} finished")
        result = self.mesh.result_of(self.id)
        if result is None:   # the mesh stopped (stop() releases every waiter) before the job ended
            raise JobError(f"mesh stopped before job {self.id} finished (last state {self.status.value})",
                           job_id=self.id)
        return result

    def result(self, timeout: float | None = None) -> JobResult:
        """The job's :class:`~qnb.runtime.job.JobResult`: the same as :meth:`wait` (blocks until the
        job is terminal; ``timeout`` in seconds, None = no limit; raises as :meth:`wait` does)."""
        return self.wait(timeout)

    def cancel(self) -> bool:
        """Cancel the job if it is not terminal yet (FR-009: it ends CANCELLED).

        Returns True if a cancellation was requested, False if the job was already terminal. Does
        not wait: the job reaches CANCELLED shortly after (``wait()`` returns its result).
        Raises :class:`~qnb.errors.QnbError` if the mesh is not running and
        :class:`~qnb.errors.UnknownJobError` if the coordinator does not know the job.
        """
        return self.mesh.call_sync(self.mesh.coordinator.cancel, self.id)

    def __repr__(self) -> str:
        s = self.snapshot
        return f"<Job {s.name} {self.id[:8]} {s.state.value} {s.fragments_done}/{s.fragments_total} fragments>"

    def _repr_html_(self) -> str:
        from .render import job_html
        return job_html(self.snapshot, self.mesh.result_of(self.id))


class Mesh:
    """An embedded coordinator + N libp2p service nodes on one background trio thread (FR-009, NB-2).

    Usually built and started by :func:`qnb.start`. ``Mesh(...)`` only configures; :meth:`start`
    brings it up, :meth:`stop` (or leaving a ``with`` block) shuts it down. All methods are called
    from the user's thread; the mesh's own work happens on its trio thread.

    Attributes (read-only by convention): ``name`` (``"mesh-<n>"`` unless given), ``topology``
    (the :class:`~qnb.topology.Topology` of the embedded nodes), ``seed``, ``noiseless``,
    ``bootstrap`` (external node multiaddrs joined at start), ``listen``, ``settings``
    (:class:`~qnb.config.Settings`), ``store_path`` (the DuckDB file), ``store`` (the open
    :class:`~qnb.store.Store`, None before :meth:`start`) and ``started_at`` (epoch seconds or None).
    """

    #: nodes started concurrently per wave (see _main)
    START_WAVE = 25

    def __init__(self, *, nodes: int | None = None, topology: Topology | str | Path | None = None,
                 seed: int | None = None, bootstrap: Iterable[str] = (), settings: Settings | None = None,
                 store: str | Path | None = None, noiseless: bool | None = None,
                 qubits_per_node: int | None = None, name: str | None = None,
                 listen: str | None = None) -> None:
        """Configure a mesh without starting anything (no thread, no host, no store yet).

        Parameters (keyword-only; each None falls back to ``settings``, see :func:`qnb.start`):
        ``nodes``: embedded node count (``[mesh] nodes``; 0 = no embedded nodes); ``topology``: a
        :class:`~qnb.topology.Topology`, TOML path, bundled name or generator spec that fixes the
        nodes (then ``nodes`` must be None or equal its size); ``seed`` (``[mesh] seed``, else 0);
        ``bootstrap``: multiaddrs of running ``qnb node`` processes to join (with ``bootstrap`` and
        no ``nodes``, no embedded nodes are started); ``settings``: a
        :class:`~qnb.config.Settings` (default: ``Settings.load()``); ``store``: DuckDB path or
        ``":memory:"`` (``[store] path``); ``noiseless``: ideal gates on every node
        (``[mesh] noiseless``); ``qubits_per_node`` (``[mesh] qubits_per_node``; ignored with a
        ``topology``); ``name``: the mesh's name (default ``"mesh-<n>"``); ``listen``: the
        coordinator's listen multiaddr (default: a free port on ``[mesh] listen_host``).

        Raises :class:`~qnb.errors.ConfigError` for invalid settings or ``nodes`` conflicting with
        ``topology`` (FR-011) and :class:`~qnb.errors.TopologyError` for an invalid topology.
        """
        from .config import Settings
        self.settings = settings if settings is not None else Settings.load()
        ms = self.settings.mesh
        self.seed = seed if seed is not None else (ms.seed if ms.seed is not None else 0)
        self.noiseless = ms.noiseless if noiseless is None else noiseless
        self.bootstrap = list(bootstrap)
        self.listen = listen
        qpn = qubits_per_node or ms.qubits_per_node
        if topology is not None:
            topo = load_topology(topology)
            if nodes not in (None, len(topo.nodes)):
                raise ConfigError(f"nodes={nodes} conflicts with topology {topo.name!r} of {len(topo.nodes)} nodes",
                                  key="nodes", value=nodes, rule="must match the topology or be omitted")
        elif self.bootstrap and not nodes:
            topo = Topology("external", ())
        else:
            n = ms.nodes if nodes is None else nodes
            topo = default_topology(n, qpn, self.seed, self.noiseless) if n else Topology("external", ())
        if self.noiseless and topo.nodes:
            topo = _make_noiseless(topo)
        self.topology = topo
        self.name = name or f"mesh-{next(_mesh_counter)}"
        self.store_path = str(store) if store is not None else self.settings.store.path
        self._snapshots: dict[str, JobSnapshot] = {}
        self._results: dict[str, JobResult] = {}
        self._events: dict[str, threading.Event] = {}
        self._thread: threading.Thread | None = None
        self._token: trio.lowlevel.TrioToken | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._stop: trio.Event | None = None
        self._coordinator = None
        self._nodes: dict[str, Any] = {}
        self.store = None
        self.started_at: float | None = None

    # ============================================================ lifecycle
    def start(self, timeout: float = 60.0) -> "Mesh":
        """Open the store, start the trio thread, the coordinator and the nodes; return ``self``.

        Returns once the registry holds every embedded and bootstrap node, or once the registry
        wait (``max(10 s, 0.1 s x nodes)``) has passed: check :meth:`nodes` if that matters.
        ``timeout``: seconds to wait for the whole start (default 60); past it the mesh is stopped
        and :class:`~qnb.errors.QnbError` is raised. An error raised while starting inside the trio
        thread (for example a bad listen address or an unreachable bootstrap peer) is re-raised
        here; the store can raise :class:`~qnb.store.StoreError` (e.g. a locked DuckDB file).
        """
        from .observability import configure_logging
        from .store import Store
        configure_logging(self.settings.logging)
        from .mesh.host import libp2p_logging
        libp2p_logging()   # py-libp2p prints ERRORs for ordinary events on stderr otherwise
        _warm_up()
        self.store = Store.open(self.store_path)
        self._thread = threading.Thread(target=self._thread_main, name=f"qnb-{self.name}", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            self.stop()
            raise QnbError(f"mesh did not start within {timeout} s")
        if self._error is not None:
            err = self._error
            self._thread.join(5)
            self.store.close()
            raise err
        self.started_at = time.time()
        return self

    def _thread_main(self) -> None:
        try:
            trio.run(self._main)
        except BaseException as e:  # noqa: BLE001 - reported to the starting thread
            if not self._ready.is_set():
                self._error = e
            else:
                log.exception("mesh %s crashed", self.name)
        finally:
            self._ready.set()

    async def _main(self) -> None:
        from .coordinator import Coordinator
        from .node import NodeService
        self._token = trio.lowlevel.current_trio_token()
        self._stop = trio.Event()
        async with trio.open_nursery() as root:
            # hosts on one loop cannot freeze independently: no ping health monitor (it cost a third
            # of a core at 100 nodes); TTLs and RPC timeouts still catch dead nodes (docs/libp2p.md)
            # the embedded nodes prove their node role with tokens of a per-mesh key (unless the
            # settings name one): an advert from any other peer is not admitted (FR-014)
            key = self.settings.security.admission_key or secrets.token_hex(32)
            self._coordinator = Coordinator(self.settings, self.store, publish=self._publish,
                                            name=self.name, static_topology=self.topology,
                                            listen=self.listen, health=None if not self.bootstrap else "default",
                                            admission_key=key)
            await root.start(self._coordinator.run)
            addr = self._coordinator.addr
            # start nodes in waves and let each wave register before the next: 100 simultaneous
            # Noise handshakes + identify exchanges kept the loop busy so long that the first
            # adverts timed out (measured: registry empty for 7 s at 100 nodes, docs/benchmarks.md)
            specs = list(self.topology.nodes)
            for i in range(0, len(specs), self.START_WAVE):
                async with trio.open_nursery() as starter:
                    for spec in specs[i:i + self.START_WAVE]:
                        svc = NodeService(spec, self.settings, coordinator=addr, noisy=not self.noiseless,
                                          links=[l for l in self.topology.links if spec.id in (l.a, l.b)],
                                          health=None, admission_key=key)
                        self._nodes[spec.id] = svc
                        starter.start_soon(root.start, svc.run)
                await self._coordinator.wait_registry(min(len(specs), i + self.START_WAVE), timeout=5.0)
            for b in self.bootstrap:
                await self._coordinator.join(b)
            await self._coordinator.wait_registry(len(self.topology.nodes) + len(self.bootstrap),
                                                  timeout=max(10.0, 0.1 * len(self.topology.nodes)))
            self._ready.set()
            await self._stop.wait()
            root.cancel_scope.cancel()

    @property
    def addr(self) -> str | None:
        """The coordinator's full dialable multiaddr (with ``/p2p/<peer id>``), or None before start.

        Pass it to ``qnb node --coordinator`` or other clients to join this mesh."""
        return self._coordinator.addr if self._coordinator is not None else None

    @property
    def running(self) -> bool:
        """True while the mesh's trio thread is alive (between :meth:`start` and :meth:`stop`)."""
        return bool(self._thread and self._thread.is_alive() and self._token)

    def stop(self, timeout: float = 15.0) -> None:
        """Cancel the trio run, join the thread and close the store; bounded in time (NB-2).

        Idempotent: stopping a stopped or never-started mesh does nothing. Unfinished jobs are
        abandoned (they stay unfinished in the store and are resumed by a later coordinator on the
        same file, FR-010). ``timeout``: seconds to wait for the thread (default 15); raises
        :class:`~qnb.errors.QnbError` if it is still alive after that.
        """
        if self._thread is None:
            return
        if self._thread.is_alive() and self._token is not None and self._stop is not None:
            try:
                trio.from_thread.run_sync(self._stop.set, trio_token=self._token)
            except trio.RunFinishedError:
                pass
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise QnbError(f"mesh {self.name} did not stop within {timeout} s")
        if self.store is not None:
            self.store.close()
        for ev in self._events.values():
            if not ev.is_set():
                ev.set()
        self._token = None
        self._thread = None

    def __enter__(self) -> "Mesh":
        """``with qnb.start(...) as mesh:``; returns the mesh as is (it does not start it)."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop the mesh (:meth:`stop`) when the ``with`` block ends, also on an exception."""
        self.stop()

    # ============================================================ bridging
    # The seam for qnb's own layers (faults, harness, bench, widgets): run code inside the mesh's
    # trio thread, reach the coordinator and the embedded node services. Users rarely need it.
    def call(self, afn: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        """Run ``await afn(*args)`` inside the mesh's trio thread and return its result.

        Internal seam for qnb's own layers, not part of the stable user API (``docs/api.md``).
        Blocks the calling thread; exceptions of ``afn`` propagate. Raises
        :class:`~qnb.errors.QnbError` if the mesh is not running. Never call it from the trio
        thread itself.
        """
        if not self.running:
            raise QnbError("the mesh is not running (call qnb.start() or mesh.start())")
        return trio.from_thread.run(afn, *args, trio_token=self._token)

    def call_sync(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(*args)`` (a plain function) inside the mesh's trio thread and return its result.

        Internal seam for qnb's own layers, not part of the stable user API (``docs/api.md``).
        Exceptions of ``fn`` propagate. Raises :class:`~qnb.errors.QnbError` if the mesh is not
        running.
        """
        if not self.running:
            raise QnbError("the mesh is not running (call qnb.start() or mesh.start())")
        return trio.from_thread.run_sync(fn, *args, trio_token=self._token)

    @property
    def coordinator(self) -> Coordinator:
        """The :class:`~qnb.coordinator.Coordinator` (touch it only inside the trio thread, via :meth:`call`).

        Internal seam for qnb's own layers, not part of the stable user API (``docs/api.md``).
        Raises :class:`~qnb.errors.QnbError` if the mesh has not started.
        """
        if self._coordinator is None:
            raise QnbError("the mesh has not started")
        return self._coordinator

    def node_service(self, name: str) -> NodeService | None:
        """The embedded :class:`~qnb.node.NodeService` called ``name``, or None (external or unknown).

        Internal seam for qnb's own layers (faults, harness), not part of the stable user API; the
        service belongs to the trio thread (use :meth:`call_sync` to touch it).
        """
        return self._nodes.get(name)

    def result_of(self, job_id: str) -> JobResult | None:
        """The job's result once it is terminal and durable, else None; never blocks.

        Internal seam (widgets, :class:`Job`); users call :meth:`Job.result`. Raises
        :class:`~qnb.errors.UnknownJobError` for an unknown job id.
        """
        self._snapshot(job_id)
        return self._results.get(job_id)

    def _publish(self, snap: JobSnapshot, result: JobResult | None = None) -> None:
        """Called in the trio thread: swap in the new immutable snapshot (atomic under the GIL)."""
        if result is not None:
            self._results[snap.job_id] = result
        self._snapshots[snap.job_id] = snap
        ev = self._events.setdefault(snap.job_id, threading.Event())
        if snap.state in TERMINAL_STATES and snap.job_id in self._results:
            ev.set()

    def _snapshot(self, job_id: str) -> JobSnapshot:
        try:
            return self._snapshots[job_id]
        except KeyError:
            raise UnknownJobError(f"unknown job id {job_id!r}", job_id=job_id) from None

    def _done_event(self, job_id: str) -> threading.Event:
        self._snapshot(job_id)
        return self._events.setdefault(job_id, threading.Event())

    # ============================================================= jobs
    def submit(self, circuit: Any, *, shots: int = 1024, min_fidelity: float | None = None,
               seed: int | None = None, name: str | None = None, parameters: Mapping[str, float] | None = None,
               noisy: bool | None = None, idempotency_key: str | None = None, mode: str = "distributed",
               plan_only: bool = False) -> Job:
        """Validate and enqueue a circuit; returns a :class:`Job` at once (FR-009).

        Invalid input raises a structured error here and nothing is enqueued; accepted jobs are in
        the store before this returns, so a coordinator crash cannot lose them (FR-010).

        ``circuit``: anything :func:`qnb.load` accepts (OpenQASM 2/3 text, a ``.qasm`` path, a
        qiskit ``QuantumCircuit``, a :class:`~qnb.circuits.Circuit`). ``shots``: 1 ..
        ``[limits] max_shots`` (default 1024). ``min_fidelity``: a floor in [0, 1] for the plan's
        estimated fidelity, None = none. ``seed``: sampling/noise seed, None = the mesh's seed.
        ``name``: a label (default: the circuit's name, else ``"job"``). ``parameters``: values of the circuit's
        ``input`` parameters (GOV-6). ``noisy``: None = noisy unless the mesh is noiseless.
        ``idempotency_key``: resubmitting with the same key returns the first job's id (GOV-4).
        ``mode``: ``"distributed"`` (default) or ``"centralized"`` (the FR-013 baseline).
        ``plan_only``: plan and time the job without simulating its state (no counts). A measured
        circuit beyond the state limits is otherwise FAILED with a ``state_limit`` error naming the
        limit, never COMPLETED without counts.

        Raises :class:`~qnb.errors.QasmError` for invalid circuit source (FR-003),
        :class:`~qnb.errors.JobError` naming a bad option (also for a circuit without qubits, unbound
        parameters or source over ``[limits] max_qasm_bytes``), and :class:`~qnb.errors.QnbError` if the
        mesh is not running.
        """
        c = load(circuit, settings=self.settings)
        spec = self.make_spec(c, shots=shots, min_fidelity=min_fidelity, seed=seed, name=name,
                              parameters=parameters, noisy=noisy, idempotency_key=idempotency_key, mode=mode,
                              plan_only=plan_only)
        job_id = self.call(self.coordinator.submit, spec, c)
        return Job(self, job_id)

    def make_spec(self, c: Circuit, **kw: Any) -> JobSpec:
        """Check the submit options ``kw`` (those of :meth:`submit`) for circuit ``c`` and build the
        :class:`~qnb.runtime.job.JobSpec` with this mesh's defaults; enqueues nothing.

        Raises :class:`~qnb.errors.JobError` naming the first bad option.
        """
        from .runtime.submission import make_spec
        return make_spec(c, self.settings, default_seed=self.seed, noiseless=self.noiseless, **kw)

    def run(self, circuit: Any, timeout: float | None = None, **kw: Any) -> JobResult:
        """Submit and wait: ``mesh.run(qasm, shots=1000)`` is ``mesh.submit(qasm, shots=1000).wait()``.

        ``kw`` are the options of :meth:`submit`; ``timeout`` bounds the wait (seconds, None = no
        limit). Raises what :meth:`submit` and :meth:`Job.wait` raise; on a timeout the job keeps
        running.
        """
        return self.submit(circuit, **kw).wait(timeout)

    def job(self, job_id: str) -> Job:
        """A :class:`Job` handle on an existing job of this mesh (``%qjobs`` lists them).

        Raises :class:`~qnb.errors.UnknownJobError` if this mesh has no job ``job_id``.
        """
        self._snapshot(job_id)
        return Job(self, job_id)

    def plan_of(self, job_id: str, revision: int = 0) -> Plan:
        """The job's :class:`~qnb.planning.Plan` (FR-004): revision 0 is the first; each re-plan
        (FR-007 fallback) adds one; -1 = the latest.

        Raises :class:`~qnb.errors.UnknownJobError` for an unknown job, :class:`~qnb.errors.JobError`
        if the job has no plan yet, :class:`IndexError` for a revision it does not have and
        :class:`~qnb.errors.QnbError` if the mesh is not running.
        """
        self._snapshot(job_id)
        plans = self.call_sync(lambda: list(self.coordinator.job(job_id).plans))
        if not plans:
            raise JobError(f"job {job_id} has no plan yet (state {self._snapshot(job_id).state.value})")
        return plans[revision]

    def jobs(self) -> list[JobSnapshot]:
        """Snapshots of every job this mesh has seen, oldest submission first; never blocks."""
        return sorted(self._snapshots.values(), key=lambda s: s.submitted_at)

    # ========================================================== inspection
    def nodes(self) -> list[dict]:
        """The registry: one dict per known node, sorted by name (FR-002).

        Raises :class:`~qnb.errors.QnbError` if the mesh is not running.
        """
        return self.call_sync(self.coordinator.registry_rows)

    def topology_snapshot(self) -> Topology:
        """The topology the planner sees now (FR-002, FR-008): this mesh's registered nodes as last
        advertised, links from adverts or the default link model. Raises :class:`~qnb.errors.QnbError` if the mesh
        is not running."""
        return self.call_sync(self.coordinator.snapshot_topology)

    def quality(self) -> list[dict]:
        """Recent quality samples (node fidelities and link RTTs), oldest first (FR-008).

        Raises :class:`~qnb.errors.QnbError` if the mesh is not running.
        """
        return self.call_sync(self.coordinator.quality_history)

    def sql(self, query: str, params: Any = None, *, df: bool = False) -> Result | pd.DataFrame:
        """Run SQL on the mesh's DuckDB file (FR-010, FR-012); ``%qsql`` uses it.

        Flushes the store writer first, so the rows of every published event are visible.
        ``params``: DuckDB parameters, a sequence for ``?`` or a dict for ``$name`` placeholders. ``df``: return a
        pandas DataFrame instead of a :class:`~qnb.store.Result` (``columns``, ``rows``; needs
        pandas). Raises :class:`~qnb.store.StoreError` (a :class:`~qnb.errors.QnbError`;
        ``code="sql"`` for a bad query, ``"closed"`` after :meth:`stop`).
        """
        if self.store is None:
            raise QnbError("the mesh has no store yet (call mesh.start() first)")
        if self._coordinator is not None and self.running:
            self._coordinator.flush_store()
        res = self.store.sql(query, params)
        return res.df() if df else res

    def health(self) -> HealthReport:
        """The coordinator's health report (FR-012): overall ``status`` (ok, degraded or down), its
        components and one entry per node. Raises :class:`~qnb.errors.QnbError` if the mesh is not
        running."""
        return self.call(self.coordinator.health)

    def metrics_text(self) -> str:
        """The mesh's metrics in Prometheus text format (FR-012: queue depth, latency, retries,
        failures). Raises :class:`~qnb.errors.QnbError` if the mesh is not running."""
        return self.call_sync(self.coordinator.metrics.render_prometheus)

    # ============================================================= faults
    def fault(self, kind: str, node: str | None = None, **kw: Any) -> dict:
        """Inject a fault on a node (FR-013; ``%qfault``): ``drop``, ``restore``, ``latency``,
        ``link_latency``, ``fidelity``, ``flap``, ``available`` (:data:`qnb.faults.FAULT_KINDS`).

        Examples: ``mesh.fault("drop", "n01")``, ``mesh.fault("latency", "n02", ms=50)``,
        ``mesh.fault("fidelity", "n00", factor=5)``, ``mesh.fault("restore", "n01")``.

        ``kw`` by kind: ``drop``: ``return_after_s``; ``latency``: ``ms`` (default 50),
        ``duration_s``; ``link_latency``: ``peer`` (required), ``ms``; ``fidelity``: ``factor``
        (default 10) or ``fidelity_2q``, ``duration_s``; ``flap`` (embedded nodes only):
        ``period_s`` (0.5), ``cycles`` (3); ``available``: ``available`` (bool, default False).
        Returns a dict describing what was done. Raises :class:`~qnb.errors.QnbError` for an unknown
        kind, a missing or unknown node, a missing required argument, or a mesh that is not running.
        """
        from .faults import apply_fault
        return self.call(apply_fault, self, kind, node, kw)

    def node_names(self) -> list[str]:
        """Names of the embedded nodes, sorted (external bootstrap nodes are in :meth:`nodes`)."""
        return sorted(self._nodes)

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<Mesh {self.name} {state}: {len(self._nodes)} embedded nodes, {len(self._snapshots)} jobs>"

    def _repr_html_(self) -> str:
        from .render import mesh_html
        return mesh_html(self)


def start(nodes: int | None = None, topology: Topology | str | Path | None = None, seed: int | None = None, *,
          bootstrap: Iterable[str] = (), config: str | Path | None = None, store: str | Path | None = None,
          noiseless: bool | None = None, qubits_per_node: int | None = None,
          settings: Settings | None = None) -> Mesh:
    """Start an embedded mesh and return it, running, once the registry holds every node (FR-009, NB-1).

    One call brings up a coordinator and ``nodes`` simulated QPU nodes, each a real libp2p host, on
    a background trio thread of this process (NB-2: the caller's thread stays free). Use the
    result as ``mesh.submit(...)``, ``mesh.sql(...)``, ``mesh.stop()``, or in a ``with`` block.
    ``%qnb start`` calls this.

    Parameters (None means "take it from the settings"):

    - ``nodes``: number of embedded nodes. None: ``[mesh] nodes`` (default 5), except that with
      a ``topology`` the topology decides and with ``bootstrap`` alone no embedded node starts.
    - ``topology``: None (default) generates a fully connected mesh of ``nodes`` nodes with
      slightly different, seeded fidelities (:func:`default_topology`); otherwise a
      :class:`~qnb.topology.Topology`, a TOML path, a bundled name (``"hetero5"``) or a generator
      spec (``"all-to-all:5:4"``). ``nodes``, if also given, must equal its size.
    - ``seed``: seed of topology generation, noise and sampling (NFR-001). None: ``[mesh] seed``,
      else 0.
    - ``bootstrap``: multiaddrs of running ``qnb node`` processes to join (default none).
    - ``config``: a TOML config file (FR-011). None: ``$QNB_CONFIG``, else ``./qnb.toml`` if it
      exists, else the defaults; ``QNB_*`` environment variables override it. Ignored when
      ``settings`` is given.
    - ``store``: the DuckDB file (FR-010) or ``":memory:"`` to keep nothing. None:
      ``[store] path`` (default ``<user data dir>/qnb/qnb.duckdb``). Unfinished jobs already in the
      file are resumed.
    - ``noiseless``: run every node and link without noise. None: ``[mesh] noiseless``
      (default False).
    - ``qubits_per_node``: qubits of each generated node. None: ``[mesh] qubits_per_node``
      (default 4); ignored with a ``topology``.
    - ``settings``: a ready :class:`~qnb.config.Settings`. None: ``Settings.load(config)``.

    Returns the started :class:`Mesh`. Raises :class:`~qnb.errors.ConfigError` for invalid
    configuration or ``nodes`` conflicting with ``topology`` (naming key, value and rule),
    :class:`~qnb.errors.TopologyError` for an invalid topology, :class:`~qnb.store.StoreError` if
    the store cannot be opened (for example locked by another process) and
    :class:`~qnb.errors.QnbError` if the mesh does not come up within 60 s (see :meth:`Mesh.start`).
    """
    from .config import Settings
    if settings is None:
        settings = Settings.load(config)
    if nodes is None and topology is None and not bootstrap:
        nodes = settings.mesh.nodes
    mesh = Mesh(nodes=nodes, topology=topology, seed=seed, bootstrap=bootstrap, settings=settings, store=store,
                noiseless=noiseless, qubits_per_node=qubits_per_node)
    return mesh.start()
