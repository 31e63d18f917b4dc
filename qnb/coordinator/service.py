"""The coordinator: one libp2p host composing registry intake, control, job queue and gateway.

(FR-002, FR-006..FR-010, FR-012.) Its collaborators, one concept each:

* :class:`~.intake.AdvertIntake`   ``/qnb/advert`` and ``/qnb/probe``: validated adverts, quality history;
* :class:`~.control.ControlService` ``/qnb/control``: a handler table for cross-process clients;
* :class:`~.jobs.JobQueue`         accept, persist, dispatch (per orchestration policy), cancel, recover;
* :class:`~.gateway.LibP2PGateway`  the runner's and the faults' calls to nodes;
* :class:`~.records.StoreHooks`     every runner fact into DuckDB, metrics and the audit chain.

The coordinator itself owns the host's life, the registry, the store writer and the read-only
views (planning topology, registry rows, health). For qnb's own layers that run inside the
mesh's trio thread (faults, the harness, bench) it offers a small seam: :meth:`spawn`,
:meth:`wait_registry_change`, :meth:`job`, :meth:`wait_for_job`, :meth:`policy`.
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any, Callable

import multiaddr
import trio

from ..config import Settings
from ..mesh import rpc
from ..mesh.access import AccessPolicy, RateLimiter, role_token
from ..mesh.advert import Advertisement
from ..mesh.announce import watch_disconnects
from ..mesh.host import close_network, connect, full_addr, make_host, peer_id_str
from ..mesh.protocols import ADVERT, CONTROL, PROBE
from ..mesh.registry import Registry
from ..observability import HealthReport, Metrics
from ..planning import CostWeights
from ..runtime.backoff import Backoff
from ..runtime.job import JobSpec
from ..runtime.policies import OrchestrationPolicy
from ..runtime.runner import JobRecord, JobRunner, RunnerOptions
from ..store import StoreWriter
from ..topology import LinkSpec, Topology
from .control import ControlService
from .gateway import LibP2PGateway
from .intake import AdvertIntake
from .jobs import JobQueue
from .records import StoreHooks, epoch

__all__ = ["Coordinator", "runner_options", "NEGOTIATE_TIMEOUT_S"]

log = logging.getLogger("qnb.coordinator")

# py-libp2p waits 10 s (its default) for a multistream answer; a peer that is shutting down keeps
# its TCP connection long enough for a new stream to hang that long. 5 s still lets the runtime
# fall back promptly and survives 100 nodes connecting at once on 2 busy cores (identify runs
# on every new connection and timed out at 2 s there) (see docs/libp2p.md, "in-flight dial to a stopping host").
NEGOTIATE_TIMEOUT_S = 5.0


def runner_options(settings: Settings, **overrides: Any) -> RunnerOptions:
    """The runner's options from ``[retry]``, ``[timeouts]``, ``[limits]``, ``[planner]``, ``[intervals]``."""
    r, t, lim, p = settings.retry, settings.timeouts, settings.limits, settings.planner
    opts = dict(
        backoff=Backoff(r.backoff_initial_s, r.backoff_max_s, r.backoff_multiplier, r.jitter, r.max_attempts),
        exec_timeout_s=t.exec, reserve_timeout_s=t.reserve,
        weights=CostWeights(p.weight_latency, p.weight_fidelity, p.weight_ebits),
        statevector_max_qubits=lim.statevector_max_qubits,
        density_matrix_max_qubits=lim.density_matrix_max_qubits,
        reservation_hold_s=settings.intervals.reservation_hold_s, reservation_queue_s=t.reservation_queue)
    opts.update(overrides)
    return RunnerOptions(**opts)


