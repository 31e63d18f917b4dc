"""Host creation, security, addressing, dialing and shutdown on real py-libp2p hosts (FR-014).

Tests named after a notes section reproduce the py-libp2p 0.8.1 behaviour we work around.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import multiaddr
import pytest
import trio
from libp2p import generate_new_ed25519_identity, new_host
from libp2p.peer.peerinfo import info_from_p2p_addr
from libp2p.security.insecure.transport import PLAINTEXT_PROTOCOL_ID, InsecureTransport

from qnb.errors import ConfigError, ProtocolError
from qnb.mesh.framing import write_frame
from qnb.mesh.host import (HealthSettings, connect, full_addr, listen_addrs, make_host, open_host, peer_id_str,
                           run_host, to_peer_id)
from qnb.mesh.protocols import PROBE
from qnb.mesh.rpc import RpcError, RpcTimeout, RpcTransportError, call
from qnb.mesh.rtt import serve_probe

PSK_A = "11" * 32
PSK_B = "22" * 32


@pytest.mark.parametrize("kwargs, key", [
    ({"security": "plaintext"}, "mesh.security"),
    ({"psk": "abc"}, "mesh.psk"),
    ({"psk": "zz" * 32}, "mesh.psk"),
    ({"key_seed": b""}, "key_seed"),
    ({"announce": ["not a multiaddr"]}, "mesh.announce"),
])
def test_bad_host_options_raise_config_errors_naming_the_option(kwargs, key):
    with pytest.raises(ConfigError) as e:
        make_host(**kwargs)
    assert e.value.key == key


def test_key_seed_gives_a_stable_peer_id():
    a, b, c = make_host(key_seed=b"node-7"), make_host(key_seed=b"node-7"), make_host(key_seed=b"node-8")
    assert peer_id_str(a) == peer_id_str(b) != peer_id_str(c)
    assert peer_id_str(make_host(key_seed=bytes(32))) != peer_id_str(make_host(key_seed=bytes(31)))


async def test_full_addr_is_dialable_and_ends_with_the_peer_id():
    async with open_host() as h:
        addr = full_addr(h.host)
        assert addr.startswith("/ip4/127.0.0.1/tcp/") and addr.endswith(f"/p2p/{h.peer_id}")
        assert addr in listen_addrs(h.host)
        assert info_from_p2p_addr(multiaddr.Multiaddr(addr)).peer_id == h.host.get_id()


async def test_full_addr_refuses_an_unspecified_listen_address():
    async with open_host(listen="/ip4/0.0.0.0/tcp/0") as h:
        with pytest.raises(ConfigError, match="announce"):
            full_addr(h.host)
    async with open_host(listen="/ip4/0.0.0.0/tcp/0", announce=["/ip4/127.0.0.1/tcp/1234"]) as h:
        assert full_addr(h.host).startswith("/ip4/127.0.0.1/tcp/1234/p2p/")


async def test_connect_validates_the_address(two_hosts):
    client, _ = two_hosts
    with pytest.raises(ProtocolError) as e:
        await connect(client.host, "/ip4/127.0.0.1/tcp/1")           # no /p2p/ part
    assert e.value.code == "bad_multiaddr"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_connect_clears_the_negative_dial_cache():
    """notes 3.10: after a failed dial, py-libp2p refuses to dial that peer for 60 s, even once it is back."""
    port = _free_port()
    listen = f"/ip4/127.0.0.1/tcp/{port}"
    async with open_host() as client:
        async with open_host(listen=listen, key_seed=b"restarting-node") as node:
            addr = node.addr
        with pytest.raises(RpcError):                                  # the node is down
            await connect(client.host, addr, timeout=5)
        async with open_host(listen=listen, key_seed=b"restarting-node") as node:
            info = info_from_p2p_addr(multiaddr.Multiaddr(addr))
            with pytest.raises(Exception):                             # the library still refuses ...
                with trio.fail_after(5):
                    await client.host.connect(info)
            assert await connect(client.host, addr) == node.peer_id     # ... our connect() unblocks first
            serve_probe(node.host)
            assert (await call(client.host, node.peer_id, PROBE, {}))[0]["ok"]


async def test_tls_hosts_talk_to_each_other():
    async with open_host(security="tls") as a, open_host(security="tls") as b:
        serve_probe(b.host, name="b")
        await connect(a.host, b.addr)
        assert (await call(a.host, b.peer_id, PROBE, {}))[0]["node"] == "b"


async def test_a_noise_host_refuses_a_plaintext_only_dialer():
    """notes 5: the library default would accept this dialer; make_host offers Noise only."""
    kp = generate_new_ed25519_identity()
    plain = new_host(key_pair=kp, sec_opt={PLAINTEXT_PROTOCOL_ID: InsecureTransport(kp)})
    async with open_host() as secure, open_host(host=plain) as p:
        with pytest.raises(Exception):
            with trio.fail_after(5):
                await p.host.connect(info_from_p2p_addr(multiaddr.Multiaddr(secure.addr)))
        assert not secure.host.get_network().connections.get(p.host.get_id())


async def test_private_network_psk():
    async with open_host(psk=PSK_A) as a, open_host(psk=PSK_A) as b, open_host(psk=PSK_B) as c:
        serve_probe(b.host)
        await connect(a.host, b.addr)
        assert (await call(a.host, b.peer_id, PROBE, {}))[0]["ok"]
        with pytest.raises((RpcTimeout, RpcTransportError)):           # notes 5: fails only after ~20 s otherwise
            await connect(a.host, c.addr, timeout=1.0)
        assert not a.host.get_network().connections.get(c.host.get_id())


async def test_stopping_a_host_closes_the_connections_it_dialed(wait_until):
    """Measured here: leaving host.run() leaves dialed connections open, so peers think it is alive."""
    async with open_host() as coordinator:
        async with trio.open_nursery() as nursery:
            node = await nursery.start(run_host, make_host())
            await connect(node.host, coordinator.addr)                 # the node dials, as nodes do
            pid = node.host.get_id()
            assert coordinator.host.get_network().connections.get(pid)
            await node.stop()
            await wait_until(lambda: not coordinator.host.get_network().connections.get(pid), timeout=5)


async def test_a_stopped_host_no_longer_listens():
    """Measured here: after host.run() exits, py-libp2p 0.8.1 keeps the listening socket open (and
    even completes handshakes for the dead host); run_host closes it."""
    async with open_host() as h:
        port = int(h.addr.split("/tcp/")[1].split("/")[0])
    with socket.socket() as s:
        with pytest.raises(ConnectionRefusedError):
            s.connect(("127.0.0.1", port))


async def test_host_tasks_are_cancelled_before_the_host_exits():
    """notes 4: a task blocked in stream.read() is not woken by its host exiting; ours are cancelled first."""
    ended = []
    async with open_host() as server:
        serve_probe(server.host)
        async with trio.open_nursery() as nursery:
            node = await nursery.start(run_host, make_host())
            await connect(node.host, server.addr)

            async def blocked_reader():
                stream = await node.host.new_stream(server.host.get_id(), [PROBE])
                try:
                    await stream.read(10)          # the server waits for a request: blocks forever
                finally:
                    ended.append("cancelled")

            node.nursery.start_soon(blocked_reader)
            await trio.testing.wait_all_tasks_blocked()
            with trio.fail_after(5):
                await node.stop()
    assert ended == ["cancelled"]


async def test_cancelled_writes_do_not_kill_the_connection(two_hosts):
    """Measured here: a cancellation inside py-libp2p's frame write corrupts the connection.
    tests/mesh/repro_cancelled_write.py shows the raw library dying within a few such writes."""
    client, server = two_hosts
    serve_probe(server.host)
    sink = "/qnb/test-sink/1.0.0"

    async def drain(stream):
        try:
            while await stream.read(1 << 20):
                pass
        except Exception:
            pass

    server.host.set_stream_handler(sink, drain)
    for k in range(12):
        stream = await client.host.new_stream(server.host.get_id(), [sink])
        with trio.move_on_after(0.0005 * (k + 1)):
            await write_frame(stream, b"x" * (2 << 20))
        with trio.CancelScope(shield=True):
            await stream.reset()
        resp, _ = await call(client.host, server.peer_id, PROBE, {}, timeout=5)
        assert resp["ok"], f"connection died after cancelled write #{k}"


@pytest.fixture
def frozen_peer():
    script = Path(__file__).with_name("peer_process.py")
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[2])
    try:
        yield proc
    finally:
        os.kill(proc.pid, signal.SIGCONT)
        proc.kill()
        proc.wait(timeout=10)


async def test_health_monitor_disconnects_a_frozen_peer(frozen_peer, wait_until):
    """notes 3.9: a SIGSTOPped peer otherwise stays 'connected' forever."""
    addr = await trio.to_thread.run_sync(frozen_peer.stdout.readline)
    fast = HealthSettings(interval_s=0.5, ping_timeout_s=0.5, initial_delay_s=0.5)
    async with open_host(health=fast) as h:
        peer = await connect(h.host, addr.strip(), timeout=10)
        assert (await call(h.host, peer, PROBE, {}, timeout=10))[0]["node"] == "proc"
        os.kill(frozen_peer.pid, signal.SIGSTOP)
        await wait_until(lambda: not h.host.get_network().connections.get(to_peer_id(peer)), timeout=15)
        with pytest.raises(RpcError):
            await call(h.host, peer, PROBE, {}, timeout=1)
