"""The coordinator: registry, job queue and runtime on one libp2p host (FR-002, FR-006..FR-010, FR-012).

It owns the registry (fed by acknowledged advert pushes), the job queue (``limits.max_jobs_in_flight``
workers), the store writer (the one DuckDB writer, FR-010) and the metrics. On start it reloads
the registry cache (marked stale until fresh adverts arrive) and every unfinished job from the
store, and drives each to a terminal state (``resumed=True``, ``run`` incremented): nothing
accepted is lost across a coordinator crash.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import deque
from typing import Any, Callable

import multiaddr
import trio

from .config import Settings
from .errors import QnbError, UnknownJobError
from .mesh import rpc
from .mesh.advert import Advertisement
from .mesh.announce import learn_peer, watch_disconnects
from .mesh.host import close_network, connect, full_addr, make_host, peer_id_str
from .mesh.protocols import ADVERT, CONTROL, EXEC, PROBE, RESERVE
from .mesh.registry import Registry
from .observability import Metrics, log_context
from .planning import CostWeights, Plan
from .runtime.backoff import Backoff
from .runtime.job import Attempt, JobResult, JobSnapshot, JobSpec, JobState, TERMINAL_STATES
from .runtime.runner import JobRecord, JobRunner, NodeCallError, RunnerHooks, RunnerOptions
from .topology import LinkSpec, Topology

# py-libp2p waits 10 s (its default) for a multistream answer; a peer that is shutting down keeps
# its TCP connection long enough for a new stream to hang that long. 5 s still lets the runtime
# fall back promptly and survives 100 nodes connecting at once on 2 busy cores (identify runs
# on every new connection and timed out at 2 s there) (see docs/libp2p.md, "in-flight dial to a stopping host").
NEGOTIATE_TIMEOUT_S = 5.0

__all__ = ["Coordinator"]

log = logging.getLogger("qnb.coordinator")


def runner_options(settings: Settings, **overrides: Any) -> RunnerOptions:
    r, t, lim, p = settings.retry, settings.timeouts, settings.limits, settings.planner
    opts = dict(
        backoff=Backoff(r.backoff_initial_s, r.backoff_max_s, r.backoff_multiplier, r.jitter, r.max_attempts),
        exec_timeout_s=t.exec, reserve_timeout_s=t.reserve,
        weights=CostWeights(p.weight_latency, p.weight_fidelity, p.weight_ebits),
        statevector_max_qubits=lim.statevector_max_qubits,
        density_matrix_max_qubits=lim.density_matrix_max_qubits,
        reservation_hold_s=settings.intervals.reservation_hold_s)
    opts.update(overrides)
    return RunnerOptions(**opts)


class Coordinator:
    def __init__(self, settings: Settings, store: Any, *, publish: Callable[..., None] | None = None,
                 name: str = "coordinator", static_topology: Topology | None = None, listen: str | None = None,
                 key_seed: bytes | None = None, recover: bool = True, health: Any = "default") -> None:
        self.settings = settings
        self.store = store
        self.name = name
        self._publish_cb = publish or (lambda snap, result=None: None)
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
        self.metrics: Metrics = Metrics()
        self.writer = None
        self.host = None
        self.peer_id: str | None = None
        self.addr: str | None = None
        self.jobs: dict[str, JobRecord] = {}
        self.quality: deque[dict] = deque(maxlen=5000)
        self._reservations: dict[tuple[str, str], tuple] = {}   # (node, id) -> (job, start, end)
        self._send = self._recv = None
        self._registry_changed = trio.Event()
        self._ready = trio.Event()   # set once the registry view is usable (see _warm_up_registry)
        self._nursery: trio.Nursery | None = None
        self.started_at = time.time()
        self.runner = JobRunner(self, self.snapshot_topology, runner_options(settings), hooks=_StoreHooks(self))
        self.central_runner: JobRunner | None = None

    # ================================================================ life
    async def run(self, task_status=trio.TASK_STATUS_IGNORED) -> None:
        from .store import StoreWriter
        self.writer = StoreWriter(self.store, batch_ms=self.settings.store.batch_ms,
                                  batch_max=self.settings.store.batch_max)
        try:
            kw = {} if self.health_monitor == "default" else {"health": self.health_monitor}
            host = make_host(key_seed=self.key_seed, psk=self.settings.mesh.psk, security=self.settings.mesh.security,
                             negotiate_timeout_s=NEGOTIATE_TIMEOUT_S, **kw)
            self.host = host
            self._send, self._recv = trio.open_memory_channel(self.settings.limits.queue_max)
            async with host.run([multiaddr.Multiaddr(self.listen)]):
                self.peer_id = peer_id_str(host)
                self.addr = full_addr(host)
                lim = self.settings.limits.max_frame_bytes
                rpc.serve(host, ADVERT, self._on_advert, max_frame=lim)
                rpc.serve(host, PROBE, self._on_probe, max_frame=lim)
                rpc.serve(host, CONTROL, self._on_control, max_frame=lim)
                watch_disconnects(host, self.registry)   # a closed connection marks the node at once
                async with trio.open_nursery() as n:
                    self._nursery = n
                    for _ in range(self.settings.limits.max_jobs_in_flight):
                        n.start_soon(self._worker)
                    n.start_soon(self._housekeeping)
                    if self.recover:
                        self._recover()
                    n.start_soon(self._warm_up_registry)
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
        """Dial an already-running node and ask it to advertise to us (``--bootstrap``)."""
        await connect(self.host, addr, timeout=self.settings.timeouts.connect)
        pid = addr.rsplit("/p2p/", 1)[-1]
        await rpc.call(self.host, pid, CONTROL, {"type": "control", "command": "hello", "addrs": [self.addr]},
                       timeout=self.settings.timeouts.control)

    async def wait_registry(self, count: int, timeout: float) -> None:
        """Wait until ``count`` nodes are registered and fresh (NFR-006 measures this)."""
        with trio.move_on_after(timeout):
            while len(self.registry.query(now=time.time())) < count:
                ev = self._registry_changed
                await ev.wait()

    def flush_store(self, timeout: float = 10.0) -> None:
        if self.writer is not None:
            self.writer.flush(timeout)

    # ============================================================ adverts
    async def _on_advert(self, header: dict, payload: bytes | None, peer_id: str):
        now = time.time()
        record = header.get("advert")
        try:   # schema, known gates, protocol major, sender identity; rejections are logged there
            changed = self.registry.ingest(record, now, peer_id=peer_id)
        except QnbError as e:
            self.metrics.adverts_total.inc(result="rejected")
            self.writer.insert("advertisements", {"node_id": peer_id, "name": None, "seq": None,
                                                  "received_at": now, "valid": False, "reason": e.message,
                                                  "record": json.dumps(record, default=str)[:10000]})
            raise
        adv = self.registry.get(peer_id).advert
        learn_peer(self.host, peer_id, adv.addrs)
        self.metrics.adverts_total.inc(result="accepted" if changed else "stale")
        if changed:
            self._record_quality(adv, now)
            ev, self._registry_changed = self._registry_changed, trio.Event()
            ev.set()
        peers = []
        names = [link.peer for link in adv.links] or self._probe_ring(adv.name)
        for name in names:
            e = self.registry.get(name)
            if e is not None:
                peers.append({"name": e.advert.name, "peer_id": e.advert.node_id, "addrs": list(e.advert.addrs)})
        return {"ok": True, "accepted": changed, "seq": adv.seq, "peers": peers, "default_link": self.default_link,
                "ttl_s": self.settings.intervals.ttl_s}, None

    #: neighbours a node without declared links probes for RTT (FR-008): the next names in a ring
    PROBE_RING = 2

    def _probe_ring(self, name: str) -> list[str]:
        names = sorted(e.name for e in self.registry.entries())
        if name not in names or len(names) < 2:
            return []
        i = names.index(name)
        return [names[(i + k) % len(names)] for k in range(1, min(self.PROBE_RING, len(names) - 1) + 1)]

    def _record_quality(self, adv: Advertisement, now: float) -> None:
        row = {"ts": now, "node": adv.name, "fidelity_1q": adv.fidelity_1q, "fidelity_2q": adv.fidelity_2q,
               "fidelity_readout": adv.fidelity_readout, "available": adv.available, "degraded": adv.degraded,
               "queue_depth": adv.queue_depth}
        self.quality.append(dict(row, kind="node", at=now))
        self.writer.insert("quality_snapshots", row)
        self.writer.insert("advertisements", {"node_id": adv.node_id, "name": adv.name, "seq": adv.seq,
                                              "received_at": now, "valid": True, "reason": None,
                                              "record": json.dumps(adv.to_json())})
        self.writer.upsert("registry_cache", {"node_id": adv.node_id, "name": adv.name,
                                              "record": json.dumps(adv.to_json()), "last_seen": now,
                                              "stale": False}, key=("node_id",))
        for link in adv.links:
            rtt = link.rtt_ms
            if rtt is not None:
                self.registry.record_rtt(adv.name, link.peer, rtt, now)
                self.quality.append({"at": now, "kind": "link", "a": adv.name, "b": link.peer,
                                     "rtt_ms": rtt, "fidelity": link.fidelity})
                self.writer.insert("link_quality", {"ts": now, "a": adv.name, "b": link.peer,
                                                    "rtt_ms": rtt, "fidelity": link.fidelity})
        self.metrics.node_fidelity.set(adv.fidelity_2q, node=adv.name, kind="2q")
        self.metrics.node_fidelity.set(adv.fidelity_1q, node=adv.name, kind="1q")
        self.metrics.node_available.set(1.0 if adv.available else 0.0, node=adv.name)

    async def _on_probe(self, header: dict, payload: bytes | None, peer_id: str):
        return {"ok": True, "node": self.name, "time": time.time()}, None

    async def _on_control(self, header: dict, payload: bytes | None, peer_id: str):
        """Client commands for cross-process use: ``submit``, ``status``, ``result``, ``jobs``."""
        cmd = header.get("command")
        if cmd == "submit":
            from .circuits import load
            from .runtime.submission import make_spec
            opts = header.get("options") or {}
            source = header.get("source")
            if not isinstance(source, str):
                raise QnbError("submit needs a 'source' string (OpenQASM 2 or 3)", field="source")
            circuit = await trio.to_thread.run_sync(load, source)
            spec = make_spec(circuit, self.settings, default_seed=self.settings.mesh.seed or 0,
                             noiseless=self.settings.mesh.noiseless,
                             **{k: v for k, v in opts.items() if k in (
                                 "shots", "min_fidelity", "seed", "name", "parameters", "noisy",
                                 "idempotency_key", "mode")})
            return {"ok": True, "job_id": await self.submit(spec, circuit)}, None
        if cmd in ("status", "result"):
            rec = self.jobs.get(str(header.get("job_id")))
            if rec is None:
                raise UnknownJobError(f"unknown job id {header.get('job_id')!r}", job_id=header.get("job_id"))
            snap = rec.published
            body = {"ok": True, "job_id": rec.spec.job_id, "state": snap.state.value,
                    "fragments_done": snap.fragments_done, "fragments_total": snap.fragments_total,
                    "run": rec.run, "resumed": rec.resumed}
            if cmd == "result" and rec.result is not None and snap.state in TERMINAL_STATES:
                body["result"] = rec.result.to_json()
            return body, None
        if cmd == "nodes":
            return {"ok": True, "nodes": self.registry_rows()}, None
        if cmd == "health":
            return {"ok": True, "health": (await self.health()).to_json()}, None
        if cmd == "jobs":
            return {"ok": True, "jobs": [{"job_id": r.spec.job_id, "name": r.spec.name,
                                          "state": r.published.state.value, "run": r.run, "resumed": r.resumed}
                                         for r in self.jobs.values()]}, None
        raise QnbError(f"unknown coordinator command {cmd!r}; expected submit, status, result or jobs",
                       code="bad_command")

    async def _housekeeping(self) -> None:
        """Expire registry entries past TTL and sample metrics into the store."""
        last_sample = 0.0
        while True:
            await trio.sleep(min(0.5, self.settings.intervals.ttl_s / 3))
            now = time.time()
            if self.registry.expire(now):
                ev, self._registry_changed = self._registry_changed, trio.Event()
                ev.set()
            self.metrics.queue_depth.set(self.queue_depth)
            if now - last_sample >= self.settings.intervals.metrics_sample_s:
                last_sample = now
                for row in self.metrics.snapshot():
                    self.writer.insert("metrics_samples", {"ts": now, "name": row["name"],
                                                           "labels": json.dumps(row.get("labels", {})),
                                                           "value": row["value"]})

    # ======================================================= registry views
    def snapshot_topology(self) -> Topology:
        """The planner's view (FR-008): fresh, available nodes; links from adverts or defaults."""
        topo = self.registry.snapshot(time.time())
        names = [n.id for n in topo.nodes]
        have = {(l.a, l.b) for l in topo.links}
        extra = []
        for i, a in enumerate(sorted(names)):
            for b in sorted(names)[i + 1:]:
                if (a, b) not in have and not self._static_has_links(a, b):
                    extra.append(LinkSpec(a, b, **self.default_link))  # implicit link: the default model
        return Topology(topo.name, topo.nodes, topo.links + tuple(extra)) if extra else topo

    def _static_has_links(self, a: str, b: str) -> bool:
        st = self.static_topology
        if st is None or a not in st.by_id or b not in st.by_id:
            return False
        # a topology that lists its links means what it says: a missing pair has no direct link
        return bool(st.links) and "default_link" not in st.meta

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
        return list(self.quality)

    # ================================================================ jobs
    @property
    def queue_depth(self) -> int:
        return sum(1 for r in self.jobs.values() if r.snapshot.state is JobState.QUEUED)

    async def submit(self, spec: JobSpec, circuit=None) -> str:
        """Accept a job: persist it (before returning its id) and enqueue it."""
        if spec.idempotency_key:
            for rec in self.jobs.values():
                if rec.spec.idempotency_key == spec.idempotency_key:
                    return rec.spec.job_id
        self.writer.insert("jobs", {
            "job_id": spec.job_id, "name": spec.name, "state": "QUEUED", "submitted_at": spec.submitted_at,
            "updated_at": spec.submitted_at, "finished_at": None, "circuit_source": spec.source,
            "source_format": spec.source_format, "fingerprint": spec.fingerprint, "num_qubits": spec.num_qubits,
            "num_ops": spec.num_ops, "parameters": json.dumps(spec.parameters), "shots": spec.shots,
            "seed": spec.seed, "min_fidelity": spec.min_fidelity,
            "policy": json.dumps({"noisy": spec.noisy, "mode": spec.mode}),
            "idempotency_key": spec.idempotency_key, "run_count": 1, "resumed": False, "error": None})
        await trio.to_thread.run_sync(self.writer.flush, 10.0)   # durable before we answer (FR-010)
        self._enqueue(spec, circuit=circuit)
        self.metrics.jobs_total.inc(state="QUEUED")
        return spec.job_id

    def _enqueue(self, spec: JobSpec, *, run: int = 1, resumed: bool = False, circuit=None) -> JobRecord:
        rec = JobRecord(spec, publish=lambda snap, _id=spec.job_id: self._publish(_id, snap), run=run,
                        resumed=resumed, circuit=circuit)
        self.jobs[spec.job_id] = rec
        self.writer.insert("job_events", {"job_id": spec.job_id, "state": "QUEUED", "ts": time.time(),
                                          "detail": json.dumps({"run": run, "resumed": resumed})})
        self._send.send_nowait(spec.job_id)
        return rec

    def _publish(self, job_id: str, snap: JobSnapshot) -> None:
        rec = self.jobs.get(job_id)
        result = rec.result if rec is not None and snap.state in TERMINAL_STATES else None
        self._publish_cb(snap, result)

    async def _warm_up_registry(self) -> None:
        """Hold job dispatch while a reloaded registry cache is stale: recovered jobs must not be
        planned on an empty view before the nodes re-advertise (bounded by two TTLs)."""
        with trio.move_on_after(2 * self.settings.intervals.ttl_s):
            while any(e.stale for e in self.registry.entries()):
                ev = self._registry_changed
                await ev.wait()
        self._ready.set()

    async def _worker(self) -> None:
        await self._ready.wait()
        async for job_id in self._recv:
            rec = self.jobs.get(job_id)
            if rec is None or rec.snapshot.state is not JobState.QUEUED:
                continue
            with trio.CancelScope() as scope:
                rec.cancel_scope = scope
                with log_context(job_id=job_id, correlation_id=job_id):
                    runner = self.runner if rec.spec.mode == "distributed" else self._central()
                    try:
                        await runner.run(rec)
                    except trio.Cancelled:
                        raise
            if scope.cancelled_caught and not rec.done.is_set():
                # cancelled while queued or between steps
                await self._finish_cancelled(rec)
            rec.cancel_scope = None

    def _central(self) -> JobRunner:
        if self.central_runner is None:
            from .harness.centralized import make_central_runner
            self.central_runner = make_central_runner(self)
        return self.central_runner

    async def _finish_cancelled(self, rec: JobRecord) -> None:
        res = self.runner._terminal(rec, JobState.CANCELLED, None, [], time.perf_counter(), 0.0,
                                    {"type": "cancelled", "message": "job cancelled"})
        await self.runner._conclude(rec, res)

    def cancel(self, job_id: str) -> bool:
        rec = self.jobs.get(job_id)
        if rec is None:
            raise UnknownJobError(f"unknown job id {job_id!r}", job_id=job_id)
        if rec.snapshot.state in TERMINAL_STATES:
            return False
        if rec.cancel_scope is not None:
            rec.cancel_scope.cancel()
        else:
            self._nursery.start_soon(self._finish_cancelled, rec)
        return True

    # ============================================================ recovery
    def _recover(self) -> None:
        """Reload the registry cache (stale) and re-run every unfinished job (FR-010)."""
        try:
            cached = self.store.sql("select record, last_seen from registry_cache").rows
        except Exception:  # noqa: BLE001 - an empty/new store has nothing to recover
            cached = []
        for record, last_seen in cached:
            try:
                adv = Advertisement.from_json(json.loads(record))
            except Exception:  # noqa: BLE001 - a corrupt cache row only costs us that entry
                continue
            self.registry.restore(adv, _epoch(last_seen))   # known, but stale until it re-advertises
        if cached:
            self.writer.update("registry_cache", {"stale": True}, {})
        rows = self.store.sql(
            "select job_id, name, circuit_source, source_format, fingerprint, num_qubits, num_ops, shots, seed, "
            "min_fidelity, parameters, policy, submitted_at, idempotency_key, run_count, state "
            "from jobs where state not in ('COMPLETED', 'FAILED', 'CANCELLED') order by submitted_at").rows
        for r in rows:
            policy = json.loads(r[11] or "{}")
            spec = JobSpec(job_id=r[0], name=r[1], source=r[2], source_format=r[3], fingerprint=r[4],
                           num_qubits=r[5], num_ops=r[6], shots=r[7], seed=r[8], min_fidelity=r[9],
                           parameters=json.loads(r[10] or "{}"), noisy=policy.get("noisy", True),
                           submitted_at=_epoch(r[12]), idempotency_key=r[13], mode=policy.get("mode", "distributed"))
            run = int(r[14] or 1) + 1
            self.writer.update("jobs", {"run_count": run, "resumed": True, "state": "QUEUED",
                                        "updated_at": time.time()}, {"job_id": spec.job_id})
            log.info("recovering job %s (was %s), run %d", spec.job_id, r[15], run)
            self._enqueue(spec, run=run, resumed=True)

    # ============================================================== gateway
    def _peer(self, node: str) -> str:
        try:
            return self.registry.name_to_peer(node)
        except QnbError:
            raise NodeCallError(f"node {node} is not in the registry", "transport", node) from None

    async def _call(self, node: str, protocol, header: dict, payload: bytes | None, timeout: float):
        pid = self._peer(node)
        try:
            out = await rpc.call(self.host, pid, protocol, header, payload, timeout=timeout,
                                 max_frame=self.settings.limits.max_frame_bytes)
            self.registry.touch(pid, time.time())   # an answer is a heartbeat too
            return out
        except rpc.RpcTimeout as e:
            raise NodeCallError(f"{node}: timed out after {timeout} s", "timeout", node) from e
        except rpc.RpcRemoteError as e:
            raise NodeCallError(f"{node}: {e.code}: {e.message}", "remote_error", node, e.code) from e
        except rpc.RpcError as e:
            raise NodeCallError(f"{node}: {e}", "transport", node) from e

    async def reserve(self, node: str, request: dict, timeout: float) -> dict:
        header = dict(request, type="reserve")
        resp, _ = await self._call(node, RESERVE, header, None, timeout)
        return resp

    async def cancel_reservation(self, node: str, reservation_id: str, timeout: float) -> None:
        resp, _ = await self._call(node, RESERVE, {"type": "reserve", "operation": "cancel",
                                                   "reservation_id": reservation_id}, None, timeout)
        self.record_book_events(node, resp.get("events") or [])

    def node_alive(self, node: str) -> bool:
        """False once the registry knows the node's connection dropped or its adverts expired."""
        e = self.registry.get(node, time.time())
        return e is not None and not (e.disconnected or e.expired)

    async def execute(self, node: str, header: dict, payload: bytes | None, timeout: float):
        resp, out = await self._call(node, EXEC, header, payload, timeout)
        self.record_book_events(node, resp.get("events") or [])
        return resp, out

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

    async def control(self, node: str, command: str, **kw) -> dict:
        resp, _ = await self._call(node, CONTROL, {"type": "control", "command": command, **kw}, None,
                                   self.settings.timeouts.control)
        return resp

    # ============================================================== health
    async def health(self):
        from .observability import HealthReport
        comps: dict[str, dict] = {"coordinator": {"status": "ok", "detail": f"{self.addr}"}}
        try:
            await trio.to_thread.run_sync(lambda: self.store.sql("select 1"))
            comps["store"] = {"status": "ok", "detail": str(getattr(self.store, "path", ""))}
        except Exception as e:  # noqa: BLE001
            comps["store"] = {"status": "down", "detail": str(e)}
        rows = self.registry_rows()
        fresh = [r for r in rows if r["available"] and not r["stale"]]
        comps["registry"] = {"status": "ok" if rows and len(fresh) == len(rows) else ("degraded" if fresh else "down"),
                             "detail": f"{len(fresh)}/{len(rows)} nodes fresh and available"}
        nodes = [{"name": r["name"], "status": "ok" if r["available"] and not r["degraded"] else
                  ("degraded" if r["available"] else "down"), "age_s": r["age_s"], "fidelity_2q": r["fidelity_2q"]}
                 for r in rows]
        statuses = [c["status"] for c in comps.values()]
        overall = "down" if comps["coordinator"]["status"] == "down" or comps["store"]["status"] == "down" else (
            "ok" if all(s == "ok" for s in statuses) else "degraded")
        return HealthReport(status=overall, components=comps, nodes=nodes)


