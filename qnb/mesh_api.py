"""The embedded mesh and the synchronous Python API (FR-009 in-process, NB-2).

``qnb.start()`` runs one ``trio.run`` on a background thread that owns the coordinator host, the
node hosts, the registry, the runtime and the store writer. The caller's thread (a Jupyter kernel,
a script, an asyncio loop) talks to it only through ``trio.from_thread`` with the run's token, and
reads immutable :class:`~qnb.runtime.job.JobSnapshot` objects that the trio side publishes. Nothing
in the trio thread prints or touches widgets.
"""

from __future__ import annotations

import itertools
import logging
import secrets
import threading
import time
from pathlib import Path
from typing import Any, Iterable, Mapping

import trio

from .circuits import Circuit, load
from .errors import ConfigError, JobError, QnbError, UnknownJobError
from .runtime.job import TERMINAL_STATES, JobResult, JobSnapshot, JobSpec, JobState
from .topology import Topology, load_topology

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
    """A handle on a submitted job. Cheap; all state lives in the mesh's published snapshots."""

    def __init__(self, mesh: "Mesh", job_id: str) -> None:
        self.mesh = mesh
        self.id = job_id

    @property
    def snapshot(self) -> JobSnapshot:
        return self.mesh._snapshot(self.id)

    @property
    def status(self) -> JobState:
        return self.snapshot.state

    @property
    def done(self) -> bool:
        return self.status in TERMINAL_STATES

    def wait(self, timeout: float | None = None) -> JobResult:
        """Block until the job is terminal. Waits in short slices so Ctrl-C interrupts the wait
        (the job itself keeps running; call :meth:`cancel` to stop it)."""
        ev = self.mesh._done_event(self.id)
        deadline = None if timeout is None else time.monotonic() + timeout
        while not ev.wait(0.05):
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"job {self.id} still {self.status} after {timeout} s")
            if not self.mesh.running and not ev.is_set():
                raise JobError(f"mesh stopped before job {self.id} finished")
        return self.mesh.result_of(self.id)

    def result(self, timeout: float | None = None) -> JobResult:
        return self.wait(timeout)

    def cancel(self) -> bool:
        """Cancel the job if it is not terminal yet; returns True if a cancellation was requested."""
        return self.mesh.call_sync(self.mesh.coordinator.cancel, self.id)

    def __repr__(self) -> str:
        s = self.snapshot
        return f"<Job {s.name} {self.id[:8]} {s.state.value} {s.fragments_done}/{s.fragments_total} fragments>"

    def _repr_html_(self) -> str:
        from .render import job_html
        return job_html(self.snapshot, self.mesh.result_of(self.id))


