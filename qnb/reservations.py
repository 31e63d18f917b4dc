"""One node's event-sourced reservation book (FR-005).

Every change is an :class:`Event` appended to the book's log; the state (reservations and their
status) is only ever changed by applying an event, so ``ReservationBook.replay(node_id, events)``
rebuilds exactly the same book (the store keeps the log in ``reservation_events``). Times are
floats in seconds on a clock the caller passes as ``now``; the book never reads a clock itself,
which keeps it deterministic and testable.

Life of a reservation (docs/reservations.md)::

    requested -> rejected                    (fidelity too high for the node, or window conflict)
    requested -> accepted = held --claim--> claimed --release--> held ... --complete--> completed
                            held --cancel--> cancelled       held --expire(now)--> expired

* A *held* reservation is kept until ``hold_until = max(now, start) + ttl``: the window must be
  claimed within ``ttl`` seconds of opening (or of acceptance, for a window already open),
  otherwise ``expire(now)`` frees it with an ``expired`` event.
* ``claim`` marks it in use; a claimed reservation never expires. ``release`` ends that use (one
  fragment done) and puts it back on hold with a fresh ``ttl``, so a job with several fragments on
  the node can claim it again. ``complete`` and ``cancel`` end it for good.
* Held and claimed reservations are *active*: their windows ``[start, end)`` never overlap. A
  request that overlaps one is rejected with ``next_window``, the earliest window of the same
  length starting at or after the requested start that is free now.
* Reservation ids are ``"<node_id>:<seq>"`` (the seq of the ``requested`` event), so replays agree.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Mapping

from .errors import QnbError

__all__ = ["ReservationBook", "Reservation", "Decision", "Event", "EVENT_KINDS", "ACTIVE_STATUSES",
           "ReservationError", "UnknownReservationError", "ReservationStateError"]

EVENT_KINDS = ("requested", "accepted", "rejected", "claimed", "released", "completed", "cancelled", "expired")
ACTIVE_STATUSES = frozenset({"held", "claimed"})
_TERMINAL = {"completed": "completed", "cancelled": "cancelled", "expired": "expired"}


class ReservationError(QnbError, ValueError):
    """A malformed reservation request (bad window, fidelity or ttl)."""

    type = "reservation_error"


class UnknownReservationError(QnbError, KeyError):
    """No reservation with that id on this node."""

    type = "unknown_reservation"


class ReservationStateError(QnbError):
    """The operation is not allowed in the reservation's current status (e.g. claim after expiry)."""

    type = "reservation_state"


@dataclass(frozen=True)
class Event:
    """One entry of the append-only log. ``seq`` starts at 1 and has no gaps."""

    seq: int
    kind: str
    reservation_id: str
    at: float
    data: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"seq": self.seq, "kind": self.kind, "reservation_id": self.reservation_id, "at": self.at,
                "data": self.data}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "Event":
        return cls(int(d["seq"]), str(d["kind"]), str(d["reservation_id"]), float(d["at"]), dict(d.get("data") or {}))


@dataclass(frozen=True)
class Decision:
    """The answer to a reserve request (the RESERVE response carries these fields)."""

    accepted: bool
    reservation_id: str | None
    reason: str | None = None                       # "fidelity" | "conflict" when rejected
    next_window: tuple[float, float] | None = None  # only for "conflict"

    def to_json(self) -> dict:
        return {"accepted": self.accepted, "reservation_id": self.reservation_id, "reason": self.reason,
                "next_window": list(self.next_window) if self.next_window else None}


@dataclass
class Reservation:
    id: str
    operation: str
    start: float
    end: float
    min_fidelity: float | None
    correlation: dict
    requested_at: float
    ttl_s: float
    status: str = "requested"      # requested | rejected | held | claimed | completed | cancelled | expired
    hold_until: float | None = None
    claimed_at: float | None = None
    ended_at: float | None = None
    reason: str | None = None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def overlaps(self, start: float, end: float) -> bool:
        return self.start < end and start < self.end

    def to_json(self) -> dict:
        return asdict(self)


