"""The live registry (FR-002, FR-008, FR-010): TTL by injected clock, ordering, queries, snapshots."""

from __future__ import annotations

import logging

import pytest

from mesh_builders import PEERS, advert
from qnb.errors import ProtocolError, TopologyError
from qnb.mesh.advert import LinkAdvert
from qnb.mesh.registry import Registry


def reg(**kw) -> Registry:
    return Registry(ttl_s=6.0, clock=lambda: pytest.fail("tests must pass `now` explicitly"), **kw)


def test_entries_expire_after_ttl_and_come_back_with_a_fresh_advert():
    r = reg()
    assert r.update(advert(0, seq=1), now=100.0)
    assert r.get("n00", now=106.0).available            # exactly at the TTL: still fresh
    assert r.expire(now=106.5) == ["n00"]
    e = r.get("n00")
    assert e.expired and not e.available                  # kept, but unavailable
    assert r.query(now=106.5) == []
    assert [x.name for x in r.query(available_only=False, now=106.5)] == ["n00"]
    assert r.update(advert(0, seq=2), now=107.0)
    assert r.get("n00").available and not r.get("n00").expired


def test_query_evaluates_expiry_at_its_own_now():
    r = reg()
    r.update(advert(0), now=0.0)
    r.update(advert(1), now=5.0)
    assert [e.name for e in r.query(now=8.0)] == ["n01"]


def test_stale_seq_is_ignored_and_epoch_orders_before_seq():
    r = reg()
    assert r.update(advert(0, seq=5, fidelity_2q=0.99), now=1.0)
    assert not r.update(advert(0, seq=5, fidelity_2q=0.5), now=2.0)     # same seq: not newer
    assert not r.update(advert(0, seq=4, fidelity_2q=0.5), now=2.0)     # older
    assert r.get(PEERS[0]).advert.fidelity_2q == 0.99
    assert r.get(PEERS[0]).received_at == 1.0
    # the node restarted: seq starts again, but in a newer epoch
    assert r.update(advert(0, seq=0, epoch=1, fidelity_2q=0.98), now=3.0)
    assert r.get("n00").advert.fidelity_2q == 0.98


def test_name_conflict_with_a_live_node_is_rejected():
    r = reg()
    r.update(advert(0, name="alpha"), now=0.0)
    with pytest.raises(ProtocolError) as e:
        r.update(advert(1, name="alpha"), now=1.0)
    assert e.value.code == "name_conflict"
    assert r.name_to_peer("alpha") == PEERS[0]


def test_a_new_identity_takes_over_an_expired_name():
    r = reg()
    r.update(advert(0, name="alpha"), now=0.0)
    assert r.update(advert(1, name="alpha"), now=10.0)
    assert r.name_to_peer("alpha") == PEERS[1]
    assert r.get(PEERS[0]) is None


def test_ingest_validates_checks_the_sender_and_records_rejections(caplog):
    r = reg()
    bad = advert(0).to_json() | {"fidelity_2q": 2.0}
    with caplog.at_level(logging.WARNING, logger="qnb.mesh.registry"):
        with pytest.raises(ProtocolError):
            r.ingest(bad, now=0.0, peer_id=PEERS[0])
        with pytest.raises(ProtocolError) as e:
            r.ingest(advert(0).to_json(), now=0.0, peer_id=PEERS[1])
    assert e.value.code == "node_id_mismatch"
    assert [node for node, _ in r.rejected] == [PEERS[0], PEERS[1]]
    assert "fidelity_2q" in r.rejected[0][1]
    assert "is not the sending peer" in r.rejected[1][1]
    assert "rejected advertisement" in caplog.text and "fidelity_2q" in caplog.text
    assert len(r) == 0
    assert r.ingest(advert(0).to_json(), now=0.0, peer_id=PEERS[0])


def test_rejections_are_bounded():
    r = Registry(max_rejected=3)
    for i in range(5):
        r.reject(f"p{i}", "bad")
    assert [n for n, _ in r.rejected] == ["p2", "p3", "p4"]


