"""The append-only, hash-chained audit log (GOV-5 flight recorder storage).

``hash = sha256(prev_hash + canonical_json({"seq", "ts", "kind", "job_id", "payload"}))`` with the
first event chained to ``GENESIS``; seq runs 1, 2, 3 ... without gaps. Editing, deleting or
reordering any stored event breaks the chain at that event, which :func:`verify_audit` reports.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from .values import canonical_json, utc_naive

__all__ = ["GENESIS", "audit_row", "append_audit", "verify_audit", "AuditCheck", "chain_head"]

GENESIS = "0" * 64


def _ts_text(ts: _dt.datetime) -> str:
    return utc_naive(ts).isoformat(timespec="microseconds")


def audit_row(prev: tuple[int, str], kind: str, job_id: str | None, payload: Any, ts: _dt.datetime) -> dict:
    """The next row after chain head ``prev = (seq, hash)``."""
    seq = prev[0] + 1
    ts = utc_naive(ts)
    payload_text = canonical_json(payload)
    material = canonical_json({"seq": seq, "ts": _ts_text(ts), "kind": kind, "job_id": job_id,
                               "payload": json.loads(payload_text)})
    digest = hashlib.sha256((prev[1] + material).encode("utf-8")).hexdigest()
    return {"seq": seq, "ts": ts, "kind": kind, "job_id": job_id, "payload": payload_text,
            "prev_hash": prev[1], "hash": digest}


def chain_head(con) -> tuple[int, str]:
    row = con.execute("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone()
    return (0, GENESIS) if row is None else (int(row[0]), row[1])


def append_audit(con, kind: str, job_id: str | None, payload: Any, *, ts: _dt.datetime | None = None) -> dict:
    """Append one event on connection ``con`` (use the writer's ``append_audit`` in the coordinator)."""
    row = audit_row(chain_head(con), kind, job_id, payload, ts or _dt.datetime.now(_dt.timezone.utc))
    con.execute("INSERT INTO audit_events (seq, ts, kind, job_id, payload, prev_hash, hash) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [row["seq"], row["ts"], row["kind"], row["job_id"], row["payload"], row["prev_hash"], row["hash"]])
    return row


@dataclass(frozen=True)
class AuditCheck:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str | None = None

    def to_json(self) -> dict:
        return {"ok": self.ok, "checked": self.checked, "first_bad_seq": self.first_bad_seq, "reason": self.reason}


def verify_audit(con) -> AuditCheck:
    """Recompute the chain from the stored rows; the first inconsistent event is reported."""
    prev = (0, GENESIS)
    n = 0
    cur = con.execute("SELECT seq, ts, kind, job_id, payload, prev_hash, hash FROM audit_events ORDER BY seq")
    while batch := cur.fetchmany(10_000):
        for seq, ts, kind, job_id, payload, prev_hash, digest in batch:
            n += 1
            if seq != prev[0] + 1:
                return AuditCheck(False, n, seq, f"sequence gap: expected {prev[0] + 1}, found {seq}")
            if prev_hash != prev[1]:
                return AuditCheck(False, n, seq, "prev_hash does not match the previous event's hash")
            expected = audit_row(prev, kind, job_id, json.loads(payload) if payload is not None else None, ts)
            if expected["hash"] != digest:
                return AuditCheck(False, n, seq, "hash does not match the event's content")
            prev = (seq, digest)
    return AuditCheck(True, n)