class Mesh:
    """An embedded coordinator + N libp2p service nodes on one background trio thread."""

    #: nodes started concurrently per wave (see _main)
    START_WAVE = 25

    def __init__(self, *, nodes: int | None = None, topology: Any = None, seed: int | None = None,
                 bootstrap: Iterable[str] = (), settings: Any = None, store: str | Path | None = None,
                 noiseless: bool | None = None, qubits_per_node: int | None = None, name: str | None = None,
                 listen: str | None = None) -> None:
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
        """The coordinator's full dialable multiaddr."""
        return self._coordinator.addr if self._coordinator is not None else None

    @property
    def running(self) -> bool:
        return bool(self._thread and self._thread.is_alive() and self._token)

    def stop(self, timeout: float = 15.0) -> None:
        """Cancel the trio run, join the thread and close the store; bounded in time (NB-2)."""
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
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # ============================================================ bridging
    # The seam for qnb's own layers (faults, harness, bench, widgets): run code inside the mesh's
    # trio thread, reach the coordinator and the embedded node services. Users rarely need it.
    def call(self, afn, *args):
        """Run ``await afn(*args)`` inside the mesh's trio thread and return its result."""
        if not self.running:
            raise QnbError("the mesh is not running (call qnb.start() or mesh.start())")
        return trio.from_thread.run(afn, *args, trio_token=self._token)

    def call_sync(self, fn, *args):
        """Run ``fn(*args)`` inside the mesh's trio thread and return its result."""
        if not self.running:
            raise QnbError("the mesh is not running (call qnb.start() or mesh.start())")
        return trio.from_thread.run_sync(fn, *args, trio_token=self._token)

    @property
    def coordinator(self):
        """The :class:`~qnb.coordinator.Coordinator` (touch it only inside the trio thread, via :meth:`call`)."""
        if self._coordinator is None:
            raise QnbError("the mesh has not started")
        return self._coordinator

    def node_service(self, name: str):
        """The embedded :class:`~qnb.node.NodeService` called ``name``, or None (external or unknown)."""
        return self._nodes.get(name)

    def result_of(self, job_id: str) -> JobResult | None:
        """The job's result once it is terminal and durable, else None."""
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
               noisy: bool | None = None, idempotency_key: str | None = None, mode: str = "distributed") -> Job:
        """Validate and enqueue a circuit; returns a :class:`Job` at once (FR-009).

        Invalid input raises a structured error here and nothing is enqueued; accepted jobs are in
        the store before this returns, so a coordinator crash cannot lose them (FR-010).
        """
        c = load(circuit)
        spec = self.make_spec(c, shots=shots, min_fidelity=min_fidelity, seed=seed, name=name,
                              parameters=parameters, noisy=noisy, idempotency_key=idempotency_key, mode=mode)
        job_id = self.call(self._coordinator.submit, spec, c)
        return Job(self, job_id)

    def make_spec(self, c: Circuit, **kw) -> JobSpec:
        from .runtime.submission import make_spec
        return make_spec(c, self.settings, default_seed=self.seed, noiseless=self.noiseless, **kw)

    def run(self, circuit: Any, timeout: float | None = None, **kw) -> JobResult:
        """Submit and wait: ``mesh.run(qasm, shots=1000)``."""
        return self.submit(circuit, **kw).wait(timeout)

    def job(self, job_id: str) -> Job:
        self._snapshot(job_id)
        return Job(self, job_id)

    def plan_of(self, job_id: str, revision: int = 0):
        """The job's plan: revision 0 is the first; each re-plan adds one (-1 = the latest)."""
        self._snapshot(job_id)
        plans = self.call_sync(lambda: list(self._coordinator.job(job_id).plans))
        if not plans:
            raise JobError(f"job {job_id} has no plan yet (state {self._snapshot(job_id).state.value})")
        return plans[revision]

    def jobs(self) -> list[JobSnapshot]:
        return sorted(self._snapshots.values(), key=lambda s: s.submitted_at)

    # ========================================================== inspection
    def nodes(self) -> list[dict]:
        """The registry: one dict per known node (FR-002)."""
        return self.call_sync(self._coordinator.registry_rows)

    def topology_snapshot(self) -> Topology:
        return self.call_sync(self._coordinator.snapshot_topology)

    def quality(self) -> list[dict]:
        """Recent quality samples (node fidelities and link RTTs), oldest first (FR-008)."""
        return self.call_sync(self._coordinator.quality_history)

    def sql(self, query: str, params: Any = None, *, df: bool = False):
        """Run SQL on the mesh's DuckDB file. Returns a Result (rows, columns) or a DataFrame."""
        if self._coordinator is not None and self.running:
            self._coordinator.flush_store()
        res = self.store.sql(query, params)
        return res.df() if df else res

    def health(self):
        return self.call(self._coordinator.health)

    def metrics_text(self) -> str:
        return self.call_sync(self._coordinator.metrics.render_prometheus)

    # ============================================================= faults
    def fault(self, kind: str, node: str | None = None, **kw) -> dict:
        """Inject a fault: ``drop``, ``restore``, ``latency``, ``link_latency``, ``fidelity``, ``flap``.

        Examples: ``mesh.fault("drop", "n01")``, ``mesh.fault("latency", "n02", ms=50)``,
        ``mesh.fault("fidelity", "n00", factor=5)``, ``mesh.fault("restore", "n01")``.
        """
        from .faults import apply_fault
        return self.call(apply_fault, self, kind, node, kw)

    def node_names(self) -> list[str]:
        return sorted(self._nodes)

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<Mesh {self.name} {state}: {len(self._nodes)} embedded nodes, {len(self._snapshots)} jobs>"

    def _repr_html_(self) -> str:
        from .render import mesh_html
        return mesh_html(self)


def start(nodes: int | None = None, topology: Any = None, seed: int | None = None, *,
          bootstrap: Iterable[str] = (), config: str | Path | None = None, store: str | Path | None = None,
          noiseless: bool | None = None, qubits_per_node: int | None = None, settings: Any = None) -> Mesh:
    """Start an embedded mesh and return it once the registry holds every node."""
    from .config import Settings
    if settings is None:
        settings = Settings.load(config)
    if nodes is None and topology is None and not bootstrap:
        nodes = settings.mesh.nodes
    mesh = Mesh(nodes=nodes, topology=topology, seed=seed, bootstrap=bootstrap, settings=settings, store=store,
                noiseless=noiseless, qubits_per_node=qubits_per_node)
    return mesh.start()
