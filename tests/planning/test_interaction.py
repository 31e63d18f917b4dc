"""The interaction hypergraph: diagonal blocks become rooted hyperedges (FR-004)."""

from qnb.planning.interaction import build_hypergraph

from .helpers import circuit, ghz, op


def edges(c):
    hg = build_hypergraph(c)
    return {ps: w for ps, w in zip(hg.pins, hg.weights)}


def test_ghz_chain_is_a_path_of_two_pin_edges():
    assert edges(ghz(4)) == {(0, 1): 1.0, (1, 2): 1.0, (2, 3): 1.0}


def test_one_block_collects_all_partners_until_a_non_diagonal_gate():
    c = circuit(4, op("cx", 0, 1), op("rz", 0), op("cz", 0, 2), op("h", 0), op("cx", 0, 3))
    assert edges(c) == {(0, 1, 2): 1.0, (0, 3): 1.0}


def test_repeated_blocks_with_the_same_pins_are_merged_by_weight():
    c = circuit(2, op("cx", 0, 1), op("h", 0), op("cx", 0, 1), op("h", 0), op("cx", 0, 1))
    assert edges(c) == {(0, 1): 3.0}


def test_non_diagonal_partner_gives_a_weight_two_edge():
    assert edges(circuit(2, op("swap", 0, 1))) == {(0, 1): 2.0}


def test_incidence_lists_every_edge_of_each_vertex():
    hg = build_hypergraph(circuit(4, op("cx", 0, 1), op("cz", 0, 2), op("cx", 3, 2)))
    for v in range(4):
        assert hg.incident[v] == tuple(e for e, ps in enumerate(hg.pins) if v in ps)


def test_clique_expansion_is_symmetric():
    hg = build_hypergraph(circuit(4, op("cx", 0, 1), op("cz", 0, 2), op("cx", 3, 2)))
    adj = hg.neighbours()
    for u in range(4):
        for v, w in adj[u].items():
            assert adj[v][u] == w
