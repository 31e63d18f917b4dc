"""Advertisement transport: nodes push adverts to the coordinator, which acknowledges them (FR-001).

Why an acknowledged push and not gossipsub: measured in notes/py-libp2p-0.8.1.md 1.1, push gives
100/100 fresh entries at lower CPU, while gossipsub in a star topology logged tens of thousands of
warnings and drops messages silently under several limits (3.11). The node learns from the ack
(or the error frame) whether its record was accepted.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Awaitable, Callable

import trio
from libp2p.abc import IHost, INotifee

from .advert import Advertisement
from .host import add_peer_addrs, connect, to_peer_id, unblock
from .protocols import ADVERT
from .registry import Registry
from .rpc import call, serve

__all__ = ["serve_adverts", "learn_peer", "push_advert", "advertise_forever", "Poke", "watch_disconnects"]

log = logging.getLogger("qnb.mesh.announce")


def serve_adverts(host: IHost, registry: Registry, *, clock: Callable[[], float] = time.time,
                  on_advert: Callable[[dict, bool, str], Any] | None = None) -> None:
    """Coordinator side: validate incoming adverts into ``registry`` and acknowledge them.

    The record's ``node_id`` must be the authenticated sender. Accepted adverts also refresh the
    peerstore with the node's addresses and clear the dial-failure cache for it (WORKAROUND 3.10),
    so the coordinator can reach a restarted node at once. ``on_advert(record, accepted, peer)``
    is called after each valid advert (e.g. to persist it).
    """

    async def handler(header: dict, payload: bytes | None, peer: str) -> tuple[dict, bytes | None]:
        record = header["advert"]
        accepted = registry.ingest(record, clock(), peer_id=peer)
        if accepted:
            learn_peer(host, peer, record["addrs"])
        if on_advert is not None:
            on_advert(record, accepted, peer)
        return {"accepted": accepted, "reason": None if accepted else "not newer than the advert held (epoch, seq)",
                "registry_version": registry.version, "ttl_s": registry.ttl_s}, None

    serve(host, ADVERT, handler)


def learn_peer(host: IHost, peer: str, addrs: "list[str] | tuple[str, ...]") -> None:
    """After an accepted advert: make the (re)started node dialable at once by refreshing its
    addresses and clearing py-libp2p's 60 s negative dial cache for it (WORKAROUND 3.10)."""
    unblock(host, peer)
    for addr in addrs:
        full = addr if "/p2p/" in addr else f"{addr}/p2p/{peer}"
        try:
            add_peer_addrs(host, full)
        except Exception as e:  # an undialable address is the node's problem, not a reason to refuse
            log.debug("advert from %s: ignoring address %s: %s", peer, addr, e)


async def push_advert(host: IHost, coordinator: str, advert: Advertisement, *, timeout: float = 2.0,
                      correlation_id: str | None = None) -> dict:
    """Node side: send one advert and return the coordinator's ack (raises ``RpcError``)."""
    header: dict[str, Any] = {"advert": advert.to_json()}
    if correlation_id:
        header["correlation_id"] = correlation_id
    resp, _ = await call(host, coordinator, ADVERT, header, timeout=timeout)
    return resp


class Poke:
    """Wakes :func:`advertise_forever` early (e.g. after a fidelity change); safe to set repeatedly."""

    def __init__(self) -> None:
        self._event = trio.Event()

    def set(self) -> None:
        self._event.set()

    async def wait(self, timeout: float) -> None:
        with trio.move_on_after(timeout):
            await self._event.wait()
        self._event = trio.Event()


async def advertise_forever(host: IHost, coordinator_addr: str, make_advert: Callable[[], Advertisement], *,
                            interval_s: float = 1.0, timeout: float = 2.0, poke: Poke | None = None,
                            on_ack: Callable[[dict | None, Exception | None], Any] | None = None,
                            task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
    """Node side: (re)connect to the coordinator and push ``make_advert()`` every ``interval_s``.

    ``make_advert`` must return a newer advert each time (see ``Advertisement.next``).
    ``poke.set()`` sends at once, so changes arrive well within the refresh interval (FR-001).
    Errors are logged and retried on the next tick; the loop ends only when cancelled. With
    ``nursery.start`` it reports started after the first attempt, whatever its outcome.
    """
    coordinator = to_peer_id(coordinator_addr.rsplit("/p2p/", 1)[-1])
    started = False
    poke = poke or Poke()
    while True:
        ack: dict | None = None
        err: Exception | None = None
        try:
            if not host.get_network().connections.get(coordinator):
                await connect(host, coordinator_addr, timeout=timeout)  # also clears the dial cache (3.10)
            ack = await push_advert(host, coordinator.to_base58(), make_advert(), timeout=timeout)
        except Exception as e:  # RpcError, ProtocolError, a bug in make_advert: keep advertising
            err = e
            log.info("advert to %s failed: %s", coordinator, e)
        if on_ack is not None:
            on_ack(ack, err)
        if not started:
            started = True
            task_status.started()
        await poke.wait(interval_s)


class _DisconnectWatcher(INotifee):
    def __init__(self, registry: Registry, callback: Callable[[str], Awaitable[None] | None] | None) -> None:
        self.registry = registry
        self.callback = callback

    async def disconnected(self, network: Any, conn: Any) -> None:
        peer = conn.muxed_conn.peer_id.to_base58()
        # With max_connections_per_peer=1 this was the only connection to the peer.
        if self.registry.mark_disconnected(peer):
            log.info("node %s disconnected", peer)
        if self.callback is not None:
            res = self.callback(peer)
            if res is not None:
                await res

    async def opened_stream(self, network: Any, stream: Any) -> None:
        pass

    async def closed_stream(self, network: Any, stream: Any) -> None:
        pass

    async def connected(self, network: Any, conn: Any) -> None:
        pass

    async def listen(self, network: Any, multiaddr: Any) -> None:
        pass

    async def listen_close(self, network: Any, multiaddr: Any) -> None:
        pass


def watch_disconnects(host: IHost, registry: Registry,
                      callback: Callable[[str], Awaitable[None] | None] | None = None) -> INotifee:
    """Mark registry entries unavailable as soon as their connection drops (faster than the TTL).

    Returns the notifee (pass it to ``host.get_network().remove_notifee`` to stop watching).
    """
    notifee = _DisconnectWatcher(registry, callback)
    host.get_network().register_notifee(notifee)
    return notifee