def test_mark_all_stale_then_fresh_adverts_restore_availability():
    r = reg()
    r.update(advert(0, seq=3), now=0.0)
    r.update(advert(1, seq=3), now=0.0)
    r.mark_all_stale()
    assert r.query(now=1.0) == []
    assert r.get("n00").stale
    r.update(advert(0, seq=4), now=1.0)
    assert [e.name for e in r.query(now=1.0)] == ["n00"]
    assert r.snapshot(now=1.0).meta["stale_nodes"] == ["n01"]


def test_restore_loads_stale_entries_that_fresh_adverts_replace():
    r = reg()
    r.restore(advert(0, seq=9), last_seen=50.0)
    e = r.get("n00")
    assert e.stale and not e.available and e.received_at == 50.0
    assert not r.update(advert(0, seq=9), now=60.0)     # not newer than what we persisted
    assert r.update(advert(0, seq=10), now=60.0)
    assert r.get("n00").available


def test_disconnect_marks_unavailable_until_the_next_advert():
    r = reg()
    r.update(advert(0, seq=1), now=0.0)
    assert r.mark_disconnected(PEERS[0])
    assert not r.mark_disconnected(PEERS[0])             # already marked: no second event
    assert not r.mark_disconnected("unknown")
    assert not r.get("n00").available and r.get("n00").disconnected
    r.update(advert(0, seq=2), now=1.0)
    assert r.get("n00").available


def test_remove_by_name_or_peer_id():
    r = reg()
    r.update(advert(0), now=0.0)
    r.update(advert(1), now=0.0)
    assert r.remove("n00") and r.remove(PEERS[1])
    assert not r.remove("n00")
    assert len(r) == 0
    with pytest.raises(TopologyError, match="unknown node 'n00'"):
        r.name_to_peer("n00")


def test_query_filters():
    r = reg()
    r.update(advert(0, gates=("h", "cx"), fidelity_2q=0.99, region="eu", qubit_range=(1, 8)), now=0.0)
    r.update(advert(1, gates=("h", "cx", "ccx"), fidelity_2q=0.95, service_type="simulator"), now=0.0)
    r.update(advert(2, gates=("h",), fidelity_2q=0.999, available=False), now=0.0)
    r.update(advert(3, gates=("h", "cx"), fidelity_2q=0.90, degraded=True), now=0.0)
    names = lambda es: [e.name for e in es]  # noqa: E731
    assert names(r.query(now=1.0)) == ["n00", "n01", "n03"]
    assert names(r.query(gate="ccx", now=1.0)) == ["n01"]
    assert names(r.query(gate=["h", "cx"], now=1.0)) == ["n00", "n01", "n03"]
    assert names(r.query(min_fidelity_2q=0.96, now=1.0)) == ["n00"]
    assert names(r.query(min_fidelity_2q=0.96, available_only=False, now=1.0)) == ["n00", "n02"]
    assert names(r.query(service_type="simulator", now=1.0)) == ["n01"]
    assert names(r.query(service_type=["qpu", "simulator"], region="eu", now=1.0)) == ["n00"]
    assert names(r.query(min_qubits=5, now=1.0)) == ["n00"]
    assert names(r.query(include_degraded=False, now=1.0)) == ["n00", "n01"]
    # degraded: below the threshold (0.95 by default; equal is not below) or by the node's own flag
    assert [e.degraded for e in r.entries()] == [False, False, False, True]
    strict = Registry(degraded_fidelity_2q=0.96)
    strict.update(advert(1, fidelity_2q=0.95), now=0.0)
    assert strict.get("n01").degraded


def test_snapshot_is_the_planners_topology():
    r = reg()
    r.update(advert(0, qubit_range=(1, 4), links=(LinkAdvert("n01", 1.0, 0.97, 500.0), LinkAdvert("ghost", 1, 0.9, 1))),
             now=0.0)
    r.update(advert(1, qubit_range=(1, 6), links=(LinkAdvert("n00", 2.0, 0.99, 800.0),)), now=0.0)
    r.update(advert(2, links=(LinkAdvert("n00", 0.3, 0.85, 10.0),)), now=0.0)
    r.update(advert(3, service_type="optimizer", gates=(), qubit_range=(0, 0)), now=0.0)
    t = r.snapshot(now=1.0)
    assert [n.id for n in t.nodes] == ["n00", "n01", "n02"]            # the optimizer is not a QPU
    assert t.node("n01").qubits == 6
    both = t.link("n00", "n01")                                       # both ends reported it
    assert (both.latency_ms, both.fidelity, both.ebit_rate_hz) == (2.0, 0.97, 500.0)
    one = t.link("n02", "n00")                                        # one end reported it
    assert (one.latency_ms, one.fidelity) == (0.3, 0.85)
    assert len(t.links) == 2                                          # the link to "ghost" is dropped
    assert t.meta["degraded_links"] == [["n00", "n02"]]               # 0.85 < 0.9
    assert t.meta["version"] == r.version


