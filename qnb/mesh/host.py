"""Creating, running, addressing and dialing py-libp2p hosts with the configuration qnb needs.

Every py-libp2p 0.8.1 workaround that concerns the host lives here, each marked ``WORKAROUND`` with
the section of notes/py-libp2p-0.8.1.md it addresses (summary in docs/libp2p.md):

* security: only Noise (or only TLS); the library default also accepts plaintext and secio (5).
* ``max_connections_per_peer=1`` removes a 250 ms floor on every dial (3.2).
* ``min_connections=0, low_watermark=0``: the auto-connector does not redial everyone (3.14).
* health monitor on, with generous timeouts and no "connection replacement", so a frozen peer is
  cut off instead of looking connected forever (3.9).
* every host runs as its own task (3.15), and tasks bound to a host are cancelled before the host
  exits, because a task blocked on ``stream.read()`` is not woken by the host exiting (4).
* ``unblock_peer`` before dialing: a 60 s negative dial cache blocks restarted nodes (3.10).
* leaving ``host.run()`` leaves dialed connections and the listener open (measured here), so
  :func:`run_host` closes them itself (:func:`close_network`).
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import re
from dataclasses import dataclass
from typing import Any, Sequence

import multiaddr
import trio
from libp2p import create_identity_from_seed, generate_new_ed25519_identity, new_host
from libp2p.abc import IHost
from libp2p.crypto.x25519 import create_new_key_pair as _x25519_key_pair
from libp2p.network.config import ConnectionConfig
from libp2p.peer.id import ID
from libp2p.peer.peerinfo import info_from_p2p_addr
from libp2p.security.noise.transport import PROTOCOL_ID as NOISE_ID, Transport as NoiseTransport
from libp2p.security.tls.transport import PROTOCOL_ID as TLS_ID, TLSTransport

from ..errors import ConfigError, ProtocolError

__all__ = ["HealthSettings", "make_host", "run_host", "open_host", "HostHandle", "peer_id_str", "full_addr",
           "listen_addrs", "connect", "unblock", "close_network", "libp2p_logging", "add_peer_addrs", "to_peer_id",
           "SECURITY_OPTIONS"]

SECURITY_OPTIONS = ("noise", "tls")
_PSK = re.compile(r"[0-9a-fA-F]{64}")


@dataclass(frozen=True)
class HealthSettings:
    """Connection health monitor settings (notes 3.9).

    Defaults are conservative: a peer is disconnected only after a ping got no answer for
    ``ping_timeout_s``. A node whose event loop is blocked that long would lose its connection
    together with in-flight streams, which is why CPU work runs in threads (notes 3.1).
    Each check opens a new stream per connection, on both ends: with 101 hosts in one process the
    monitor costs ~34 % of a core at a 5 s interval and ~7.5 % at 30 s (docs/libp2p.md). Hosts
    that share one process cannot freeze independently, so in-process meshes may pass
    ``health=None``; the advert TTL and RPC timeouts still detect dead nodes.
    """

    enabled: bool = True
    interval_s: float = 30.0
    ping_timeout_s: float = 10.0
    initial_delay_s: float = 30.0

    def apply(self, cfg: dict) -> None:
        if not self.enabled:
            return
        cfg.update(
            enable_health_monitoring=True, health_check_interval=self.interval_s, ping_timeout=self.ping_timeout_s,
            health_initial_delay=self.initial_delay_s, health_warmup_window=0.0,
            abort_connection_on_ping_failure=True,
            # WORKAROUND(3.9): only the abort-on-failed-ping path is wanted. The scoring-based
            # "replacement" dials a second connection per peer, which fights max_connections_per_peer=1.
            min_health_threshold=0.0, critical_health_threshold=0.0, min_ping_success_rate=0.0,
            max_ping_latency=1e9, max_failed_streams=1 << 30,
        )


def _key_pair(key_seed: bytes | None):
    if key_seed is None:
        return generate_new_ed25519_identity()
    if not isinstance(key_seed, (bytes, bytearray)) or not key_seed:
        raise ConfigError("key_seed must be non-empty bytes", key="key_seed", value=type(key_seed).__name__,
                          rule="bytes")
    seed = bytes(key_seed) if len(key_seed) == 32 else hashlib.sha256(b"qnb-peer-key:" + bytes(key_seed)).digest()
    return create_identity_from_seed(seed)


def make_host(*, key_seed: bytes | None = None, psk: str | None = None, security: str = "noise",
              health: HealthSettings | None = HealthSettings(), announce: Sequence[str] | None = None,
              negotiate_timeout_s: float = 10.0, max_connections: int = 1000) -> IHost:
    """A py-libp2p host that only speaks Noise (or TLS) over yamux, configured for a small cluster.

    ``key_seed`` gives a stable peer id (32 bytes are used as the Ed25519 seed, other lengths are
    hashed first). ``psk`` (64 hex chars) makes a private network: peers without the same key
    cannot connect. ``announce`` lists the multiaddrs to advertise when listening on 0.0.0.0
    (notes 3.13). Invalid options raise :class:`ConfigError` naming the option.
    """
    if security not in SECURITY_OPTIONS:
        raise ConfigError(f"security must be one of {list(SECURITY_OPTIONS)}, got {security!r}",
                          key="mesh.security", value=security, rule=f"one of {list(SECURITY_OPTIONS)}")
    if psk is not None and not (isinstance(psk, str) and _PSK.fullmatch(psk)):
        # WORKAROUND(5): py-libp2p accepts any PSK string here and fails only when dialing (or hangs).
        raise ConfigError("psk must be 64 hexadecimal characters (a 32-byte key)", key="mesh.psk",
                          value="<hidden>", rule="64 hex chars")
    kp = _key_pair(key_seed)
    if security == "noise":
        sec_opt = {NOISE_ID: NoiseTransport(kp, noise_privkey=_x25519_key_pair().private_key)}
    else:
        sec_opt = {TLS_ID: TLSTransport(kp)}
    cfg: dict[str, Any] = dict(
        max_connections_per_peer=1,          # WORKAROUND(3.2): 250 ms happy-eyeballs wait on every dial
        min_connections=0, low_watermark=0,  # WORKAROUND(3.14): no auto-dialing of known peers
        high_watermark=max_connections, max_connections=max_connections,
        # new_stream() truncates this to int seconds (host.basic_host): keep it a whole number >= 1.
        outbound_stream_protocol_negotiation_timeout=float(max(1, int(negotiate_timeout_s))),
        inbound_stream_protocol_negotiation_timeout=float(max(1, int(negotiate_timeout_s))),
    )
    if health is not None:
        health.apply(cfg)
    announce_addrs = None
    if announce:
        try:
            announce_addrs = [multiaddr.Multiaddr(a) for a in announce]
        except Exception as e:
            raise ConfigError(f"announce address is not a multiaddr: {e}", key="mesh.announce",
                              value=list(announce), rule="multiaddr") from None
    host = new_host(key_pair=kp, sec_opt=sec_opt, muxer_preference="YAMUX",  # notes 3.7: never mplex
                    connection_config=ConnectionConfig(**cfg), psk=psk, announce_addrs=announce_addrs)
    _disable_auto_connector(host)
    return host


async def _no_auto_connect(*_args: Any, **_kw: Any) -> None:
    return None


def _disable_auto_connector(host: IHost) -> None:
    """WORKAROUND (measured, not in the notes): even with ``min_connections=0, low_watermark=0``
    py-libp2p's auto-connector aims for ``(low_watermark + high_watermark) / 2`` = 500 connections
    and dials every peer in the peerstore. Once nodes learn each other's addresses (for link
    probes) a 100-node mesh dials itself into N^2 connections and the registry never fills
    (``qnb bench scale`` registered 41/100 nodes in 15 s). We dial only on demand."""
    connector = getattr(host.get_network(), "auto_connector", None)
    if connector is not None:
        connector.maybe_connect = _no_auto_connect


class HostHandle:
    """A running host plus a nursery for tasks that must end before the host does (notes section 4)."""

    def __init__(self, host: IHost, nursery: trio.Nursery) -> None:
        self.host = host
        #: start per-host tasks here (advert loops, probes); they are cancelled before the host exits.
        self.nursery = nursery
        self._stop = trio.Event()
        self.stopped = trio.Event()

    @property
    def peer_id(self) -> str:
        return peer_id_str(self.host)

    @property
    def addr(self) -> str:
        return full_addr(self.host)

    async def stop(self) -> None:
        """Cancel the host's tasks, close the host, and wait until it is down."""
        self._stop.set()
        await self.stopped.wait()


