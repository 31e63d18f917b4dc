"""A registry that does not lie under load (FR-002): a node that answers is alive, whatever its adverts do."""

from __future__ import annotations

import time

import trio

from qnb.coordinator import Coordinator
from qnb.mesh.registry import Registry
from qnb.node import NodeService
from qnb.store import Store
from qnb.testing import test_settings
from qnb.topology import NodeSpec
from mesh_builders import advert


def test_expiry_grants_the_observers_loop_lag():
    reg = Registry(ttl_s=1.0)
    reg.update(advert(1), now=100.0)
    assert reg.expiring(101.5) and not reg.expiring(101.5, grace_s=1.0)
    assert reg.expire(101.5, grace_s=1.0) == []
    assert reg.expire(101.5) == ["n01"]


async def _registered(coord: Coordinator, name: str, timeout: float = 10.0) -> None:
    with trio.fail_after(timeout):
        while not any(e.name == name and e.available for e in coord.registry.entries(time.time())):
            await coord.wait_registry_change()


async def test_a_quiet_node_that_answers_stays_and_one_that_does_not_expires(nursery, tmp_path):
    key = "q" * 32
    coord = Coordinator(test_settings(intervals={"advertise_s": 0.25, "ttl_s": 0.6}),
                        Store.open(str(tmp_path / "c.duckdb")), recover=False, admission_key=key)
    await nursery.start(coord.run)
    # both nodes advertise once and then stay quiet for a minute (as a node busy with work would)
    quiet = test_settings(intervals={"advertise_s": 60.0, "ttl_s": 120.0})
    alive = NodeService(NodeSpec("alive", 2), quiet, coordinator=coord.addr, admission_key=key)
    mute = NodeService(NodeSpec("mute", 2), quiet, coordinator=coord.addr, admission_key=key)
    for svc in (alive, mute):
        await nursery.start(svc.run)
    for name in ("alive", "mute"):
        await _registered(coord, name)
    mute.set_latency(5_000.0)            # still connected, but answers nothing in time
    with trio.fail_after(15):
        while not coord.registry.get("mute", time.time()).expired:
            await coord.wait_registry_change()
    e = coord.registry.get("alive", time.time())
    assert not e.expired and e.available                       # probed, answered, refreshed
    assert e.advert.seq == alive.seq                           # no newer advert was needed for that