def test_snapshot_marks_expired_nodes_unavailable():
    r = reg()
    r.update(advert(0), now=0.0)
    r.update(advert(1), now=5.0)
    t = r.snapshot(now=8.0)
    assert {n.id: n.available for n in t.nodes} == {"n00": False, "n01": True}
    assert [n.id for n in t.available_only().nodes] == ["n01"]


def test_exclude_degraded_marks_degraded_nodes_unavailable():
    r = reg()
    r.update(advert(0, fidelity_2q=0.9), now=0.0)
    r.update(advert(1), now=0.0)
    assert r.snapshot(now=0.0).meta["degraded_nodes"] == ["n00"]
    assert {n.id: n.available for n in r.snapshot(now=0.0, exclude_degraded=True).nodes} == {"n00": False, "n01": True}
    assert r.snapshot(now=0.0).node("n00").available


def test_version_changes_exactly_when_the_snapshot_does():
    r = reg()
    r.update(advert(0, seq=1, timestamp=1.0), now=0.0)
    v = r.version
    t = r.snapshot(now=0.0)
    assert r.snapshot(now=0.5) is t                                   # cached while nothing changed
    r.update(advert(0, seq=2, timestamp=2.0, queue_depth=3), now=1.0)  # same planner view
    assert r.version == v
    r.update(advert(0, seq=3, fidelity_2q=0.97), now=1.0)
    assert r.version == v + 1
    assert r.snapshot(now=1.0).node("n00").fidelity_2q == 0.97
    r.expire(now=100.0)
    assert r.version == v + 2


def test_record_rtt_is_exposed_and_flags_slow_links():
    r = reg(degraded_link_rtt_ms=50.0)
    r.update(advert(0), now=0.0)
    r.update(advert(1), now=0.0)
    r.record_rtt("n01", "n00", 3.5, now=0.0)
    r.record_rtt("n00", "ghost", 1.0, now=0.0)
    q = r.link_quality()[("n00", "n01")]
    assert (q.a, q.b, q.rtt_ms, q.at) == ("n00", "n01", 3.5, 0.0)
    t = r.snapshot(now=0.0)
    assert t.meta["rtt_ms"] == {"n00|n01": 3.5}
    assert t.meta["degraded_links"] == []
    r.record_rtt("n00", "n01", 80.0, now=1.0)
    assert r.snapshot(now=1.0).meta["degraded_links"] == [["n00", "n01"]]
    with pytest.raises(ValueError):
        r.record_rtt("n00", "n00", 1.0)
    with pytest.raises(ValueError):
        r.record_rtt("n00", "n01", -1.0)


def test_on_change_reports_kinds_and_a_failing_callback_is_isolated():
    r = reg()
    seen = []
    r.on_change.append(lambda kind, entry: seen.append((kind, entry.name if entry else None)))
    r.on_change.insert(0, lambda kind, entry: 1 / 0)
    r.update(advert(0, seq=1), now=0.0)
    r.update(advert(0, seq=2), now=1.0)
    r.update(advert(0, seq=3, fidelity_2q=0.9), now=1.0)
    r.expire(now=50.0)
    r.mark_all_stale()
    r.remove("n00")
    assert seen == [("added", "n00"), ("refreshed", "n00"), ("updated", "n00"), ("expired", "n00"),
                    ("stale", "n00"), ("removed", "n00")]


def test_ttl_must_be_positive():
    with pytest.raises(ValueError):
        Registry(ttl_s=0)