async def run_host(host: IHost, listen: str | Sequence[str] = "/ip4/127.0.0.1/tcp/0", *,
                   close_timeout_s: float = 1.0, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
    """Run ``host`` until cancelled or :meth:`HostHandle.stop`; use ``await nursery.start(run_host, host)``.

    ``nursery.start`` returns the :class:`HostHandle` once the host listens. Each host gets its own
    task (WORKAROUND 3.15: hundreds of ``host.run()`` nested in one exit stack misnest nurseries).
    """
    addrs = [listen] if isinstance(listen, str) else list(listen)
    try:
        mas = [multiaddr.Multiaddr(a) for a in addrs]
    except Exception as e:
        raise ConfigError(f"listen address is not a multiaddr: {e}", key="mesh.listen", value=addrs,
                          rule="multiaddr such as /ip4/127.0.0.1/tcp/0") from None
    handle: HostHandle | None = None
    try:
        async with host.run(mas):
            try:
                async with trio.open_nursery() as tasks:
                    handle = HostHandle(host, tasks)
                    task_status.started(handle)
                    await handle._stop.wait()
                    # WORKAROUND(4): cancel our own tasks before the host exits; a task blocked in
                    # stream.read() outside the host's nursery is not woken by the host shutting down.
                    tasks.cancel_scope.cancel()
            finally:
                await close_network(host, close_timeout_s)
    finally:
        if handle is not None:
            handle.stopped.set()


async def close_network(host: IHost, timeout: float = 1.0) -> None:
    """Close every connection and listener of ``host`` concurrently, even while being cancelled.

    WORKAROUND (measured, not in the notes): when ``host.run()`` exits, the swarm's own clean-up
    runs inside the cancelled service and stops at its first ``await``. Connections the host
    *dialed* stay open, so peers keep seeing it as connected (like a frozen peer, 3.9), and the
    listening socket stays open and even completes handshakes for a host that no longer exists.
    Each connection close sleeps 2 x 0.1 s inside py-libp2p, hence concurrently.
    """
    network = host.get_network()

    async def close_one(obj: Any) -> None:
        try:
            await obj.close()
        except Exception:
            pass

    with trio.move_on_after(timeout) as scope:
        scope.shield = True
        async with trio.open_nursery() as nursery:
            for conns in list(network.connections.values()):
                for conn in list(conns):
                    nursery.start_soon(close_one, conn)
            for listener in list(getattr(network, "listeners", {}).values()):
                nursery.start_soon(close_one, listener)
        getattr(network, "listeners", {}).clear()


class open_host:
    """``async with open_host(**make_host_kwargs) as handle:`` runs one host for the block's duration."""

    def __init__(self, host: IHost | None = None, listen: str | Sequence[str] = "/ip4/127.0.0.1/tcp/0",
                 **make_kw: Any) -> None:
        self._host = host
        self._listen = listen
        self._make_kw = make_kw
        self._nursery_cm: Any = None

    async def __aenter__(self) -> HostHandle:
        host = self._host if self._host is not None else make_host(**self._make_kw)
        self._nursery_cm = trio.open_nursery()
        nursery = await self._nursery_cm.__aenter__()
        try:
            self._handle = await nursery.start(run_host, host, self._listen)
        except BaseException as e:
            await self._nursery_cm.__aexit__(type(e), e, e.__traceback__)
            raise
        return self._handle

    async def __aexit__(self, *exc: Any) -> bool | None:
        self._handle._stop.set()
        return await self._nursery_cm.__aexit__(*exc)


def libp2p_logging(level: int = logging.CRITICAL, *, propagate: bool = True) -> None:
    """Route py-libp2p's log records through the application's logging at ``level``.

    py-libp2p sets its ``libp2p`` logger to ``propagate=False`` with no handler, so Python's
    last-resort handler prints its WARNING/ERROR records on stderr, including ERRORs for ordinary
    events (a peer without a protocol, a handshake cut short by shutdown). In a notebook that is
    noise; our own modules log those events as structured records instead (notes 3.17).
    """
    lg = logging.getLogger("libp2p")
    lg.setLevel(level)
    lg.propagate = propagate


# ------------------------------------------------------------------------------ addressing
def peer_id_str(host: IHost) -> str:
    return host.get_id().to_base58()


def _unspecified(ma: multiaddr.Multiaddr) -> bool:
    for proto in ("ip4", "ip6"):
        try:
            value = ma.value_for_protocol(proto)
        except Exception:
            continue
        if value and ipaddress.ip_address(value).is_unspecified:
            return True
    return False


def listen_addrs(host: IHost) -> list[str]:
    """Every address of the host as a string including ``/p2p/<peer id>``."""
    return [str(a) for a in host.get_addrs()]


def full_addr(host: IHost) -> str:
    """One dialable multiaddr including ``/p2p/<peer id>`` (skips 0.0.0.0, notes 3.13)."""
    addrs = host.get_addrs()
    for a in addrs:
        if not _unspecified(a):
            return str(a)
    raise ConfigError("host has no dialable address: it listens on 0.0.0.0 and no announce address was given "
                      f"(addresses: {[str(a) for a in addrs]})", key="mesh.announce", value=None,
                      rule="pass announce=[...] to make_host when listening on 0.0.0.0")


_ID_CACHE: dict[str, ID] = {}


def to_peer_id(peer: "str | ID") -> ID:
    """Parse a base58 peer id (cached: the RPC hot path converts the same few ids repeatedly)."""
    if isinstance(peer, ID):
        return peer
    pid = _ID_CACHE.get(peer)
    if pid is None:
        try:
            pid = ID.from_base58(peer)
        except Exception:
            raise ProtocolError(f"not a libp2p peer id: {peer!r}", code="bad_peer_id") from None
        if len(_ID_CACHE) > 100_000:
            _ID_CACHE.clear()
        _ID_CACHE[peer] = pid
    return pid


def unblock(host: IHost, peer: "str | ID") -> None:
    """Forget recent dial failures to ``peer``.

    WORKAROUND(3.10): the swarm refuses to dial a peer for 60 s after a failed dial, even after it
    restarted. Call this whenever there is fresh evidence the peer is back (an advert, a bootstrap).
    """
    network = host.get_network()
    fn = getattr(network, "unblock_peer", None)
    if fn is not None:
        fn(to_peer_id(peer))


def add_peer_addrs(host: IHost, multiaddr_str: str, ttl_s: float = 3600.0) -> str:
    """Teach the peerstore where a peer is (so a later RPC dials on demand); returns its peer id."""
    info = _parse_p2p(multiaddr_str)
    host.get_peerstore().add_addrs(info.peer_id, info.addrs, int(ttl_s))
    return info.peer_id.to_base58()


def _parse_p2p(multiaddr_str: str):
    try:
        return info_from_p2p_addr(multiaddr.Multiaddr(multiaddr_str))
    except Exception as e:
        raise ProtocolError(f"not a dialable multiaddr with /p2p/<peer id>: {multiaddr_str!r} ({e})",
                            code="bad_multiaddr") from None


async def connect(host: IHost, multiaddr_str: str, *, timeout: float = 5.0) -> str:
    """Dial ``multiaddr_str`` (which must end in ``/p2p/<id>``); returns the peer id string.

    Raises :class:`qnb.mesh.rpc.RpcTimeout` after ``timeout`` s and :class:`qnb.mesh.rpc.RpcTransportError`
    when the dial fails.
    """
    from .rpc import RpcTimeout, RpcTransportError  # rpc does not import host: no cycle

    info = _parse_p2p(multiaddr_str)
    peer = info.peer_id.to_base58()
    unblock(host, info.peer_id)  # WORKAROUND(3.10)
    try:
        with trio.fail_after(timeout):
            await host.connect(info)
    except trio.TooSlowError:
        raise RpcTimeout(f"connecting to {peer} timed out after {timeout:g} s", peer=peer, timeout=timeout) from None
    except Exception as e:
        raise RpcTransportError(f"cannot connect to {multiaddr_str}: {type(e).__name__}: {e}", peer=peer) from None
    return peer
