"""Hostile peers (FR-014): roles per protocol, admission of adverts, bounded reservations, rate limits.

Real py-libp2p hosts inside the test's trio loop: a node service, a coordinator with a real DuckDB
file, and outside peers that are *not* the coordinator the node trusts.
"""

from __future__ import annotations

import time

import pytest
import trio

from qnb.coordinator import Coordinator
from qnb.mesh import rpc
from qnb.mesh.access import AccessPolicy, Forbidden, RateLimited, RateLimiter, role_token
from qnb.mesh.advert import Advertisement
from qnb.mesh.host import connect, full_addr, open_host
from qnb.mesh.protocols import ADVERT, CONTROL, PROBE, RESERVE
from qnb.node import NodeService
from qnb.store import Store
from qnb.testing import test_settings
from qnb.topology import NodeSpec

KEY = "k" * 40


def ctl(command: str, **kw) -> dict:
    return {"type": "control", "command": command, **kw}


async def remote_code(host, peer, protocol, header) -> str:
    with pytest.raises(rpc.RpcRemoteError) as e:
        await rpc.call(host, peer, protocol, header, timeout=5)
    return e.value.code


# ------------------------------------------------------------------ units
def test_tokens_are_bound_to_role_and_peer():
    acc = AccessPolicy(admission_key=KEY)
    t = role_token(KEY, "node", "peerA")
    assert acc.token_valid("node", "peerA", t)
    assert not acc.token_valid("node", "peerB", t)          # useless to anyone else
    assert not acc.token_valid("operator", "peerA", t)      # and for any other role
    assert not AccessPolicy().token_valid("node", "peerA", t)   # no key: no token is valid
    with pytest.raises(Forbidden, match="needs the operator role"):
        acc.require("operator", "peerA", "drop")
    assert acc.present("operator", "peerA", role_token(KEY, "operator", "peerA"))
    acc.require("operator", "peerA", "drop")


def test_rate_limiter_allows_the_burst_then_the_rate():
    now = [0.0]
    rl = RateLimiter(rate_per_s=2.0, burst=3, clock=lambda: now[0])
    for _ in range(3):
        rl.check("p", "/x")
    with pytest.raises(RateLimited, match="exceeds 2 requests/s"):
        rl.check("p", "/x")
    rl.check("q", "/x")                # another peer has its own bucket
    now[0] += 0.5                      # one token back
    rl.check("p", "/x")
    with pytest.raises(RateLimited):
        rl.check("p", "/x")


# ------------------------------------------------------------------ node side
async def test_an_outside_peer_cannot_control_a_node_its_coordinator_can(nursery):
    async with open_host() as coord, open_host() as outsider:
        svc = NodeService(NodeSpec("n0", 2), test_settings(), coordinator=full_addr(coord.host))
        await nursery.start(svc.run)
        for h in (coord, outsider):
            await connect(h.host, svc.addr)
        for cmd, kw in [("drop", {}), ("latency", {"ms": 500.0}), ("fidelity", {"factor": 100.0}),
                        ("available", {"available": False}), ("link_latency", {"peer": "x", "ms": 1.0})]:
            assert await remote_code(outsider.host, svc.peer_id, CONTROL, ctl(cmd, **kw)) == "forbidden", cmd
        assert not svc.dropped and svc.latency_ms == 0.0 and svc.spec.available
        # a node that has its coordinator takes no other coordinator without a token
        assert await remote_code(outsider.host, svc.peer_id, CONTROL, ctl("hello", addrs=[full_addr(outsider.host)])) \
            == "forbidden"
        # reserve and exec need the coordinator role
        req = {"type": "reserve", "operation": "reserve", "window_start": time.time(),
               "window_end": time.time() + 1}
        assert await remote_code(outsider.host, svc.peer_id, RESERVE, req) == "forbidden"
        # the node's own coordinator is obeyed
        await rpc.call(coord.host, svc.peer_id, CONTROL, ctl("latency", ms=5.0), timeout=5)
        assert svc.latency_ms == 5.0
        assert svc.access.denied == 7


async def test_an_unclaimed_node_trusts_its_first_coordinator_only(nursery):
    svc = NodeService(NodeSpec("n0", 2), test_settings())
    await nursery.start(svc.run)
    async with open_host() as first, open_host() as second:
        for h in (first, second):
            await connect(h.host, svc.addr)
        await rpc.call(first.host, svc.peer_id, CONTROL, ctl("hello", addrs=[full_addr(first.host)]), timeout=5)
        await rpc.call(second.host, svc.peer_id, CONTROL, ctl("hello", addrs=[full_addr(second.host)]), timeout=5)
        assert await remote_code(second.host, svc.peer_id, CONTROL, ctl("drop")) == "forbidden"
        await rpc.call(first.host, svc.peer_id, CONTROL, ctl("latency", ms=2.0), timeout=5)
        assert svc.latency_ms == 2.0 and not svc.dropped


async def test_with_an_admission_key_hello_needs_a_token(nursery):
    settings = test_settings(security={"admission_key": KEY})
    svc = NodeService(NodeSpec("n0", 2), settings)
    await nursery.start(svc.run)
    async with open_host() as stranger, open_host() as member:
        for h in (stranger, member):
            await connect(h.host, svc.addr)
        assert await remote_code(stranger.host, svc.peer_id, CONTROL, ctl("hello", addrs=[full_addr(stranger.host)])) \
            == "forbidden"
        await rpc.call(member.host, svc.peer_id, CONTROL, ctl(
            "hello", addrs=[full_addr(member.host)], token=role_token(KEY, "coordinator", member.peer_id),
            operator_token=role_token(KEY, "operator", member.peer_id)), timeout=5)
        await rpc.call(member.host, svc.peer_id, CONTROL, ctl("latency", ms=3.0), timeout=5)
        assert svc.latency_ms == 3.0