class _StoreHooks(RunnerHooks):
    """Writes every runner fact to DuckDB, metrics and the audit chain (GOV-5 seam)."""

    def __init__(self, coord: Coordinator) -> None:
        self.c = coord
        self._seq: dict[tuple[str, int], int] = {}   # plan revision per (job, run)

    def _w(self):
        return self.c.writer

    def state(self, rec: JobRecord) -> None:
        s = rec.snapshot
        now = time.time()
        self._w().insert("job_events", {"job_id": s.job_id, "state": s.state.value, "ts": now,
                                        "detail": json.dumps({"run": rec.run, "error": s.error})})
        upd = {"state": s.state.value, "updated_at": now}
        if s.state in TERMINAL_STATES:
            upd["finished_at"] = now
            upd["error"] = json.dumps(s.error) if s.error else None
            self.c.metrics.jobs_total.inc(state=s.state.value)
            if s.state is JobState.FAILED and s.error:
                self.c.metrics.failures_total.inc(reason=str(s.error.get("type")))
        self._w().update("jobs", upd, {"job_id": s.job_id})

    def plan(self, rec: JobRecord, plan: Plan, compile_ms: float) -> None:
        key = (rec.spec.job_id, rec.run)
        revision = self._seq[key] = self._seq.get(key, -1) + 1
        self._w().insert("plans", {"job_id": rec.spec.job_id, "run": rec.run, "revision": revision,
                                   "plan_hash": plan.plan_hash,
                                   "plan": json.dumps(plan.to_json()), "compile_ms": compile_ms,
                                   "estimated_fidelity": plan.estimated_fidelity, "ebits": plan.ebits,
                                   "created_at": time.time()})
        self.c.writer.append_audit("plan", rec.spec.job_id, {"plan_hash": plan.plan_hash, "run": rec.run})

    def attempt(self, rec: JobRecord, a: Attempt) -> None:
        self._w().insert("attempts", {"job_id": rec.spec.job_id, "run": rec.run, "fragment_id": a.fragment_id,
                                      "attempt": a.attempt, "node": a.node, "started_at": a.start,
                                      "finished_at": a.end, "status": a.status,
                                      "error": json.dumps({"message": a.error}) if a.error else None, "sim_ms": a.sim_ms,
                                      "overhead_ms": a.overhead_ms, "wall_ms": (a.end - a.start) * 1000,
                                      "correlation_id": a.correlation_id})
        m = self.c.metrics
        m.fragment_latency_seconds.observe((a.end - a.start))
        if a.status == "ok":
            m.fragment_overhead_seconds.observe(a.overhead_ms / 1000)
        elif a.attempt < self.c.runner.options.backoff.max_attempts:
            m.retries_total.inc(node=a.node)

    def reservation(self, rec: JobRecord, node: str, response: dict, request: dict) -> None:
        self.c.record_book_events(node, response.get("events") or [])

    def event(self, rec: JobRecord, kind: str, data: dict) -> None:
        if kind == "fallback":
            self.c.metrics.fallbacks_total.inc()
        self.c.writer.append_audit(kind, rec.spec.job_id, data)

    async def commit(self, rec: JobRecord) -> None:
        await trio.to_thread.run_sync(self.c.writer.flush, 30.0)

    def result(self, rec: JobRecord, r: JobResult) -> None:
        self._w().upsert("results", {
            "job_id": r.job_id, "run": r.run, "status": r.status, "counts": json.dumps(r.counts), "shots": r.shots,
            "estimated_fidelity": r.estimated_fidelity, "measured_fidelity": r.measured_fidelity,
            "state_fidelity": r.state_fidelity, "ebits": r.ebits, "remote_gates": r.remote_gates,
            "wall_ms": r.wall_ms, "mode": r.mode, "resumed": r.resumed,
            "timeline": json.dumps([f.to_json() for f in r.fragments]), "created_at": time.time()},
            key=("job_id",))
        for f in r.fragments:
            self._w().insert("fragments", {"job_id": r.job_id, "run": r.run, "fragment_id": f.fragment_id,
                                           "node": f.node, "kind": f.kind, "ops": f.ops, "qubits": "[]",
                                           "status": f.status, "started_at": f.start, "finished_at": f.end})
        self.c.metrics.job_latency_seconds.observe(r.wall_ms / 1000)
        self.c.writer.append_audit("result", r.job_id, {"status": r.status, "run": r.run,
                                                        "counts_sha": _sha(json.dumps(r.counts, sort_keys=True))})


def _epoch(value) -> float:
    """Store TIMESTAMPs are naive UTC datetimes; the runtime uses epoch seconds."""
    import datetime as _dt
    if isinstance(value, _dt.datetime):
        return value.replace(tzinfo=_dt.timezone.utc).timestamp()
    return float(value or time.time())


def _sha(text: str) -> str:
    import hashlib
    return hashlib.sha256(text.encode()).hexdigest()