class Coordinator:
    def __init__(self, settings: Settings, store: Any, *, publish: Callable[..., None] | None = None,
                 name: str = "coordinator", static_topology: Topology | None = None, listen: str | None = None,
                 key_seed: bytes | None = None, recover: bool = True, health: Any = "default",
                 admission_key: str | None = None) -> None:
        self.settings = settings
        self.store = store
        self.name = name
        self.static_topology = static_topology
        #: the link model of node pairs that declare no link (implicit all-to-all meshes and
        #: `qnb node` processes): LinkSpec defaults unless the topology says otherwise
        self.default_link: dict = dict((static_topology.meta if static_topology else {}).get("default_link") or {})
        self.listen = listen or f"/ip4/{settings.mesh.listen_host}/tcp/0"
        self.key_seed = key_seed or os.urandom(32)
        self.recover = recover
        self.health_monitor = health   # see NodeService.health_monitor
        self.registry = Registry(ttl_s=settings.intervals.ttl_s,
                                 degraded_fidelity_2q=settings.thresholds.degraded_fidelity_2q)
        self.metrics = Metrics()
        self.writer: StoreWriter | None = None
        self.host = None
        self.peer_id: str | None = None
        self.addr: str | None = None
        self.started_at = time.time()
        self._registry_changed = trio.Event()
        self._nursery: trio.Nursery | None = None
        #: how late the housekeeping loop wakes (s): a measure of this loop's load
        self.loop_lag_s = 0.0

        #: who may call what (FR-014): adverts need the node role, control the client role
        self.access = AccessPolicy.from_settings(settings, name="coordinator")
        if admission_key is not None:
            self.access.admission_key = admission_key
        self.limiter = RateLimiter(settings.security.rate_per_s, settings.security.rate_burst)
        lim = settings.limits
        self.gateway = LibP2PGateway(self.registry, max_frame=lim.max_frame_bytes,
                                     control_timeout=settings.timeouts.control, book_events=self.record_book_events)
        opts = runner_options(settings)
        self.runner = JobRunner(self.gateway, self.snapshot_topology, opts,
                                hooks=StoreHooks(lambda: self.writer, self.metrics,
                                                 max_attempts=opts.backoff.max_attempts,
                                                 book_events=self.record_book_events))
        self.queue = JobQueue(self.runner, lambda: self.writer, self.metrics, queue_max=lim.queue_max,
                              publish=publish or (lambda snap, result=None: None), inventory=self._central_inventory)
        self.intake = AdvertIntake(self.registry, self.metrics, lambda: self.writer, self.access, name=name,
                                   ttl_s=settings.intervals.ttl_s, default_link=self.default_link,
                                   on_change=self._notify_registry)
        self.control_service = ControlService(self)
        self._reservations: dict[tuple[str, str], tuple] = {}   # (node, id) -> (job, start, end)

    # ================================================================ life
    async def run(self, task_status=trio.TASK_STATUS_IGNORED) -> None:
        self.writer = StoreWriter(self.store, batch_ms=self.settings.store.batch_ms,
                                  batch_max=self.settings.store.batch_max)
        try:
            kw = {} if self.health_monitor == "default" else {"health": self.health_monitor}
            host = make_host(key_seed=self.key_seed, psk=self.settings.mesh.psk, security=self.settings.mesh.security,
                             negotiate_timeout_s=NEGOTIATE_TIMEOUT_S, **kw)
            self.host = self.gateway.host = self.intake.host = host
            async with host.run([multiaddr.Multiaddr(self.listen)]):
                self.peer_id = peer_id_str(host)
                self.addr = full_addr(host)
                lim = self.settings.limits.max_frame_bytes
                rl = self.limiter
                rpc.serve(host, ADVERT, self.intake.on_advert, max_frame=lim, limiter=rl)
                rpc.serve(host, PROBE, self.intake.on_probe, max_frame=lim, limiter=rl)
                rpc.serve(host, CONTROL, self.control_service.on_control, max_frame=lim, limiter=rl)
                watch_disconnects(host, self.registry)   # a closed connection marks the node at once
                async with trio.open_nursery() as n:
                    self._nursery = self.queue.nursery = n
                    for _ in range(self.settings.limits.max_jobs_in_flight):
                        n.start_soon(self.queue.worker)
                    n.start_soon(self._housekeeping)
                    recovered = self._recover() if self.recover else 0
                    n.start_soon(self._warm_up_registry, recovered)
                    task_status.started(self)
                    try:
                        await trio.sleep_forever()
                    finally:
                        with trio.CancelScope(shield=True):
                            await close_network(host)
        finally:
            with trio.CancelScope(shield=True):
                if self.writer is not None:
                    await trio.to_thread.run_sync(self.writer.close)

    async def join(self, addr: str) -> None:
        """Dial an already-running node and ask it to advertise to us (``--bootstrap``).

        We chose it by an address whose ``/p2p/`` peer id Noise authenticates, so it is admitted
        as a node; with an admission key the hello carries our coordinator and operator tokens."""
        await connect(self.host, addr, timeout=self.settings.timeouts.connect)
        pid = addr.rsplit("/p2p/", 1)[-1]
        self.access.grant("node", pid)
        hello = {"type": "control", "command": "hello", "addrs": [self.addr]}
        key = self.access.admission_key
        if key:
            hello.update(token=role_token(key, "coordinator", self.peer_id),
                         operator_token=role_token(key, "operator", self.peer_id))
        await rpc.call(self.host, pid, CONTROL, hello, timeout=self.settings.timeouts.control)

    async def wait_registry(self, count: int, timeout: float) -> None:
        """Wait until ``count`` nodes are registered and fresh (NFR-006 measures this)."""
        with trio.move_on_after(timeout):
            while len(self.registry.query(now=time.time())) < count:
                await self.wait_registry_change()

    def flush_store(self, timeout: float = 10.0) -> None:
        if self.writer is not None:
            self.writer.flush(timeout)

    async def _housekeeping(self) -> None:
        """Expire registry entries past TTL, honestly, and sample metrics into the store.

        A node is gone only when it stops answering, not when its adverts are late (FR-002): the
        TTL is extended by this loop's own lag (a busy coordinator woke late, the nodes are not to
        blame), and an entry past its TTL whose connection is still open is probed first; an
        answer refreshes it (:meth:`Registry.touch`)."""
        interval = min(0.5, self.settings.intervals.ttl_s / 3)
        last_sample = 0.0
        while True:
            t0 = trio.current_time()
            await trio.sleep(interval)
            lag = max(0.0, trio.current_time() - t0 - interval)
            self.loop_lag_s = max(lag, 0.9 * self.loop_lag_s)      # decays slowly, rises at once
            now = time.time()
            grace = 2 * self.loop_lag_s
            due = self.registry.expiring(now, grace)
            if due:
                await self._probe_before_expiry(due)
            if self.registry.expire(time.time(), grace):
                self._notify_registry()
            self.metrics.queue_depth.set(self.queue.depth)
            if now - last_sample >= self.settings.intervals.metrics_sample_s:
                last_sample = now
                for row in self.metrics.snapshot():
                    self.writer.insert("metrics_samples", {"ts": now, "name": row["name"],
                                                           "labels": json.dumps(row.get("labels", {})),
                                                           "value": row["value"]})

    #: most nodes probed at once before expiry
    EXPIRY_PROBES = 64

    async def _probe_before_expiry(self, peer_ids: list[str]) -> None:
        connected = set()
        try:
            connected = {str(p) for p in self.host.get_network().get_connections_map()}
        except Exception:  # noqa: BLE001 - without the map every candidate simply expires
            pass
        # a whole TTL to answer: on a loaded machine a busy node answers late, and late is alive
        timeout = max(0.5, self.settings.intervals.ttl_s)

        async def probe(pid: str) -> None:
            try:
                await rpc.call(self.host, pid, PROBE, {"type": "probe"}, timeout=timeout)
            except rpc.RpcError:
                return
            self.registry.touch(pid, time.time())

        async with trio.open_nursery() as n:
            for pid in [p for p in peer_ids if p in connected][: self.EXPIRY_PROBES]:
                n.start_soon(probe, pid)

    # ============================================================ recovery
    def _recover(self) -> int:
        """Reload the registry cache (stale) and re-queue every unfinished job (FR-010)."""
        try:
            cached = self.store.sql("select record, last_seen from registry_cache").rows
        except Exception:  # noqa: BLE001 - an empty/new store has nothing to recover
            cached = []
        for record, last_seen in cached:
            try:
                adv = Advertisement.from_json(json.loads(record))
            except Exception:  # noqa: BLE001 - a corrupt cache row only costs us that entry
                continue
            self.registry.restore(adv, epoch(last_seen))   # known, but stale until it re-advertises
        if cached:
            self.writer.update("registry_cache", {"stale": True}, {})
        return self.queue.recover(self.store)

    async def _warm_up_registry(self, recovered: int) -> None:
        """Start dispatch. Recovered jobs must not be planned on an empty view, so with any to run
        we first wait (at most two TTLs) for the cached nodes to re-advertise. Cached entries that
        never do are ghosts of another run on the same store: they are dropped from the live view
        (their ``registry_cache`` rows stay, ``stale = true``) and never count against this mesh."""
        if recovered:
            with trio.move_on_after(2 * self.settings.intervals.ttl_s):
                while any(e.stale for e in self.registry.entries()):
                    await self.wait_registry_change()
        self.queue.ready.set()
        if not recovered:
            # no job needs the cached view: give live nodes one TTL to re-advertise, then forget the rest
            with trio.move_on_after(self.settings.intervals.ttl_s):
                while any(e.stale for e in self.registry.entries()):
                    await self.wait_registry_change()
        ghosts = [e.name for e in self.registry.entries() if e.stale]
        for name in ghosts:
            self.registry.remove(name)
        if ghosts:
            log.info("dropped %d cached registry entries that did not re-advertise: %s", len(ghosts), ghosts)
            self._notify_registry()

    # ======================================================= registry views
    def _notify_registry(self) -> None:
        ev, self._registry_changed = self._registry_changed, trio.Event()
        ev.set()

    def snapshot_topology(self) -> Topology:
        """The planner's view (FR-008): this mesh's nodes (cached entries that have not re-advertised
        are not part of it), links from adverts or the default link model."""
        topo = self.registry.snapshot(time.time())
        stale = set(topo.meta.get("stale_nodes") or ())
        if stale:
            topo = Topology(topo.name, tuple(n for n in topo.nodes if n.id not in stale),
                            tuple(l for l in topo.links if l.a not in stale and l.b not in stale), topo.meta)
        names = sorted(n.id for n in topo.nodes)
        have = {(l.a, l.b) for l in topo.links}
        extra = []
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                if (a, b) not in have and not self._static_has_links(a, b):
                    extra.append(LinkSpec(a, b, **self.default_link))  # implicit link: the default model
        return Topology(topo.name, topo.nodes, topo.links + tuple(extra), topo.meta) if extra else topo

    def _static_has_links(self, a: str, b: str) -> bool:
        st = self.static_topology
        if st is None or a not in st.by_id or b not in st.by_id:
            return False
        # a topology that lists its links means what it says: a missing pair has no direct link
        return bool(st.links) and "default_link" not in st.meta

    def _central_inventory(self) -> Topology:
        """What the centralized policy freezes: the registry now, else the configured topology."""
        inventory = self.snapshot_topology()
        if not inventory.nodes and self.static_topology is not None:
            inventory = self.static_topology
        return inventory

    def registry_rows(self) -> list[dict]:
        now = time.time()
        rows = []
        for e in self.registry.entries(now):
            a = e.advert
            rows.append({"name": a.name, "peer_id": a.node_id, "service_type": a.service_type,
                         "qubits": a.qubit_range[1], "fidelity_1q": a.fidelity_1q, "fidelity_2q": a.fidelity_2q,
                         "fidelity_readout": a.fidelity_readout, "available": e.available,
                         "degraded": a.degraded, "queue_depth": a.queue_depth, "region": a.region,
                         "price_per_shot": a.price_per_shot, "age_s": round(now - e.received_at, 3),
                         "stale": e.stale, "gates": len(a.gates), "addr": a.addrs[0] if a.addrs else None})
        return sorted(rows, key=lambda r: r["name"])

    def quality_history(self) -> list[dict]:
        return list(self.intake.quality)

    async def health(self) -> HealthReport:
        comps: dict[str, dict] = {"coordinator": {"status": "ok", "detail": f"{self.addr}"}}
        try:
            await trio.to_thread.run_sync(lambda: self.store.sql("select 1"))
            comps["store"] = {"status": "ok", "detail": str(getattr(self.store, "path", ""))}
        except Exception as e:  # noqa: BLE001
            comps["store"] = {"status": "down", "detail": str(e)}
        rows = [r for r in self.registry_rows() if not r["stale"]]   # cached, not yet re-advertised: not ours yet
        fresh = [r for r in rows if r["available"]]
        comps["registry"] = {"status": "ok" if rows and len(fresh) == len(rows) else ("degraded" if fresh else "down"),
                             "detail": f"{len(fresh)}/{len(rows)} nodes fresh and available"}
        nodes = [{"name": r["name"], "status": "ok" if r["available"] and not r["degraded"] else
                  ("degraded" if r["available"] else "down"), "age_s": r["age_s"], "fidelity_2q": r["fidelity_2q"]}
                 for r in rows]
        statuses = [c["status"] for c in comps.values()]
        overall = "down" if comps["coordinator"]["status"] == "down" or comps["store"]["status"] == "down" else (
            "ok" if all(s == "ok" for s in statuses) else "degraded")
        return HealthReport(status=overall, components=comps, nodes=nodes)

    # ================================================================ jobs
    @property
    def jobs(self) -> dict[str, JobRecord]:
        return self.queue.jobs

    @property
    def queue_depth(self) -> int:
        return self.queue.depth

    async def submit(self, spec: JobSpec, circuit=None) -> str:
        """Accept a job: durable in the store before its id is returned (FR-010)."""
        return await self.queue.submit(spec, circuit)

    def cancel(self, job_id: str) -> bool:
        return self.queue.cancel(job_id)

    def record_book_events(self, node: str, events: list[dict]) -> None:
        """Persist a node's reservation-book events (FR-005: the log is event-sourced on the node)."""
        for ev in events:
            data = ev.get("data") or {}
            key = (node, ev.get("reservation_id"))
            if ev.get("kind") == "requested":  # only the request carries the correlation and window
                corr = data.get("correlation") or {}
                self._reservations[key] = (corr.get("job_id"), data.get("start"), data.get("end"))
            job_id, start, end = self._reservations.get(key, (None, None, None))
            self.writer.insert("reservation_events", {
                "node": node, "reservation_id": ev.get("reservation_id"), "seq": ev.get("seq"),
                "kind": ev.get("kind"), "ts": ev.get("at"), "job_id": job_id, "fragment_id": None,
                "window_start": start, "window_end": end, "data": json.dumps(data, default=str)})
            if ev.get("kind") in ("cancelled", "expired", "completed", "rejected"):
                self._reservations.pop(key, None)

    async def control(self, node: str, command: str, **kw: Any) -> dict:
        """Send a node-control command to ``node`` over libp2p."""
        return await self.gateway.control(node, command, **kw)

    # ======================================================= internal seam
    # For qnb's layers that run inside this trio thread (faults, harness, bench); never call
    # these from another thread (use Mesh.call / Mesh.call_sync).
    def spawn(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` as a background task of the coordinator (ends with the mesh)."""
        self._nursery.start_soon(fn, *args)

    async def wait_registry_change(self) -> None:
        """Return after the next registry change (an accepted advert, an expiry, a removal)."""
        await self._registry_changed.wait()

    def job(self, job_id: str) -> JobRecord:
        return self.queue.get(job_id)

    async def wait_for_job(self, name: str) -> JobRecord:
        return await self.queue.wait_for(name)

    def policy(self, mode: str) -> OrchestrationPolicy:
        """The orchestration policy of ``mode`` (creating the centralized one freezes its inventory)."""
        return self.queue.policy(mode)