async def test_reservations_are_bounded_by_the_configured_limits(nursery):
    async with open_host() as coord:
        svc = NodeService(NodeSpec("n0", 2), test_settings(limits={"max_reservation_s": 60.0, "max_hold_s": 30.0}),
                          coordinator=full_addr(coord.host))
        await nursery.start(svc.run)
        await connect(coord.host, svc.addr)
        now = time.time()
        base = {"type": "reserve", "operation": "reserve", "window_start": now, "window_end": now + 1}
        with pytest.raises(rpc.RpcRemoteError) as e:
            await rpc.call(coord.host, svc.peer_id, RESERVE, dict(base, window_start=0.0, window_end=1e300), timeout=5)
        assert e.value.code == "reservation_bounds" and "limits.max_reservation_s = 60" in e.value.message
        with pytest.raises(rpc.RpcRemoteError) as e:
            await rpc.call(coord.host, svc.peer_id, RESERVE, dict(base, hold_s=86_400.0), timeout=5)
        assert e.value.code == "reservation_bounds" and "limits.max_hold_s" in e.value.message
        with pytest.raises(rpc.RpcRemoteError) as e:
            await rpc.call(coord.host, svc.peer_id, RESERVE, dict(base, window_start=now + 10 ** 7,
                                                                  window_end=now + 10 ** 7 + 1), timeout=5)
        assert e.value.code == "reservation_bounds"
        assert not svc.book.active(now)                       # nothing was booked by the refused requests
        ok, _ = await rpc.call(coord.host, svc.peer_id, RESERVE, base, timeout=5)
        assert ok["accepted"] is True
        # link_latency without a peer is a structured error, not a KeyError
        assert await remote_code(coord.host, svc.peer_id, CONTROL, ctl("link_latency", ms=1.0)) == "schema"


async def test_a_peer_over_its_rate_is_refused_and_the_stream_stays_usable(nursery):
    svc = NodeService(NodeSpec("n0", 2), test_settings(security={"rate_per_s": 0.001, "rate_burst": 2}))
    await nursery.start(svc.run)
    async with open_host() as peer:
        await connect(peer.host, svc.addr)
        for _ in range(2):
            await rpc.call(peer.host, svc.peer_id, PROBE, {"type": "probe"}, timeout=5)
        assert await remote_code(peer.host, svc.peer_id, PROBE, {"type": "probe"}) == "rate_limited"
        assert await remote_code(peer.host, svc.peer_id, PROBE, {"type": "probe"}) == "rate_limited"


# ------------------------------------------------------------------ coordinator side
def _advert(peer_id: str, name: str = "evil", qubits: int = 64, **kw) -> dict:
    spec = NodeSpec(name, qubits, fidelity_1q=1.0, fidelity_2q=1.0, fidelity_readout=1.0)
    return Advertisement.from_node_spec(spec, peer_id, seq=1, addrs=("/ip4/127.0.0.1/tcp/1",), **kw).to_json()


async def test_an_unadmitted_advert_is_rejected_and_recorded(nursery, tmp_path):
    store = Store.open(str(tmp_path / "c.duckdb"))
    coord = Coordinator(test_settings(), store, admission_key=KEY, recover=False)
    await nursery.start(coord.run)
    async with open_host() as evil, open_host() as member:
        for h in (evil, member):
            await connect(h.host, coord.addr)
        code = await remote_code(evil.host, coord.peer_id, ADVERT, {"type": "advert", "advert": _advert(evil.peer_id)})
        assert code == "forbidden" and len(coord.registry) == 0
        # a forged token (another peer's) does not help either
        forged = role_token(KEY, "node", member.peer_id)
        code = await remote_code(evil.host, coord.peer_id, ADVERT,
                                 {"type": "advert", "advert": _advert(evil.peer_id), "token": forged})
        assert code == "forbidden" and len(coord.registry) == 0
        ack, _ = await rpc.call(member.host, coord.peer_id, ADVERT, {
            "type": "advert", "advert": _advert(member.peer_id, "good", 4),
            "token": role_token(KEY, "node", member.peer_id)}, timeout=5)
        assert ack["accepted"] is True and [e.name for e in coord.registry.entries()] == ["good"]
    coord.flush_store()
    rows = store.sql("select valid, reason from advertisements order by received_at").rows
    assert [r[0] for r in rows] == [False, False, True]
    assert "needs the node role" in rows[0][1]


async def test_a_client_submit_is_text_only_bounded_and_never_reads_files(nursery, tmp_path):
    coord = Coordinator(test_settings(parse={"deadline_s": 5.0}), Store.open(str(tmp_path / "c.duckdb")),
                        recover=False)
    await nursery.start(coord.run)
    async with open_host() as client:
        await connect(client.host, coord.addr)
        for source in ["/etc/passwd", "ghz_5", 'OPENQASM 2.0; include "/etc/hostname"; qreg q[1];',
                       "OPENQASM 3.0; qubit[100000000] q;", "OPENQASM 3.0; qubit[1] q; rz(10**10**10) q[0];"]:
            with trio.fail_after(10):                  # bounded: never a hang of the coordinator
                with pytest.raises(rpc.RpcRemoteError) as e:
                    await rpc.call(client.host, coord.peer_id, CONTROL, ctl("submit", source=source), timeout=10)
            assert e.value.code != "internal", (source, e.value.message)
            assert "root:" not in e.value.message           # no file content is ever echoed
        assert coord.jobs == {}
