"""RTT measurement helpers (NFR-004 reporting). No timing thresholds here: benchmarks own those."""

from __future__ import annotations

from hypothesis import given, strategies as st

from qnb.mesh.protocols import PROBE
from qnb.mesh.rpc import call
from qnb.mesh.rtt import measure_raw_rtt, measure_rtt, serve_echo, serve_probe, summarize


@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1, max_size=300))
def test_summary_percentiles_are_nearest_rank(xs):
    s = summarize(xs)
    ordered = sorted(xs)
    assert s["samples"] == len(xs)
    assert s["p50_ms"] in xs and s["p95_ms"] in xs
    assert ordered[0] <= s["p50_ms"] <= s["p95_ms"] <= s["max_ms"] == ordered[-1]
    # nearest rank: at least 95 % of the samples are <= p95
    assert sum(x <= s["p95_ms"] for x in xs) >= 0.95 * len(xs)


def test_summary_of_nothing():
    assert summarize([])["p50_ms"] is None


async def test_measure_rtt_over_probe_and_the_raw_baseline(two_hosts):
    client, server = two_hosts
    serve_probe(server.host, name="srv", quality=lambda: {"fidelity_2q": 0.97, "available": True})
    serve_echo(server.host)
    rtt = await measure_rtt(client.host, server.peer_id, n=20, warmup=2)
    assert rtt["samples"] == 20 and rtt["errors"] == 0
    assert 0 < rtt["p50_ms"] <= rtt["p95_ms"] <= rtt["max_ms"]
    raw = await measure_raw_rtt(client.host, server.peer_id, n=20, warmup=2)
    assert raw["samples"] == 20 and raw["p50_ms"] > 0
    resp, _ = await call(client.host, server.peer_id, PROBE, {"quality": True, "echo": "e"})
    assert (resp["node"], resp["echo"], resp["fidelity_2q"], resp["available"]) == ("srv", "e", 0.97, True)
    plain, _ = await call(client.host, server.peer_id, PROBE, {})
    assert "fidelity_2q" not in plain
