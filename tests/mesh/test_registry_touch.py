"""Registry.touch: an RPC answer refreshes liveness like an advert does (FR-002)."""

from __future__ import annotations

from mesh_builders import PEERS, advert
from qnb.mesh.registry import Registry


def test_touch_keeps_an_answering_node_alive_past_its_advert_ttl():
    reg = Registry(ttl_s=3.0)
    a = advert(0)
    assert reg.update(a, now=100.0)
    assert reg.touch(a.node_id, now=102.5)
    assert reg.get(a.node_id, now=104.0).available          # 1.5 s after the touch, not 4 s after the advert
    assert not reg.get(a.node_id, now=106.0).available       # and it still expires without answers


def test_touch_revives_an_expired_entry_and_bumps_the_snapshot_version():
    reg = Registry(ttl_s=3.0)
    a = advert(0)
    reg.update(a, now=100.0)
    assert reg.expire(now=110.0) == [a.name]
    v = reg.version
    assert not reg.snapshot(now=110.0).by_id[a.name].available
    assert reg.touch(a.node_id, now=110.5)
    assert reg.version > v
    assert reg.snapshot(now=110.6).by_id[a.name].available


def test_touch_never_revives_stale_or_disconnected_entries_or_unknown_peers():
    reg = Registry(ttl_s=3.0)
    a, b = advert(0), advert(1)
    reg.update(a, now=100.0)
    reg.update(b, now=100.0)
    reg.mark_all_stale()
    assert not reg.touch(a.node_id, now=101.0)
    reg.update(advert(1, seq=2), now=101.0)
    reg.mark_disconnected(b.node_id)
    assert not reg.touch(b.node_id, now=101.5)
    assert not reg.touch(PEERS[5], now=101.5)
