"""Topologies: the bundled TOML files, the generator specs and their errors (docs/topology.md)."""

import shutil
import subprocess
import sys

import pytest

from qnb.errors import TopologyError
from qnb.topology import DATA_DIR, from_toml, generate, load_topology

BUNDLED = {  # name: (nodes, qubit slots) as written in the files
    "hetero5": (5, 8 + 6 + 6 + 4 + 5),
    "mesh10": (10, 51),
    "a2a_2x4": (2, 8),
    "a2a_3x4": (3, 12),
    "a2a_4x4": (4, 16),
}


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_bundled_files_load_by_name_and_by_path(name):
    topo = load_topology(name)
    assert (len(topo.nodes), topo.total_qubits) == BUNDLED[name]
    assert topo.name == name
    assert load_topology(DATA_DIR / "topologies" / f"{name}.toml") == topo
    ids = [n.id for n in topo.nodes]
    for a in ids:                                   # every bundled mesh is connected
        for b in ids:
            assert topo.path_cost(a, b) is not None


def test_hetero5_is_heterogeneous():
    t = load_topology("hetero5")
    assert sorted({n.qubits for n in t.nodes}) == [4, 5, 6, 8]
    assert "ccx" not in t.node("gamma").gates and "ccx" in t.node("alpha").gates
    assert "swap" not in t.node("epsilon").gates
    assert len({n.region for n in t.nodes}) >= 3 and len({n.price_per_shot for n in t.nodes}) == 5
    assert t.link("delta", "epsilon") is None
    path = t.path_cost("delta", "epsilon")          # via beta: 1.2 + 2.5 ms, 0.970 * 0.955
    assert path.hops == 2 and path.latency_ms == pytest.approx(3.7) and path.fidelity == pytest.approx(0.970 * 0.955)


def test_all_to_all_files_equal_the_generator_up_to_name():
    for k in (2, 3, 4):
        f, g = load_topology(f"a2a_{k}x4"), generate(f"all-to-all:{k}:4")
        assert f.nodes == g.nodes and f.links == g.links


def test_mesh100_is_regenerated_byte_for_byte(tmp_path):
    src = DATA_DIR / "topologies"
    shutil.copy(src / "gen_mesh100.py", tmp_path / "gen_mesh100.py")
    subprocess.run([sys.executable, str(tmp_path / "gen_mesh100.py")], check=True)
    assert (tmp_path / "mesh100.toml").read_bytes() == (src / "mesh100.toml").read_bytes()
    t = load_topology("mesh100")
    assert len(t.nodes) == 100 and len(t.links) == 180 + 20
    assert all(4 <= n.qubits <= 8 for n in t.nodes)
    assert t.path_cost("n00", "n99").hops <= 18    # the grid alone needs 18 hops; chords may shorten it


@pytest.mark.parametrize("spec, nodes, links", [
    ("all-to-all:4:3", 4, 6), ("line:4:2", 4, 3), ("ring:5:1", 5, 5), ("ring:2:1", 2, 1),
    ("grid:2x3:4", 6, 7), ("all-to-all:1:5", 1, 0),
])
def test_generators(spec, nodes, links):
    t = generate(spec)
    assert (len(t.nodes), len(t.links)) == (nodes, links)
    assert load_topology(spec) == t


def test_generator_geometry():
    line = generate("line:4:2")
    assert line.path_cost("n00", "n03").hops == 3
    assert generate("ring:6:1").path_cost("n00", "n05").hops == 1
    assert generate("grid:3x3:1").path_cost("n00", "n08").hops == 4
    r1, r2 = generate("random:8:4:7"), generate("random:8:4:7")
    assert r1 == r2 and r1 != generate("random:8:4:8")
    assert all(r1.path_cost("n00", n.id) is not None for n in r1.nodes)


@pytest.mark.parametrize("spec, fragment", [
    ("all-to-all:x:4", "K must be an integer"), ("line:0:4", "K must be >= 1"), ("blah:1:2", "unknown topology"),
    ("grid:23:4", "grid size must look like RxC"), ("random:3:3:z", "SEED must be an integer"),
    ("nosuchfile.toml", "not found"),
])
def test_bad_spec_strings(spec, fragment):
    with pytest.raises(TopologyError, match=fragment):
        load_topology(spec)


NODE = '[[node]]\nid = "a"\nqubits = 2\n'


@pytest.mark.parametrize("text, fragment", [
    (NODE + "colour = 'red'\n", r"unknown key\(s\) \['colour'\]"),
    ('[[node]]\nid = "a"\nqubits = 2\nfidelity_2q = 1.5\n', "fidelity_2q must be in \\(0, 1\\], got 1.5"),
    (NODE + '[[link]]\na = "a"\nb = "zz"\n', "unknown node 'zz'"),
    (NODE + '[[link]]\na = "a"\nb = "a"\n', "connects a node to itself"),
    (NODE + 'gates = ["h", "warp"]\n', r"unknown gate\(s\) \['warp'\]"),
    ('[[node]]\nid = "a"\n', "needs 'id' and 'qubits'"),
    (NODE + NODE, r"duplicate node id\(s\) \['a'\]"),
    ("name = ", "invalid TOML"),
    ('name = "x"\n', r"no \[\[node\]\] entries"),
    ('[[node]]\nid = "a"\nqubits = 0\n', "qubits must be >= 1"),
])
def test_toml_errors_name_the_problem(text, fragment):
    with pytest.raises(TopologyError, match=fragment):
        from_toml(text, name="t")


def test_defaults_and_all_to_all_expansion():
    t = from_toml('all_to_all = true\n[defaults.node]\nqubits = 3\nfidelity_2q = 0.97\n'
                  '[defaults.link]\nlatency_ms = 2.0\n[[node]]\nid = "a"\n[[node]]\nid = "b"\nqubits = 5\n'
                  '[[node]]\nid = "c"\n[[link]]\na = "a"\nb = "b"\nfidelity = 0.9\n')
    assert [n.qubits for n in t.nodes] == [3, 5, 3] and {n.fidelity_2q for n in t.nodes} == {0.97}
    assert t.link("a", "b").fidelity == 0.9 and t.link("a", "b").latency_ms == 2.0  # explicit link kept
    assert t.link("b", "c").latency_ms == 2.0 and t.link("a", "c") is not None      # the rest generated
