"""A store shared by several runs (FR-002, FR-010): cached nodes of another run never count against this mesh.

The default store lives in the user's data dir and is shared by every run, so its registry cache
holds nodes of earlier meshes. They are reloaded stale (a restarted coordinator needs them to
plan recovered jobs) but are not part of the planner's view, do not degrade health, and are
dropped from the live registry once they fail to re-advertise; their cache rows stay, stale.
"""

from __future__ import annotations

from qnb.testing import small_mesh, wait_for


def test_cached_nodes_of_an_earlier_run_are_ghosts_not_unavailable_nodes(tmp_path):
    store = str(tmp_path / "shared.duckdb")
    with small_mesh(nodes=5, qubits_per_node=3, store=store) as first:
        assert len(first.nodes()) == 5

    with small_mesh(nodes=2, qubits_per_node=3, store=store) as mesh:
        names = {n.id for n in mesh.topology_snapshot().nodes}
        assert names == {"n00", "n01"}                      # the planner never sees n02..n04
        health = mesh.health()
        assert health.components["registry"].detail == "2/2 nodes fresh and available"
        res = mesh.run("ghz_5", shots=64, seed=3, timeout=60)
        assert res.ok and sum(res.counts.values()) == 64
        wait_for(lambda: [r["name"] for r in mesh.nodes()] == ["n00", "n01"], timeout=15,
                 what="ghost entries dropped from the live registry")
        # the cache keeps every identity it saw; only this run's two nodes have a fresh row
        fresh = {r[0] for r in mesh.sql("select name from registry_cache where not stale").rows}
        cached = {r[0] for r in mesh.sql("select name from registry_cache").rows}
        assert fresh == {"n00", "n01"} and cached == {"n00", "n01", "n02", "n03", "n04"}
