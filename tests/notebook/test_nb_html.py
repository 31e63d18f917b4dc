"""Static renderings used by every view and by viewers without a widget manager (NB-3)."""

from __future__ import annotations

import re
import time

from qnb.notebook.html import counts_html, dag_layout, dag_svg, legend_html
from qnb.render import node_color
from qnb.notebook.widgets.fidelity import latest_quality
from qnb.notebook.widgets.gantt import reservation_windows
from qnb.runtime.job import FragmentRun


def _frags(*specs):
    return tuple(FragmentRun(i, node, "local", 3, status, planned_node=planned)
                 for i, (node, status, planned) in enumerate(specs))


def test_layout_places_successors_to_the_right():
    edges = [(0, 1), (0, 2), (1, 3), (2, 3), (3, 4)]
    pos = dag_layout([0, 1, 2, 3, 4], edges)
    for a, b in edges:
        assert pos[a][0] < pos[b][0], (a, b, pos)
    assert pos[1][0] == pos[2][0] and pos[1][1] != pos[2][1]     # siblings share a layer, not a spot


def test_dag_svg_fills_by_node_and_marks_moved_fragments():
    frags = _frags(("n00", "done", None), ("n01", "done", None), ("n02", "moved", "n01"), ("n00", "pending", None))
    svg = dag_svg(frags, [(0, 1), (1, 2), (2, 3)], nodes=["n00", "n01", "n02"])
    groups = re.findall(r"<g class='qnb-frag'[^>]*>.*?</g>", svg)
    assert len(groups) == 4
    fills = {re.search(r"data-node='(\w+)'", g).group(1): re.search(r"fill='(#\w+)'", g).group(1) for g in groups}
    assert len(set(fills.values())) == 3                      # one colour per distinct node
    moved = next(g for g in groups if "data-status='moved'" in g)
    assert "stroke-dasharray" in moved and "planned on n01" in moved
    assert svg.count("<line ") == 3                           # one arrow per dependency


def test_dag_svg_without_fragments_says_so():
    assert "no fragments yet" in dag_svg((), [])


def test_counts_html_shows_every_outcome_with_share():
    html = counts_html({"00": 510, "11": 490}, shots=1000)
    assert html.count("class='qnb-bar'") == 2
    assert "51.0%" in html and "49.0%" in html


def test_counts_html_truncates_to_most_frequent():
    counts = {format(i, "05b"): i + 1 for i in range(32)}
    html = counts_html(counts, max_bars=4)
    assert html.count("class='qnb-bar'") == 4
    assert "11111" in html and "00000" not in html and "28 more outcomes" in html


def test_reservation_windows_fold_events_into_final_status():
    t = 1_700_000_000.0
    rows = [
        {"node": "n00", "reservation_id": "r1", "kind": "accepted", "at": t, "job_id": "j1",
         "window_start": t + 1, "window_end": t + 2},
        {"node": "n01", "reservation_id": "r2", "kind": "rejected", "at": t + 0.1, "job_id": "j1",
         "window_start": t + 1.5, "window_end": t + 2.5},
        {"node": "n00", "reservation_id": "r1", "kind": "expired", "at": t + 3, "job_id": "j1",
         "window_start": None, "window_end": None},
    ]
    windows = {w["reservation_id"]: w for w in reservation_windows(rows)}
    assert windows["r1"]["status"] == "expired" and windows["r1"]["kinds"] == ["accepted", "expired"]
    assert windows["r1"]["outcome"] == "expired"
    assert windows["r2"]["status"] == windows["r2"]["outcome"] == "rejected"
    assert windows["r1"]["start"] == 0.0 and windows["r1"]["end"] == 1.0     # relative to the first window
    assert windows["r2"]["start"] == 0.5


def test_latest_quality_keeps_the_newest_sample_per_node_and_link():
    now = time.time()
    samples = [
        {"kind": "node", "at": now, "node": "n00", "fidelity_2q": 0.99, "degraded": False},
        {"kind": "link", "at": now, "a": "n00", "b": "n01", "rtt_ms": 1.5, "fidelity": 0.99},
        {"kind": "node", "at": now + 1, "node": "n00", "fidelity_2q": 0.90, "degraded": True},
    ]
    nodes, links = latest_quality(samples)
    assert nodes["n00"]["fidelity_2q"] == 0.90 and nodes["n00"]["degraded"] is True
    assert links == {"n00-n01": 1.5}


def test_reservation_ids_reused_after_restart_open_new_windows_and_filter_by_job():
    t = 1_700_000_000.0
    rows = [  # the node's book restarts numbering on a new mesh writing into the same store
        {"node": "n00", "reservation_id": "n00:1", "seq": 1, "kind": "requested", "ts": t, "job_id": "old",
         "window_start": t, "window_end": t + 1},
        {"node": "n00", "reservation_id": "n00:1", "seq": 2, "kind": "released", "ts": t + 1, "job_id": None,
         "window_start": None, "window_end": None},
        {"node": "n00", "reservation_id": "n00:1", "seq": 1, "kind": "requested", "ts": t + 10, "job_id": "new",
         "window_start": t + 10, "window_end": t + 12},
        {"node": "n00", "reservation_id": "n00:1", "seq": 2, "kind": "accepted", "ts": t + 10, "job_id": None,
         "window_start": None, "window_end": None},
    ]
    both = reservation_windows(rows)
    assert [(w["job_id"], w["status"]) for w in both] == [("old", "released"), ("new", "accepted")]
    assert len({w["reservation_id"] for w in both}) == 1     # same id, two reservations
    (new,) = reservation_windows(rows, job_id="new")
    assert new["kinds"] == ["requested", "accepted"] and new["start"] == 0.0 and new["end"] == 2.0


def test_outcome_prefers_rejection_and_expiry_then_use():
    t = 1_700_000_000.0

    def events(rid, *kinds):
        return [{"node": "n00", "reservation_id": rid, "seq": i + 1, "kind": k, "ts": t + i, "job_id": "j",
                 "window_start": t, "window_end": t + 5} for i, k in enumerate(kinds)]
    rows = events("a", "requested", "accepted", "claimed", "released", "cancelled") + \
        events("b", "requested", "accepted", "expired") + events("c", "requested", "accepted", "cancelled")
    out = {w["reservation_id"]: w["outcome"] for w in reservation_windows(rows)}
    assert out == {"a": "used", "b": "expired", "c": "cancelled"}


def test_legend_uses_the_palette_order_of_the_drawing():
    order = ["n00", "n01", "n02"]
    legend = legend_html(["n02"], order)
    assert node_color("n02", order) in legend
    assert node_color("n02", order) != node_color("n02", ["n02"])    # so the order really matters
