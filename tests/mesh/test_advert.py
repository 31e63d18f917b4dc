"""Advertisement records (FR-001): wire round trip, semantic rejection, topology conversion."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from mesh_builders import PEERS, advert, adverts
from qnb.errors import ProtocolError
from qnb.mesh.advert import Advertisement, LinkAdvert, links_from_topology
from qnb.mesh.protocols import PROTOCOL_VERSION
from qnb.topology import NodeSpec, TopologyBuilder, load_topology


@settings(max_examples=60, deadline=None)
@given(adverts())
def test_wire_round_trip(a):
    assert Advertisement.from_json(a.to_json()) == a


def test_gates_are_sorted_and_unique_in_the_record():
    a = advert(0, gates=("x", "h", "cx", "h"))
    assert a.gates == ("cx", "h", "x")
    assert a.to_json()["gates"] == ["cx", "h", "x"]


def test_unknown_gate_is_rejected_by_name():
    record = advert(0).to_json()
    record["gates"] = ["h", "warp_drive"]
    with pytest.raises(ProtocolError) as e:
        Advertisement.from_json(record)
    assert "warp_drive" in e.value.message
    assert e.value.fields["field"] == "advert.gates"


def test_measure_and_reset_may_be_listed_besides_gates():
    record = advert(0).to_json()
    record["gates"] = ["h", "measure", "reset"]
    assert Advertisement.from_json(record).gates == ("h", "measure", "reset")


def test_incompatible_major_version_is_rejected_and_minor_accepted():
    major = int(PROTOCOL_VERSION.split(".")[0])
    record = advert(0).to_json()
    record["protocol_version"] = f"{major + 1}.0.0"
    with pytest.raises(ProtocolError) as e:
        Advertisement.from_json(record)
    assert e.value.code == "version"
    record["protocol_version"] = f"{major}.99.3"
    assert Advertisement.from_json(record).protocol_version == f"{major}.99.3"


def test_quantum_node_without_qubits_is_rejected_but_an_optimizer_may_have_none():
    record = advert(0, qubit_range=(0, 0)).to_json()
    with pytest.raises(ProtocolError, match="needs max >= 1 qubit"):
        Advertisement.from_json(record)
    record["service_type"] = "optimizer"
    record["gates"] = []
    a = Advertisement.from_json(record)
    assert not a.is_quantum


def test_non_object_record_is_a_protocol_error():
    with pytest.raises(ProtocolError, match="advert: must be an object"):
        Advertisement.from_json(["not", "a", "record"])


def test_node_spec_round_trip_keeps_every_planner_field():
    spec = NodeSpec(id="qpu-a", qubits=6, gates=frozenset({"h", "cx", "rz"}), fidelity_1q=0.999, fidelity_2q=0.97,
                    fidelity_readout=0.96, duration_1q_ns=20.0, duration_2q_ns=250.0, duration_readout_ns=800.0,
                    region="eu", price_per_shot=0.002, service_type="simulator", available=False)
    a = Advertisement.from_node_spec(spec, PEERS[1], seq=4, timestamp=12.0, addrs=["/ip4/1.2.3.4/tcp/1"])
    assert (a.name, a.node_id, a.seq, a.qubit_range, a.capacity) == ("qpu-a", PEERS[1], 4, (1, 6), 6)
    assert a.to_node_spec() == spec
    assert a.to_node_spec(available=True).available is True


def test_links_from_topology_lists_each_neighbour_once():
    topo = (TopologyBuilder("t").node("a", 2).node("b", 2).node("c", 2)
            .link("a", "b", latency_ms=1.5, fidelity=0.97).link("c", "a", ebit_rate_hz=50.0).build())
    links = links_from_topology(topo, "a")
    assert links == (LinkAdvert("b", 1.5, 0.97, 1000.0), LinkAdvert("c", 0.5, 0.98, 50.0))
    assert links_from_topology(topo, "b") == (LinkAdvert("a", 1.5, 0.97, 1000.0),)


def test_next_increments_seq_and_applies_changes():
    a = advert(0, seq=7)
    b = a.next(fidelity_2q=0.9, timestamp=99.0)
    assert (b.seq, b.fidelity_2q, b.timestamp, b.name) == (8, 0.9, 99.0, a.name)


def test_every_bundled_generator_node_is_advertisable():
    topo = load_topology("random:6:3:1")
    for i, spec in enumerate(topo.nodes):
        a = Advertisement.from_node_spec(spec, PEERS[i], links=links_from_topology(topo, spec.id))
        assert Advertisement.from_json(a.to_json()).to_node_spec() == spec
