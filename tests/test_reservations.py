"""The event-sourced reservation book (FR-005): decisions, expiry, replay, and its invariants."""

from __future__ import annotations

import json

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule

from qnb.errors import QnbError
from qnb.reservations import (ACTIVE_STATUSES, Event, ReservationBook, ReservationError,
                              ReservationStateError, UnknownReservationError)


def reserve(book, start, end, now=0.0, *, min_fidelity=None, current=0.99, ttl=None, corr=None):
    return book.reserve(operation="exec", start=start, end=end, min_fidelity=min_fidelity,
                        current_fidelity=current, correlation=corr or {}, now=now, ttl_s=ttl)


def kinds(book):
    return [e.kind for e in book.events]


def test_accept_records_request_and_acceptance_with_deterministic_id():
    b = ReservationBook("n1")
    d = reserve(b, 0, 10, corr={"job_id": "j1", "correlation_id": "c1"})
    assert d.accepted and d.reservation_id == "n1:1" and d.reason is None and d.next_window is None
    assert kinds(b) == ["requested", "accepted"]
    assert [e.seq for e in b.events] == [1, 2]
    assert b.events[0].data["correlation"] == {"job_id": "j1", "correlation_id": "c1"}
    assert b.get("n1:1").status == "held"


def test_conflict_offers_the_next_window_of_the_same_length_and_it_is_free():
    b = ReservationBook("n1")
    reserve(b, 0, 10)
    d = reserve(b, 5, 8)
    assert not d.accepted and d.reason == "conflict" and d.reservation_id is None
    assert d.next_window == (10.0, 13.0)       # the blocking window ends at 10
    assert reserve(b, *d.next_window).accepted


def test_next_window_skips_gaps_that_are_too_short():
    b = ReservationBook("n1")
    reserve(b, 0, 10)
    reserve(b, 12, 20)
    assert reserve(b, 5, 8).next_window == (20.0, 23.0)   # [10, 13) would hit [12, 20)
    assert reserve(b, 5, 7).next_window == (10.0, 12.0)   # a 2 s window fits the gap exactly


def test_back_to_back_windows_do_not_conflict():
    b = ReservationBook("n1")
    assert reserve(b, 0, 10).accepted and reserve(b, 10, 20).accepted and reserve(b, -5, 0).accepted


def test_fidelity_requirement_above_the_node_is_rejected_without_a_window():
    b = ReservationBook("n1")
    d = reserve(b, 0, 10, min_fidelity=0.995, current=0.99)
    assert (d.accepted, d.reason, d.next_window) == (False, "fidelity", None)
    assert kinds(b) == ["requested", "rejected"]
    assert reserve(b, 0, 10, min_fidelity=0.99, current=0.99).accepted   # equal is enough


@pytest.mark.parametrize("start, end", [(10, 10), (10, 5)])
def test_empty_or_inverted_window_is_a_value_error(start, end):
    with pytest.raises(ValueError, match="must be after start") as ei:
        reserve(ReservationBook("n1"), start, end)
    assert isinstance(ei.value, QnbError) and ei.value.fields["field"] == "end"


@pytest.mark.parametrize("kw, field", [({"min_fidelity": 1.5}, "min_fidelity"), ({"current": -0.1}, "current_fidelity"),
                                       ({"ttl": 0}, "ttl_s"), ({"now": float("nan")}, "now")])
def test_malformed_requests_name_the_field(kw, field):
    with pytest.raises(ReservationError) as ei:
        reserve(ReservationBook("n1"), 0, 1, **kw)
    assert ei.value.fields["field"] == field


def test_unused_hold_expires_and_frees_the_window():
    b = ReservationBook("n1", default_ttl_s=5)
    rid = reserve(b, 0, 100, now=0).reservation_id
    assert b.expire(4.999) == [] and b.get(rid).status == "held"
    assert b.expire(5.0) == [rid]
    assert b.get(rid).status == "expired" and kinds(b)[-1] == "expired"
    assert reserve(b, 0, 100, now=5.0).accepted


def test_hold_of_a_future_window_runs_from_its_start():
    b = ReservationBook("n1", default_ttl_s=5)
    rid = reserve(b, 100, 110, now=0).reservation_id
    assert b.expire(99) == []
    assert b.expire(105) == [rid]