def _finite(name: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ReservationError(f"{name} must be a finite number, got {v!r}", field=name)
    return float(v)


def _fraction(name: str, v: Any) -> float:
    v = _finite(name, v)
    if not 0.0 <= v <= 1.0:
        raise ReservationError(f"{name} must be in [0, 1], got {v!r}", field=name)
    return v


class ReservationBook:
    """Reservations of one node, rebuilt from and recorded as an append-only event log."""

    def __init__(self, node_id: str, *, default_ttl_s: float = 30.0) -> None:
        if not isinstance(node_id, str) or not node_id:
            raise ReservationError(f"node_id must be a non-empty string, got {node_id!r}", field="node_id")
        ttl = _finite("default_ttl_s", default_ttl_s)
        if ttl <= 0:
            raise ReservationError(f"default_ttl_s must be > 0, got {default_ttl_s!r}", field="default_ttl_s")
        self.node_id = node_id
        self.default_ttl_s = ttl
        self._events: list[Event] = []
        self._res: dict[str, Reservation] = {}

    # ================================================================ queries
    @property
    def events(self) -> tuple[Event, ...]:
        """The whole log, oldest first (a copy: the log itself only grows through commands)."""
        return tuple(self._events)

    def events_since(self, seq: int) -> list[Event]:
        """Events with ``seq`` greater than ``seq`` (for incremental persistence)."""
        return self._events[max(0, seq):]

    @property
    def seq(self) -> int:
        return len(self._events)

    def get(self, reservation_id: str) -> Reservation:
        try:
            return self._res[reservation_id]
        except KeyError:
            raise UnknownReservationError(f"node {self.node_id}: unknown reservation id {reservation_id!r}",
                                          reservation_id=reservation_id) from None

    def active(self, now: float) -> list[Reservation]:
        """Reservations holding their window at ``now`` (claimed, or held and not yet past hold)."""
        return [r for r in self._res.values()
                if r.status == "claimed" or (r.status == "held" and r.hold_until > now)]

    def snapshot(self, include_history: bool = True) -> dict:
        """JSON-able state; ``include_history=False`` lists only active reservations."""
        rs = [r.to_json() for r in self._res.values() if include_history or r.active]
        counts: dict[str, int] = {}
        for r in self._res.values():
            counts[r.status] = counts.get(r.status, 0) + 1
        return {"node_id": self.node_id, "seq": self.seq, "default_ttl_s": self.default_ttl_s,
                "counts": dict(sorted(counts.items())), "reservations": rs}

    # =============================================================== commands
    def reserve(self, *, operation: str, start: float, end: float, min_fidelity: float | None,
                current_fidelity: float, correlation: dict, now: float, ttl_s: float | None = None) -> Decision:
        """Accept the window or say why not; a conflict comes with the next free window."""
        if not isinstance(operation, str) or not operation:
            raise ReservationError(f"operation must be a non-empty string, got {operation!r}", field="operation")
        start, end, now = _finite("start", start), _finite("end", end), _finite("now", now)
        if end <= start:
            raise ReservationError(f"reservation window end ({end}) must be after start ({start})", field="end")
        if min_fidelity is not None:
            min_fidelity = _fraction("min_fidelity", min_fidelity)
        current_fidelity = _fraction("current_fidelity", current_fidelity)
        ttl = self.default_ttl_s if ttl_s is None else _finite("ttl_s", ttl_s)
        if ttl <= 0:
            raise ReservationError(f"ttl_s must be > 0, got {ttl_s!r}", field="ttl_s")
        if correlation is None:
            correlation = {}
        if not isinstance(correlation, Mapping):
            raise ReservationError(f"correlation must be an object, got {type(correlation).__name__}",
                                   field="correlation")

        self.expire(now)
        rid = f"{self.node_id}:{self.seq + 1}"
        self._emit("requested", rid, now, {
            "operation": operation, "start": start, "end": end, "min_fidelity": min_fidelity,
            "current_fidelity": current_fidelity, "correlation": dict(correlation), "ttl_s": ttl})
        if min_fidelity is not None and min_fidelity > current_fidelity:
            self._emit("rejected", rid, now, {"reason": "fidelity", "next_window": None})
            return Decision(False, None, "fidelity", None)
        blocking = [r for r in self._res.values() if r.active and r.id != rid and r.overlaps(start, end)]
        if blocking:
            nxt = self._next_window(start, end - start)
            self._emit("rejected", rid, now, {"reason": "conflict", "next_window": list(nxt),
                                              "conflicts": [r.id for r in blocking]})
            return Decision(False, None, "conflict", nxt)
        self._emit("accepted", rid, now, {"hold_until": max(now, start) + ttl})
        return Decision(True, rid, None, None)

    def claim(self, reservation_id: str, now: float) -> Reservation:
        """Mark a held reservation as in use (it will not expire while claimed)."""
        now = _finite("now", now)
        self.expire(now)
        r = self.get(reservation_id)
        if r.status != "held":
            raise ReservationStateError(f"cannot claim reservation {reservation_id}: it is {r.status}",
                                        reservation_id=reservation_id, status=r.status)
        self._emit("claimed", reservation_id, now, {})
        return r

    def release(self, reservation_id: str, now: float) -> Reservation:
        """End the current use of a claimed reservation; it is held again for another ttl."""
        now = _finite("now", now)
        r = self.get(reservation_id)
        if r.status != "claimed":
            raise ReservationStateError(f"cannot release reservation {reservation_id}: it is {r.status}, "
                                        f"not claimed", reservation_id=reservation_id, status=r.status)
        self._emit("released", reservation_id, now, {"hold_until": now + r.ttl_s})
        return r

    def complete(self, reservation_id: str, now: float) -> Reservation:
        """The reservation was used and is finished; its window is freed."""
        now = _finite("now", now)
        r = self.get(reservation_id)
        if not r.active:
            raise ReservationStateError(f"cannot complete reservation {reservation_id}: it is {r.status}",
                                        reservation_id=reservation_id, status=r.status)
        self._emit("completed", reservation_id, now, {})
        return r

    def cancel(self, reservation_id: str, now: float) -> bool:
        """Free an active reservation. Cancelling one that already ended (expired, completed,
        cancelled, rejected) changes nothing and returns False; unknown ids raise."""
        now = _finite("now", now)
        r = self.get(reservation_id)
        if not r.active:
            return False
        self._emit("cancelled", reservation_id, now, {})
        return True

    def expire(self, now: float) -> list[str]:
        """Free every held (unclaimed) reservation whose hold time has passed; their ids."""
        now = _finite("now", now)
        due = [r.id for r in self._res.values() if r.status == "held" and r.hold_until <= now]
        for rid in due:
            self._emit("expired", rid, now, {"hold_until": self._res[rid].hold_until})
        return due

    # ============================================================ event core
    def _next_window(self, start: float, length: float) -> tuple[float, float]:
        active = [r for r in self._res.values() if r.active]
        candidates = sorted({start} | {r.end for r in active if r.end > start})
        for t in candidates:
            if not any(r.overlaps(t, t + length) for r in active):
                return (t, t + length)
        raise AssertionError("unreachable: the latest end is always free")  # pragma: no cover

    def _emit(self, kind: str, rid: str, at: float, data: dict) -> None:
        ev = Event(self.seq + 1, kind, rid, at, data)
        self._apply(ev)
        self._events.append(ev)

    def _apply(self, ev: Event) -> None:
        """The only place state changes. Validates the transition so a corrupt log cannot replay."""
        if ev.kind not in EVENT_KINDS:
            raise ReservationError(f"event {ev.seq}: unknown kind {ev.kind!r}", seq=ev.seq)
        d = ev.data
        if ev.kind == "requested":
            if ev.reservation_id in self._res:
                raise ReservationError(f"event {ev.seq}: reservation {ev.reservation_id} requested twice",
                                       seq=ev.seq)
            self._res[ev.reservation_id] = Reservation(
                ev.reservation_id, d["operation"], float(d["start"]), float(d["end"]), d.get("min_fidelity"),
                dict(d.get("correlation") or {}), ev.at, float(d["ttl_s"]))
            return
        r = self._res.get(ev.reservation_id)
        allowed = {"accepted": ("requested",), "rejected": ("requested",), "claimed": ("held",),
                   "released": ("claimed",), "completed": ("held", "claimed"),
                   "cancelled": ("held", "claimed"), "expired": ("held",)}[ev.kind]
        if r is None or r.status not in allowed:
            raise ReservationError(f"event {ev.seq}: {ev.kind} is not valid for reservation "
                                   f"{ev.reservation_id} in status {r.status if r else 'unknown'}", seq=ev.seq)
        if ev.kind == "accepted":
            r.status, r.hold_until = "held", float(d["hold_until"])
        elif ev.kind == "rejected":
            r.status, r.reason, r.ended_at = "rejected", d.get("reason"), ev.at
        elif ev.kind == "claimed":
            r.status, r.claimed_at = "claimed", ev.at
        elif ev.kind == "released":
            r.status, r.hold_until = "held", float(d["hold_until"])
        else:
            r.status, r.ended_at = _TERMINAL[ev.kind], ev.at

    @classmethod
    def replay(cls, node_id: str, events: Iterable[Event | Mapping[str, Any]], *,
               default_ttl_s: float = 30.0) -> "ReservationBook":
        """Rebuild a book from its log (Event objects or their JSON); gaps or bad transitions raise."""
        book = cls(node_id, default_ttl_s=default_ttl_s)
        for raw in events:
            ev = raw if isinstance(raw, Event) else Event.from_json(raw)
            if ev.seq != book.seq + 1:
                raise ReservationError(f"event log gap: expected seq {book.seq + 1}, got {ev.seq}", seq=ev.seq)
            if ev.kind == "requested" and ev.reservation_id != f"{node_id}:{ev.seq}":
                raise ReservationError(f"event {ev.seq}: reservation id {ev.reservation_id!r} does not belong to "
                                       f"node {node_id!r} at this seq", seq=ev.seq)
            book._apply(ev)
            book._events.append(ev)
        return book
