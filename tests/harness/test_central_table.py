"""The centralized baseline's reservation table (FR-005 central variant): never overlapping windows."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qnb.runtime.central_table import CENTRAL_PREFIX, CentralReservationTable

windows = st.lists(st.tuples(st.sampled_from(["a", "b"]), st.floats(0, 100), st.floats(0.01, 20)),
                   min_size=1, max_size=30)


@given(windows, st.data())
def test_windows_never_overlap_and_keep_their_length(reqs, data):
    t = CentralReservationTable()
    held = []
    for node, start, length in reqs:
        r = t.reserve(node, start, start + length, job_id="j")
        assert r.start >= start                         # never earlier than asked
        assert r.end - r.start == pytest.approx(length)
        held.append(r)
        if held and data.draw(st.booleans()):
            victim = held.pop(data.draw(st.integers(0, len(held) - 1)))
            assert t.release(victim.reservation_id)             # a non-empty log entry
    for node in ("a", "b"):
        ws = t.windows(node)
        assert all(e1 <= s2 + 1e-9 for (_, e1), (s2, _) in zip(ws, ws[1:]))
    assert len(t) == len(held)


def test_conflict_moves_to_the_earliest_free_window():
    t = CentralReservationTable()
    a = t.reserve("n0", 10, 20)
    b = t.reserve("n0", 25, 30)
    c = t.reserve("n0", 12, 16)          # overlaps a; 4 s fit in the gap 20..25
    assert (c.start, c.end) == (20, 24)
    d = t.reserve("n0", 12, 18)          # 6 s: 24..25 too short, 30.. fits
    assert (d.start, d.end) == (30, 36)
    e = t.reserve("n1", 12, 18)          # another node is independent
    assert (e.start, e.end) == (12, 18)
    assert a.reservation_id.startswith(CENTRAL_PREFIX) and len({a.reservation_id, b.reservation_id,
                                                                  c.reservation_id}) == 3


def test_release_and_expire():
    t = CentralReservationTable()
    a = t.reserve("n0", 0, 5, now=0)
    t.reserve("n0", 5, 10, now=0)
    assert [e["kind"] for e in t.release(a.reservation_id, now=1)] == ["cancelled"]
    assert t.release(a.reservation_id) == []
    assert t.reserve("n0", 0, 5, now=1).start == 0   # the freed window is reusable
    gone = t.expire(now=7)                             # only the window that ended by t=7
    assert [(n, e["kind"]) for n, e in gone] == [("n0", "expired")]
    assert t.windows("n0") == [(5, 10)]


def test_the_log_is_an_event_sourced_record_per_node():
    t = CentralReservationTable()
    a = t.reserve("n0", 10, 20, job_id="j1", now=1)
    b = t.reserve("n0", 12, 14, job_id="j2", now=2)     # moved to 20..22
    t.reserve("n1", 0, 1, job_id="j2", now=2)
    t.release(a.reservation_id, now=3)
    assert [e["kind"] for e in a.events] == ["requested", "accepted"]
    assert b.events[0]["data"]["correlation"]["job_id"] == "j2" and b.events[1]["data"]["moved"] is True
    for node in ("n0", "n1"):
        seqs = [e["seq"] for n, e in t.events if n == node]
        assert seqs == list(range(1, len(seqs) + 1))   # gapless per node, like a node's book
    assert [e["kind"] for n, e in t.events if n == "n0"] == ["requested", "accepted", "requested", "accepted",
                                                            "cancelled"]
    with pytest.raises(ValueError, match="empty window"):
        t.reserve("n0", 3, 3)