def test_reserve_expires_stale_holds_first():
    b = ReservationBook("n1", default_ttl_s=5)
    old = reserve(b, 0, 100, now=0).reservation_id
    d = reserve(b, 50, 60, now=6)
    assert d.accepted
    assert kinds(b)[-3:] == ["expired", "requested", "accepted"] and b.events[-3].reservation_id == old


def test_claimed_reservation_does_not_expire_and_release_restarts_the_hold():
    b = ReservationBook("n1", default_ttl_s=5)
    rid = reserve(b, 0, 10, now=0).reservation_id
    b.claim(rid, 1)
    assert b.expire(1000) == [] and b.get(rid).status == "claimed"
    b.release(rid, 1000)
    assert b.get(rid).status == "held" and b.get(rid).hold_until == 1005
    b.claim(rid, 1001)                                 # a second fragment of the same job
    b.release(rid, 1002)
    assert b.expire(1007) == [rid]


def test_complete_and_cancel_free_the_window():
    b = ReservationBook("n1")
    a = reserve(b, 0, 10).reservation_id
    b.claim(a, 1)
    b.complete(a, 2)
    c = reserve(b, 0, 10, now=2).reservation_id
    assert b.cancel(c, 3) is True
    assert b.cancel(c, 4) is False and kinds(b).count("cancelled") == 1   # already ended: no new event
    assert reserve(b, 0, 10, now=4).accepted
    # events: 1 req, 2 acc, 3 claim, 4 complete, 5 req, 6 acc, 7 cancel, 8 req -> id n1:8
    assert [r.id for r in b.active(4)] == ["n1:8"]


def test_invalid_transitions_raise_state_errors():
    b = ReservationBook("n1", default_ttl_s=5)
    rid = reserve(b, 0, 10).reservation_id
    with pytest.raises(ReservationStateError, match="not claimed"):
        b.release(rid, 1)
    with pytest.raises(ReservationStateError, match="it is expired") as ei:
        b.claim(rid, 6)                                # expired at 5 before the claim
    assert ei.value.fields["status"] == "expired"
    with pytest.raises(ReservationStateError):
        b.complete(rid, 7)


def test_unknown_id_is_a_key_error_naming_it():
    b = ReservationBook("n1")
    with pytest.raises(KeyError) as ei:
        b.claim("n1:42", 0)
    assert isinstance(ei.value, UnknownReservationError)
    assert "n1:42" in str(ei.value) and ei.value.to_json()["error"]["type"] == "unknown_reservation"
    with pytest.raises(UnknownReservationError):
        b.cancel("nope", 0)


def test_active_ignores_holds_past_their_time_without_changing_state():
    b = ReservationBook("n1", default_ttl_s=5)
    reserve(b, 0, 10)
    n = len(b.events)
    assert b.active(4) and b.active(5) == []
    assert len(b.events) == n


def test_replay_from_json_rebuilds_the_same_state():
    b = ReservationBook("n1", default_ttl_s=5)
    a = reserve(b, 0, 10, corr={"job_id": "j"}).reservation_id
    reserve(b, 5, 8)
    reserve(b, 0, 1, min_fidelity=1.0, current=0.5)
    b.claim(a, 1)
    b.release(a, 2)
    b.expire(100)
    log = json.loads(json.dumps([e.to_json() for e in b.events]))
    again = ReservationBook.replay("n1", log, default_ttl_s=5)
    assert again.snapshot() == b.snapshot()
    assert again.events == b.events
    # the replayed book continues with the same ids the original would have used
    assert reserve(again, 0, 1, now=100).reservation_id == reserve(b, 0, 1, now=100).reservation_id


def test_replay_rejects_gaps_foreign_ids_and_impossible_transitions():
    b = ReservationBook("n1")
    rid = reserve(b, 0, 10).reservation_id
    b.claim(rid, 1)
    evs = list(b.events)
    with pytest.raises(ReservationError, match="gap"):
        ReservationBook.replay("n1", [evs[0], evs[2]])
    with pytest.raises(ReservationError, match="does not belong"):
        ReservationBook.replay("n2", evs)
    bad = [evs[0], Event(2, "claimed", rid, 1.0, {})]      # claimed before accepted
    with pytest.raises(ReservationError, match="not valid"):
        ReservationBook.replay("n1", bad)


def test_snapshot_without_history_lists_only_active():
    b = ReservationBook("n1", default_ttl_s=5)
    reserve(b, 0, 10)
    reserve(b, 20, 30)
    b.expire(6)
    snap = b.snapshot(include_history=False)
    assert [r["id"] for r in snap["reservations"]] == ["n1:3"]
    assert snap["counts"] == {"expired": 1, "held": 1}
    json.dumps(b.snapshot())   # JSON-able


