"""Advertisement push over real hosts (FR-001) feeding the coordinator's registry (FR-002)."""

from __future__ import annotations

import pytest
import trio

from mesh_builders import advert
from qnb.mesh.advert import Advertisement, links_from_topology
from qnb.mesh.announce import Poke, advertise_forever, push_advert, serve_adverts, watch_disconnects
from qnb.mesh.host import make_host, open_host, run_host
from qnb.mesh.registry import Registry
from qnb.mesh.rpc import RpcRemoteError
from qnb.topology import load_topology


def own_advert(handle, i: int = 0, **kw) -> Advertisement:
    return advert(i, node_id=handle.peer_id, addrs=(handle.addr,), **kw)


async def test_an_acknowledged_advert_lands_in_the_registry(two_hosts):
    node, coordinator = two_hosts
    reg = Registry()
    serve_adverts(coordinator.host, reg)
    ack = await push_advert(node.host, coordinator.peer_id, own_advert(node, seq=1))
    assert ack["accepted"] is True and ack["registry_version"] == reg.version and ack["ttl_s"] == reg.ttl_s
    entry = reg.get("n00")
    assert entry.node_id == node.peer_id and entry.available
    again = await push_advert(node.host, coordinator.peer_id, own_advert(node, seq=1))
    assert again["accepted"] is False and "not newer" in again["reason"]


async def test_an_advert_for_someone_else_is_rejected_with_a_reason(two_hosts):
    node, coordinator = two_hosts
    reg = Registry()
    serve_adverts(coordinator.host, reg)
    with pytest.raises(RpcRemoteError) as e:
        await push_advert(node.host, coordinator.peer_id, advert(3))          # node_id of another peer
    assert e.value.code == "node_id_mismatch"
    assert len(reg) == 0 and reg.rejected[-1][0] == node.peer_id


async def test_a_schema_invalid_advert_is_rejected_at_the_wire(two_hosts):
    node, coordinator = two_hosts
    reg = Registry()
    serve_adverts(coordinator.host, reg)
    from qnb.mesh.protocols import ADVERT
    from qnb.mesh.rpc import call
    record = own_advert(node).to_json() | {"fidelity_2q": 0}
    with pytest.raises(RpcRemoteError) as e:
        await call(node.host, coordinator.peer_id, ADVERT, {"advert": record}, validate_request=False)
    assert e.value.code == "schema" and e.value.details["field"] == "advert.request.advert.fidelity_2q"


async def test_nodes_advertise_periodically_and_on_poke(wait_until):
    topo = load_topology("all-to-all:3:2")
    reg = Registry(ttl_s=30)
    acks = []
    async with open_host() as coordinator:
        serve_adverts(coordinator.host, reg)
        watch_disconnects(coordinator.host, reg)
        async with trio.open_nursery() as nursery:
            handles, pokes, fids = [], [], {}
            for spec in topo.nodes:
                h = await nursery.start(run_host, make_host())
                state = {"ad": Advertisement.from_node_spec(spec, h.peer_id, addrs=[h.addr],
                                                            links=links_from_topology(topo, spec.id))}
                fids[spec.id] = spec.fidelity_2q

                def make(state=state, name=spec.id):
                    state["ad"] = state["ad"].next(fidelity_2q=fids[name])
                    return state["ad"]

                poke = Poke()
                await h.nursery.start(lambda task_status, h=h, make=make, poke=poke: advertise_forever(
                    h.host, coordinator.addr, make, interval_s=60.0, poke=poke,
                    on_ack=lambda ack, err: acks.append((ack, err)), task_status=task_status))
                handles.append(h)
                pokes.append(poke)
            assert [e.name for e in reg.query()] == ["n00", "n01", "n02"]
            assert all(err is None and ack["accepted"] for ack, err in acks)
            snap = reg.snapshot()
            assert len(snap.links) == 3 and snap.total_qubits == 6

            fids["n01"] = 0.5                           # a change is pushed at once when poked
            pokes[1].set()
            await wait_until(lambda: reg.get("n01").advert.fidelity_2q == 0.5)
            assert reg.get("n01").degraded

            await handles[2].stop()                     # a node drops: its connection closes
            await wait_until(lambda: reg.get("n02").disconnected)
            assert [e.name for e in reg.query()] == ["n00", "n01"]
            nursery.cancel_scope.cancel()


async def test_advertise_forever_reports_failures_and_keeps_going(wait_until):
    results = []
    async with open_host() as node:
        async with open_host() as coordinator:
            addr = coordinator.addr                     # nobody serves ADVERT on it: every push fails
            async with trio.open_nursery() as nursery:
                nursery.start_soon(lambda: advertise_forever(
                    node.host, addr, lambda: own_advert(node), interval_s=0.01, timeout=2,
                    on_ack=lambda ack, err: results.append(err)))
                await wait_until(lambda: len(results) >= 3)
                nursery.cancel_scope.cancel()
    assert all(err is not None for err in results[:3])
