"""A service node: one real py-libp2p host simulating a QPU module (FR-001, FR-005, FR-006, FR-008).

It advertises its capabilities to every coordinator it knows (acknowledged push on ``ADVERT`` at
``intervals.advertise_s`` and at once when a fault changes its fidelity or availability), keeps an
event-sourced reservation book, executes fragments on qiskit-aer off the event loop, answers
quality probes and measures the round-trip time of its links.

Faults are real: ``drop()`` stops the host (its TCP listener closes, peers see EOF), ``restore()``
starts it again with the same identity and port; a latency spike really delays every response
frame; fidelity degradation changes the noise model the node executes with.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import replace
from typing import Any, Callable

import multiaddr
import trio

from .config import Settings
from .errors import ProtocolError, QnbError
from .mesh import rpc
from .mesh.access import AccessPolicy, RateLimiter, role_token
from .mesh.advert import Advertisement, LinkAdvert
from .mesh.host import close_network, full_addr, make_host, peer_id_str
from .mesh.protocols import ADVERT, CONTROL, EXEC, PROBE, RESERVE
from .mesh.vocabulary import NODE_COMMANDS
from .quantum.executor import execute_ops
from .quantum.limits import StateLimits
from .quantum.noise import NoiseParams
from .quantum.state import QuantumState
from .quantum.wire_ops import decode_ops
from .reservations import ReservationBook
from .topology import LinkSpec, NodeSpec, degrade

# py-libp2p waits 10 s (its default) for a multistream answer; a peer that is shutting down keeps
# its TCP connection long enough for a new stream to hang that long. 5 s still lets the runtime
# fall back promptly and survives 100 nodes connecting at once on 2 busy cores (identify runs
# on every new connection and timed out at 2 s there) (see docs/libp2p.md, "in-flight dial to a stopping host").
NEGOTIATE_TIMEOUT_S = 5.0

__all__ = ["NodeService", "run_fragment"]

log = logging.getLogger("qnb.node")


class NodeService:
    def __init__(self, spec: NodeSpec, settings: Settings, *, coordinator: str | None = None,
                 noisy: bool = True, links: list[LinkSpec] | tuple = (), listen: str | None = None,
                 key_seed: bytes | None = None, bootstrap: list[str] | None = None,
                 health: Any = "default", admission_key: str | None = None) -> None:
        self.base_spec = spec
        self.spec = spec
        self.settings = settings
        self.noisy = noisy
        self.links = {(l.b if l.a == spec.id else l.a): l for l in links}
        self.declared_links = bool(self.links)
        self.listen = listen or f"/ip4/{settings.mesh.listen_host}/tcp/0"
        self.key_seed = key_seed or os.urandom(32)
        self.book = ReservationBook(spec.id, default_ttl_s=settings.intervals.reservation_hold_s)
        self.coordinator_addrs: list[str] = ([coordinator] if coordinator else []) + list(bootstrap or [])
        self.coordinators: dict[str, list[str]] = {}     # peer id -> addrs
        #: who may call what on this node (FR-014): the coordinators it was started with are its
        #: coordinators and operators; see qnb.mesh.access for the other ways in
        self.access = AccessPolicy.from_settings(settings, name=f"node {spec.id}")
        if admission_key is not None:
            self.access.admission_key = admission_key
        for a in self.coordinator_addrs:
            pid = a.rsplit("/p2p/", 1)[-1] if "/p2p/" in a else None
            if pid:
                self.access.grant("coordinator", pid)
                self.access.grant("operator", pid)
        #: a node told whom to serve (started with coordinators, or an allow-list) takes no others
        #: without a token; otherwise any peer may become a coordinator by saying hello
        self.coordinators_fixed = bool(self.access.holders("coordinator"))
        self.limiter = RateLimiter(settings.security.rate_per_s, settings.security.rate_burst)
        self.peers: dict[str, str] = {}                  # node name -> peer id (from advert acks)
        self.link_rtt: dict[str, float] = {}
        self.latency_ms = 0.0
        self.link_latency_ms: dict[str, float] = {}
        self.queue_depth = 0
        self.executed = 0
        self.seq = 0
        self.host = None
        self.peer_id: str | None = None
        self.addr: str | None = None
        self.dropped = False
        self._changed = trio.Event()
        self._drop = trio.Event()
        self._restore = trio.Event()
        self._port: int | None = None
        self._reported_seq = 0    # book events already shipped to the coordinator
        #: connection health monitor: on for a node in its own process (a frozen process must be
        #: cut off); None in the embedded mesh, where hosts share one loop and cannot freeze apart
        self.health_monitor = health

    # ================================================================ life
    async def run(self, task_status=trio.TASK_STATUS_IGNORED) -> None:
        """Run until cancelled; survives drop/restore cycles with the same identity and port."""
        first = True
        while True:
            if self.dropped:
                await self._restore.wait()
                self._restore = trio.Event()
            self._drop = trio.Event()
            listen = self.listen if self._port is None else self.listen.rsplit("/", 1)[0] + f"/{self._port}"
            kw = {} if self.health_monitor == "default" else {"health": self.health_monitor}
            host = make_host(key_seed=self.key_seed, psk=self.settings.mesh.psk,
                             security=self.settings.mesh.security,
                             negotiate_timeout_s=NEGOTIATE_TIMEOUT_S, **kw)
            self.host = host
            async with host.run([multiaddr.Multiaddr(listen)]):
                self.peer_id = peer_id_str(host)
                self.addr = full_addr(host)
                self._port = int(self.addr.split("/tcp/")[1].split("/")[0])
                lim = self.settings.limits.max_frame_bytes
                rl = self.limiter
                rpc.serve(host, RESERVE, self._on_reserve, max_frame=lim, limiter=rl)
                rpc.serve(host, EXEC, self._on_exec, max_frame=lim, limiter=rl)
                rpc.serve(host, PROBE, self._on_probe, max_frame=lim, limiter=rl)
                rpc.serve(host, CONTROL, self._on_control, max_frame=lim, limiter=rl)
                async with trio.open_nursery() as n:
                    for a in self.coordinator_addrs:
                        n.start_soon(self._connect_coordinator, a)
                    n.start_soon(self._advertise_loop)
                    n.start_soon(self._probe_loop)
                    n.start_soon(self._expire_loop)
                    if first:
                        task_status.started(self)
                        first = False
                    await self._drop.wait()
                    n.cancel_scope.cancel()
                # leaving host.run() alone keeps dialed connections and the listener open, so
                # peers would still see a dropped node as connected (docs/libp2p.md)
                with trio.CancelScope(shield=True):
                    await close_network(host)
            self.host = None

    # ============================================================== faults
    def drop(self) -> None:
        """Really stop the host (node drop fault)."""
        if not self.dropped:
            self.dropped = True
            self._drop.set()

    def restore(self) -> None:
        if self.dropped:
            self.dropped = False
            self._restore.set()
        self.spec = replace(self.base_spec, available=True)
        self.latency_ms = 0.0
        self.link_latency_ms.clear()
        self.changed()

    def set_latency(self, ms: float) -> None:
        self.latency_ms = max(0.0, float(ms))
        self.changed()

    def set_link_latency(self, peer: str, ms: float) -> None:
        self.link_latency_ms[peer] = max(0.0, float(ms))
        self.changed()

    def degrade(self, factor: float | None = None, *, fidelity_2q: float | None = None) -> None:
        """Fidelity degradation: error rates times ``factor``, or an absolute 2-qubit fidelity."""
        if fidelity_2q is not None:
            self.spec = replace(self.spec, fidelity_2q=float(fidelity_2q))
        elif factor is not None:
            self.spec = degrade(self.spec, float(factor))
        self.changed()

    def set_available(self, available: bool) -> None:
        self.spec = replace(self.spec, available=bool(available))
        self.changed()

    def changed(self) -> None:
        """Re-advertise at once (FR-001: changes are pushed, not waited for)."""
        self._changed.set()

    # ============================================================ adverts
    def advertisement(self) -> Advertisement:
        self.seq += 1
        links = [LinkAdvert(peer=peer, latency_ms=l.latency_ms + self.link_latency_ms.get(peer, 0.0),
                            fidelity=l.fidelity, ebit_rate_hz=l.ebit_rate_hz,
                            rtt_ms=round(self.link_rtt[peer], 4) if peer in self.link_rtt else None)
                 for peer, l in sorted(self.links.items())]
        return Advertisement.from_node_spec(
            self.spec, self.peer_id, seq=self.seq, addrs=(self.addr,), links=links, queue_depth=self.queue_depth,
            degraded=self.spec.fidelity_2q < self.settings.thresholds.degraded_fidelity_2q)

    async def _connect_coordinator(self, addr: str) -> None:
        """Dial a coordinator and keep dialing until it answers (own reconnect loop, notes 1.2)."""
        from .mesh.host import connect
        pid = addr.rsplit("/p2p/", 1)[-1]
        delay = 0.05
        while True:
            try:
                await connect(self.host, addr, timeout=self.settings.timeouts.connect)
                self.coordinators[pid] = [addr]
                self.changed()
                return
            except Exception as e:  # noqa: BLE001 - keep trying; the coordinator may start later
                log.debug("node %s: coordinator %s not reachable yet: %s", self.spec.id, addr, e)
                await trio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def _advertise_loop(self) -> None:
        interval = self.settings.intervals.advertise_s
        while True:
            with trio.move_on_after(interval):
                await self._changed.wait()
            self._changed = trio.Event()
            if self.coordinators:
                advert = self.advertisement().to_json()
                async with trio.open_nursery() as n:
                    for pid in list(self.coordinators):
                        n.start_soon(self._push_advert, pid, advert)

    async def _push_advert(self, pid: str, advert: dict) -> None:
        try:
            req = {"type": "advert", "advert": advert}
            if self.access.admission_key:
                req["token"] = role_token(self.access.admission_key, "node", self.peer_id)
            ack, _ = await rpc.call(self.host, pid, ADVERT, req, timeout=self.settings.timeouts.advert)
        except rpc.RpcError as e:
            log.debug("node %s: advert to %s failed: %s", self.spec.id, pid[:12], e)
            return
        default_link = ack.get("default_link")
        for p in ack.get("peers", []):
            if p.get("name") and p.get("peer_id"):
                self.peers[p["name"]] = p["peer_id"]
                if not self.declared_links and isinstance(default_link, dict) and p["name"] != self.spec.id:
                    # implicit links: probe the ring neighbours the coordinator named, report RTT
                    try:
                        self.links.setdefault(p["name"], LinkSpec(self.spec.id, p["name"], **default_link))
                    except (TypeError, QnbError):
                        pass
                if p.get("addrs") and p["peer_id"] != self.peer_id:
                    try:
                        from libp2p.peer.id import ID
                        self.host.get_peerstore().add_addrs(
                            ID.from_base58(p["peer_id"]), [multiaddr.Multiaddr(a) for a in p["addrs"]], 3600)
                    except Exception:  # noqa: BLE001 - a bad address only costs us that probe
                        pass

    #: link RTT probes per probe interval: round-robin over the linked peers, so an all-to-all
    #: 100-node mesh does not send 100 x 99 probes every interval
    PROBES_PER_ROUND = 3

    async def _probe_loop(self) -> None:
        """Measure RTT to linked peers, a few per round (link quality, FR-008)."""
        turn = 0
        # first round after a seeded random delay of up to 3 intervals: a mesh that starts 100 nodes
        # at once would otherwise open ~200 node-to-node connections while the first adverts are
        # still queued (measured: registry complete in 7 s without probes, 15-25 s with them)
        import random
        await trio.sleep(self.settings.intervals.probe_s * (1 + 2 * random.Random(self.spec.id).random()))
        while True:
            await trio.sleep(self.settings.intervals.probe_s)
            names = [n for n in sorted(self.links) if n in self.peers]
            for k in range(min(self.PROBES_PER_ROUND, len(names))):
                name = names[(turn + k) % len(names)]
                t = time.perf_counter()
                try:
                    await rpc.call(self.host, self.peers[name], PROBE, {"type": "probe"},
                                   timeout=self.settings.timeouts.probe)
                    self.link_rtt[name] = (time.perf_counter() - t) * 1000
                except rpc.RpcError:
                    self.link_rtt.pop(name, None)
            turn += self.PROBES_PER_ROUND

    async def _expire_loop(self) -> None:
        while True:
            await trio.sleep(1.0)
            self.book.expire(time.time())

    # =========================================================== handlers
    async def _delay(self, peers: list[str] | tuple = ()) -> None:
        extra = self.latency_ms + max((self.link_latency_ms.get(p, 0.0) for p in peers), default=0.0)
        if extra > 0:
            await trio.sleep(extra / 1000)

    async def _on_probe(self, header: dict, payload: bytes | None, peer_id: str):
        await self._delay()
        s = self.spec
        return {"ok": True, "node": s.id, "available": s.available, "fidelity_1q": s.fidelity_1q,
                "fidelity_2q": s.fidelity_2q, "fidelity_readout": s.fidelity_readout,
                "queue_depth": self.queue_depth, "time": time.time()}, None

    def _book_events(self) -> list[dict]:
        """Reservation-book events not yet shipped: the coordinator persists the node's real log."""
        new = self.book.events_since(self._reported_seq)
        if new:
            self._reported_seq = new[-1].seq
        return [e.to_json() for e in new]

    async def _on_reserve(self, header: dict, payload: bytes | None, peer_id: str):
        self.access.require("coordinator", peer_id, "reserve")
        await self._delay()
        op = header.get("operation", "reserve")
        now = time.time()
        if op == "reserve":
            self._check_window(header, now)
        if op == "cancel":
            self.book.cancel(header["reservation_id"], now)
            return {"ok": True, "operation": op, "accepted": True, "reservation_id": header["reservation_id"],
                    "events": self._book_events()}, None
        if op == "status":
            return {"ok": True, "operation": op, "accepted": True, "book": self.book.snapshot()}, None
        if not self.spec.available:
            return {"ok": True, "operation": op, "accepted": False, "reason": "unavailable", "next_window": None}, None
        d = self.book.reserve(operation="exec", start=float(header["window_start"]), end=float(header["window_end"]),
                              min_fidelity=header.get("min_fidelity"), current_fidelity=self.spec.fidelity_2q,
                              correlation={"job_id": header.get("job_id"),
                                           "correlation_id": header.get("correlation_id")},
                              now=now, ttl_s=header.get("hold_s"))
        return {"ok": True, "operation": op, "accepted": d.accepted, "reservation_id": d.reservation_id,
                "reason": d.reason, "next_window": list(d.next_window) if d.next_window else None,
                "events": self._book_events()}, None

    async def _on_exec(self, header: dict, payload: bytes | None, peer_id: str):
        self.access.require("coordinator", peer_id, "exec")
        t0 = time.perf_counter()
        if not self.spec.available:
            raise QnbError(f"node {self.spec.id} is unavailable", code="unavailable")
        rid = header.get("reservation_id")
        if rid:
            try:
                self.book.claim(rid, time.time())
            except Exception:  # noqa: BLE001 - an expired hold does not block execution
                pass
        self.queue_depth += 1
        try:
            await self._delay(header.get("peers", ()))
            lim = self.settings.limits
            limits = StateLimits(lim.statevector_max_qubits, lim.density_matrix_max_qubits)
            out_desc, out, sim_ms, num_ops = await trio.to_thread.run_sync(
                run_fragment, self.spec, header, payload, limits)
        finally:
            self.queue_depth -= 1
            if rid:
                try:
                    self.book.release(rid, time.time())
                except Exception:  # noqa: BLE001
                    pass
        self.executed += 1
        return {"ok": True, "state": out_desc, "sim_ms": sim_ms, "node": self.spec.id, "num_ops": num_ops,
                "elapsed_ms": (time.perf_counter() - t0) * 1000, "events": self._book_events()}, out

    async def _on_control(self, header: dict, payload: bytes | None, peer_id: str):
        """Node-control commands (``qnb.mesh.vocabulary.NODE_COMMANDS``), one handler each."""
        cmd = header.get("command")
        handler = self._control_handlers().get(cmd)
        if handler is None:
            raise ProtocolError(f"unknown node command {cmd!r}; expected one of {', '.join(NODE_COMMANDS)}",
                                code="bad_command")
        if cmd != "hello":
            self.access.require("operator", peer_id, f"node command {cmd!r}")
        extra = handler(header, peer_id) or {}
        return {"ok": True, "command": cmd, "name": self.spec.id, **extra}, None

    def _control_handlers(self) -> dict[str, Callable[[dict, str], dict | None]]:
        return {
            "hello": self._hello,
            "latency": lambda h, _p: self.set_latency(float(h.get("ms", 0))),
            "link_latency": self._link_latency_command,
            "fidelity": lambda h, _p: self.degrade(h.get("factor"), fidelity_2q=h.get("fidelity_2q")),
            "available": lambda h, _p: self.set_available(bool(h.get("available", True))),
            "restore": lambda h, _p: self.restore(),
            "drop": self._drop_command,
        }

    def _hello(self, header: dict, peer_id: str) -> None:
        """A coordinator introduces itself; the node starts advertising to it (FR-001).

        Without an admission key (or a coordinator allow-list) any peer may be a coordinator,
        and the first one becomes the operator of a node that was started without a
        coordinator (trust on first use); with one, ``token`` must prove the role."""
        acc = self.access
        if not acc.has("coordinator", peer_id):
            gated = bool(acc.admission_key) or self.coordinators_fixed
            if not acc.present("coordinator", peer_id, header.get("token")):
                if gated:
                    acc.require("coordinator", peer_id, "hello")
                acc.grant("coordinator", peer_id)
        if not acc.present("operator", peer_id, header.get("operator_token")):
            if not acc.holders("operator") and not acc.admission_key:
                acc.grant("operator", peer_id)       # first contact of an unclaimed node
        self.coordinators[peer_id] = header.get("addrs") or []
        self.changed()

    def _link_latency_command(self, header: dict, peer_id: str) -> None:
        if not isinstance(header.get("peer"), str):
            raise ProtocolError("link_latency needs 'peer', the name of the other end of the link", code="schema",
                                field="peer")
        self.set_link_latency(header["peer"], float(header.get("ms", 0)))

    def _check_window(self, header: dict, now: float) -> None:
        """Bound what one reservation may hold (``[limits]``): length, hold time, how far ahead."""
        lim = self.settings.limits
        start, end = header.get("window_start"), header.get("window_end")
        if not isinstance(start, (int, float)) or not isinstance(end, (int, float)):
            raise ProtocolError("reserve needs numeric window_start and window_end", code="schema",
                                field="window_start")
        if end - start > lim.max_reservation_s:
            raise ProtocolError(f"reservation window of {end - start:.6g} s exceeds limits.max_reservation_s "
                                f"= {lim.max_reservation_s:g} s", code="reservation_bounds",
                                limit="limits.max_reservation_s")
        if start > now + lim.max_reservation_lead_s or end < now - 60:
            raise ProtocolError(f"reservation window must start within limits.max_reservation_lead_s = "
                                f"{lim.max_reservation_lead_s:g} s of now and not end in the past",
                                code="reservation_bounds", limit="limits.max_reservation_lead_s")
        hold = header.get("hold_s")
        if hold is not None and hold > lim.max_hold_s:
            raise ProtocolError(f"hold_s = {hold:.6g} s exceeds limits.max_hold_s = {lim.max_hold_s:g} s",
                                code="reservation_bounds", limit="limits.max_hold_s")

    def _drop_command(self, header: dict, peer_id: str) -> None:
        back = header.get("return_after_s")
        self.drop()
        if back:
            trio.lowlevel.spawn_system_task(self._return_later, float(back))

    async def _return_later(self, after: float) -> None:
        await trio.sleep(after)
        self.restore()


def run_fragment(spec: NodeSpec, header: dict, payload: bytes | None,
                 limits: StateLimits) -> tuple[dict, bytes | None, float, int]:
    """Execute one EXEC request's operations on qiskit-aer with ``spec``'s noise (FR-005, NFR-007).

    The node's one execution path, also used by :class:`qnb.testing.ScriptedGateway`. Blocking:
    call it in a worker thread. Returns the output state descriptor, its payload, the simulated
    time in ms and the number of operations.
    """
    num_qubits = int(header["num_qubits"])
    ops, link_f = decode_ops(header["ops"], num_qubits)
    desc = header["state"]
    if desc.get("kind") == "none":
        return desc, None, 0.0, len(ops)
    state = QuantumState.decode(desc, payload or b"")
    noise = NoiseParams(spec.fidelity_1q, spec.fidelity_2q, spec.fidelity_readout) if header.get("noise") else None
    new_state, stats = execute_ops(ops, state, noise, link_f or None, limits=limits)
    out_desc, out = new_state.encode()
    return out_desc, out, stats.sim_ms, len(ops)