# ------------------------------------------------------------------ stateful property test
class BookMachine(RuleBasedStateMachine):
    """Random command sequences against one book, checking FR-005's invariants after every step."""

    ids = Bundle("ids")

    def __init__(self) -> None:
        super().__init__()
        self.book = ReservationBook("nX", default_ttl_s=10.0)
        self.now = 0.0

    @rule(dt=st.floats(0, 40, allow_nan=False))
    def advance(self, dt):
        self.now += dt

    @rule(target=ids, offset=st.floats(-10, 60, allow_nan=False), length=st.floats(0.25, 20, allow_nan=False),
          ttl=st.one_of(st.none(), st.floats(0.5, 30, allow_nan=False)),
          min_f=st.one_of(st.none(), st.floats(0, 1)), current=st.floats(0.5, 1))
    def reserve(self, offset, length, ttl, min_f, current):
        start = self.now + offset
        end = start + length
        if end <= start:          # float absorption for huge start values; not a case under test
            return "none"
        d = self.book.reserve(operation="exec", start=start, end=end, min_fidelity=min_f, current_fidelity=current,
                              correlation={"job_id": "j"}, now=self.now, ttl_s=ttl)
        if d.accepted:
            return d.reservation_id
        if min_f is not None and min_f > current:
            assert d.reason == "fidelity" and d.next_window is None
            return "none"
        assert d.reason == "conflict"
        a, b = d.next_window
        assert a >= start and b - a == pytest.approx(length)
        # the offered window is actually free: reserving it immediately succeeds
        d2 = self.book.reserve(operation="exec", start=a, end=b, min_fidelity=min_f, current_fidelity=current,
                               correlation={"job_id": "j"}, now=self.now, ttl_s=ttl)
        assert d2.accepted, (d, d2)
        return d2.reservation_id

    def _status(self, rid):
        try:
            return self.book.get(rid).status
        except UnknownReservationError:
            return None

    @rule(rid=ids)
    def claim(self, rid):
        if rid == "none":
            return
        self.book.expire(self.now)               # claim expires first; model the same
        ok = self._status(rid) == "held"
        try:
            self.book.claim(rid, self.now)
            assert ok
        except ReservationStateError:
            assert not ok

    @rule(rid=ids)
    def release(self, rid):
        if rid == "none":
            return
        ok = self._status(rid) == "claimed"
        try:
            self.book.release(rid, self.now)
            assert ok and self.book.get(rid).hold_until == self.now + self.book.get(rid).ttl_s
        except ReservationStateError:
            assert not ok

    @rule(rid=consumes(ids))
    def complete(self, rid):
        if rid == "none":
            return
        ok = self._status(rid) in ACTIVE_STATUSES
        try:
            self.book.complete(rid, self.now)
            assert ok
        except ReservationStateError:
            assert not ok

    @rule(rid=consumes(ids))
    def cancel(self, rid):
        if rid == "none":
            return
        was_active = self._status(rid) in ACTIVE_STATUSES
        assert self.book.cancel(rid, self.now) is was_active
        assert self._status(rid) in ("cancelled", "expired", "completed")

    @rule()
    def expire(self):
        n = len(self.book.events)
        due = self.book.expire(self.now)
        new = self.book.events[n:]
        # every expiry releases: one "expired" event per id, and the reservation no longer holds
        assert [e.reservation_id for e in new] == due and all(e.kind == "expired" for e in new)
        for rid in due:
            assert self.book.get(rid).status == "expired"
        assert not any(r.status == "held" and r.hold_until <= self.now for r in self.book.active(float("-inf")))

    @invariant()
    def active_windows_never_overlap(self):
        act = [r for r in self.book.snapshot()["reservations"] if r["status"] in ACTIVE_STATUSES]
        for i, a in enumerate(act):
            for b in act[i + 1:]:
                assert a["end"] <= b["start"] or b["end"] <= a["start"], (a, b)

    @invariant()
    def replay_rebuilds_identical_state(self):
        again = ReservationBook.replay("nX", [e.to_json() for e in self.book.events], default_ttl_s=10.0)
        assert again.snapshot() == self.book.snapshot()

    @invariant()
    def log_is_gapless(self):
        assert [e.seq for e in self.book.events] == list(range(1, len(self.book.events) + 1))


BookMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
test_book_invariants = BookMachine.TestCase
