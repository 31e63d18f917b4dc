"""A small dependency-free schema validator and the schemas of every qnb wire message (FR-001, FR-014).

Every frame header and every advertisement is checked here before any code uses it. A violation
raises ``ProtocolError(code="schema")`` whose message names the field path and the broken rule,
e.g. ``advert.links[2].fidelity: must be > 0, got 0``.

Unknown fields: advertisement records (``advert``, ``link``) are **strict** because they become
registry state and a typo there silently changes placement; every request/response header is
**tolerant**: unknown fields are kept but not validated, so a newer minor version (1.x) can add
optional fields without breaking older peers. See docs/protocol.md.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from ..errors import ProtocolError
from . import vocabulary as _voc
from .protocols import ADVERT, CONTROL, EXEC, PROBE, RESERVE

__all__ = ["Field", "Schema", "SCHEMAS", "REQUEST_SCHEMA", "RESPONSE_SCHEMA", "validate", "schema_markdown",
           "Str", "Int", "Num", "Bool", "List", "Obj", "SERVICE_TYPES", "STATE_KINDS", "CONTROL_COMMANDS",
           "RESERVE_OPERATIONS", "state_nbytes"]

_MISSING = object()


@dataclass(frozen=True)
class Field:
    """One field rule. ``kind`` is str|int|num|bool|list|obj; the other attributes apply by kind."""

    kind: str
    required: bool = True
    nullable: bool = False
    ge: float | None = None          # minimum (inclusive)
    gt: float | None = None          # minimum (exclusive)
    le: float | None = None          # maximum (inclusive)
    min_len: int = 0
    max_len: int | None = None
    choices: frozenset | None = None
    pattern: str | None = None
    item: "Field | None" = None      # list element rule
    schema: "Schema | None" = None   # nested object rule (None = any JSON object)
    doc: str = ""

    def rule(self) -> str:
        """Human-readable rule, used in docs/protocol.md tables."""
        parts = [{"str": "string", "int": "integer", "num": "number", "bool": "boolean",
                  "list": "list", "obj": "object"}[self.kind]]
        if self.kind == "list" and self.item is not None:
            parts[0] = f"list of {self.item.rule()}"
        if self.kind == "obj" and self.schema is not None:
            parts[0] = f"object `{self.schema.name}`"
        if self.choices is not None:
            parts.append("one of " + ", ".join(f"`{c}`" for c in sorted(self.choices, key=str)))
        if self.gt is not None:
            parts.append(f"> {_fmt(self.gt)}")
        if self.ge is not None:
            parts.append(f">= {_fmt(self.ge)}")
        if self.le is not None:
            parts.append(f"<= {_fmt(self.le)}")
        if self.min_len:
            parts.append(f"length >= {self.min_len}")
        if self.max_len is not None:
            parts.append(f"length <= {self.max_len}")
        if self.pattern:
            parts.append(f"matches `{self.pattern}`")
        if self.nullable:
            parts.append("or null")
        return ", ".join(parts)


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e16 else f"{v:g}"


def Str(**kw: Any) -> Field:
    if "choices" in kw:
        kw["choices"] = frozenset(kw["choices"])
    return Field("str", **kw)


def Int(**kw: Any) -> Field:
    return Field("int", **kw)


def Num(**kw: Any) -> Field:
    return Field("num", **kw)


def Bool(**kw: Any) -> Field:
    if "choices" in kw:
        kw["choices"] = frozenset(kw["choices"])
    return Field("bool", **kw)


def List(item: Field, **kw: Any) -> Field:
    return Field("list", item=item, **kw)


def Obj(schema: "Schema | None" = None, **kw: Any) -> Field:
    return Field("obj", schema=schema, **kw)


def _fail(path: str, rule: str, value: Any = _MISSING) -> ProtocolError:
    shown = "" if value is _MISSING else f", got {_short(value)}"
    return ProtocolError(f"{path}: {rule}{shown}", code="schema", field=path, rule=rule)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


@functools.lru_cache(maxsize=None)
def _regex(pattern: str) -> "re.Pattern[str]":
    return re.compile(pattern)


_TYPE_NAMES = {"str": "a string", "int": "an integer", "num": "a number", "bool": "a boolean",
               "list": "a list", "obj": "an object"}


@dataclass(frozen=True)
class Schema:
    """A named object schema: field rules, strictness, and cross-field checks.

    A check is ``fn(obj) -> (field, message) | None``; it runs only after every field is valid.
    """

    name: str
    fields: Mapping[str, Field]
    strict: bool = False
    checks: tuple[Callable[[dict], "tuple[str, str] | None"], ...] = ()
    doc: str = ""

    def validate(self, obj: Any, path: str | None = None) -> dict:
        path = path or self.name
        if not isinstance(obj, dict):
            raise _fail(path, "must be an object", type(obj).__name__)
        for key, rule in self.fields.items():
            value = obj.get(key, _MISSING)
            sub = f"{path}.{key}"
            if value is _MISSING:
                if rule.required:
                    raise _fail(sub, "is required")
                continue
            self._check(rule, value, sub)
        if self.strict:
            extra = [k for k in obj if k not in self.fields]
            if extra:
                raise _fail(f"{path}.{extra[0]}", f"unknown field (allowed: {', '.join(self.fields)})")
        for check in self.checks:
            problem = check(obj)
            if problem is not None:
                raise _fail(f"{path}.{problem[0]}", problem[1])
        return obj

    def _check(self, rule: Field, value: Any, path: str) -> None:
        if value is None:
            if rule.nullable:
                return
            raise _fail(path, f"must be {_TYPE_NAMES[rule.kind]}, not null")
        kind = rule.kind
        if kind == "str":
            if not isinstance(value, str):
                raise _fail(path, "must be a string", value)
            self._check_len(rule, len(value), path)
            if rule.pattern is not None:
                if _regex(rule.pattern).fullmatch(value) is None:
                    raise _fail(path, f"must match {rule.pattern}", value)
        elif kind in ("int", "num"):
            # bool is an int subclass in Python; on the wire true/false is never a number.
            if isinstance(value, bool) or not isinstance(value, (int, float) if kind == "num" else int):
                raise _fail(path, f"must be {_TYPE_NAMES[kind]}", value)
            if kind == "num" and not math.isfinite(value):
                raise _fail(path, "must be finite", value)
            if rule.gt is not None and not value > rule.gt:
                raise _fail(path, f"must be > {rule.gt:g}", value)
            if rule.ge is not None and not value >= rule.ge:
                raise _fail(path, f"must be >= {rule.ge:g}", value)
            if rule.le is not None and not value <= rule.le:
                raise _fail(path, f"must be <= {rule.le:g}", value)
        elif kind == "bool":
            if not isinstance(value, bool):
                raise _fail(path, "must be a boolean", value)
        elif kind == "list":
            if not isinstance(value, list):
                raise _fail(path, "must be a list", value)
            self._check_len(rule, len(value), path)
            if rule.item is not None:
                for i, v in enumerate(value):
                    self._check(rule.item, v, f"{path}[{i}]")
        elif kind == "obj":
            if rule.schema is not None:
                rule.schema.validate(value, path)
            elif not isinstance(value, dict):
                raise _fail(path, "must be an object", value)
        if rule.choices is not None and value not in rule.choices:
            allowed = ", ".join(repr(c) for c in sorted(rule.choices, key=str))
            raise _fail(path, f"must be one of {allowed}", value)

    @staticmethod
    def _check_len(rule: Field, n: int, path: str) -> None:
        if n < rule.min_len:
            raise _fail(path, f"length must be >= {rule.min_len}", f"length {n}")
        if rule.max_len is not None and n > rule.max_len:
            raise _fail(path, f"length must be <= {rule.max_len}", f"length {n}")


# =============================================================================== vocabulary
SERVICE_TYPES = frozenset(_voc.SERVICE_TYPES)
STATE_KINDS = frozenset(_voc.STATE_KINDS)
RESERVE_OPERATIONS = frozenset(_voc.RESERVE_OPERATIONS)
CONTROL_COMMANDS = frozenset(_voc.CONTROL_COMMANDS)

_ID = r"[A-Za-z0-9_.:\-]+"
NAME_PATTERN = r"[A-Za-z0-9_.\-]{1,64}"
PEER_ID_PATTERN = r"[1-9A-HJ-NP-Za-km-z]{20,128}"   # base58btc, as printed by libp2p
_VERSION = r"\d{1,4}\.\d{1,4}\.\d{1,4}"
_MAX_U32 = 2**32 - 1


def state_nbytes(kind: str, num_qubits: int) -> int:
    """Payload size of a complex128 state: 16*2^n (statevector), 16*4^n (density matrix), 0 (none)."""
    if kind == "none":
        return 0
    return 16 * (2 ** num_qubits if kind == "statevector" else 4 ** num_qubits)


def _fid(**kw: Any) -> Field:
    return Num(gt=0.0, le=1.0, **kw)


# ------------------------------------------------------------------------ common headers
_REQUEST_COMMON = {
    "request_id": Str(min_len=1, max_len=64, pattern=_ID, doc="unique per call; echoed in the response"),
    "correlation_id": Str(min_len=1, max_len=128, pattern=_ID, doc="ties log lines of one job/step across processes"),
    "job_id": Str(required=False, nullable=True, max_len=128, doc="job the call belongs to"),
    "fragment_id": Int(required=False, nullable=True, ge=0, doc="fragment the call belongs to"),
    "payload_len": Int(required=False, ge=0, le=_MAX_U32, doc="present iff a binary payload frame follows"),
    "sent_at": Num(required=False, ge=0, doc="sender's unix time (informative only)"),
}
_RESPONSE_COMMON = {
    "ok": Bool(choices={True}, doc="true on success (errors use the error frame)"),
    "request_id": Str(required=False, max_len=64, doc="echo of the request's request_id"),
    "payload_len": Int(required=False, ge=0, le=_MAX_U32, doc="present iff a binary payload frame follows"),
}


def _request(name: str, mtype: str, fields: dict, checks: tuple = (), doc: str = "") -> Schema:
    return Schema(name, {"type": Str(choices={mtype}, doc="message type"), **_REQUEST_COMMON, **fields},
                  checks=checks, doc=doc)


def _response(name: str, fields: dict, checks: tuple = (), doc: str = "") -> Schema:
    return Schema(name, {**_RESPONSE_COMMON, **fields}, checks=checks, doc=doc)


REQUEST = Schema("request", {"type": Str(min_len=1, max_len=32), **_REQUEST_COMMON},
                 doc="fields every request header carries")
RESPONSE = Schema("response", dict(_RESPONSE_COMMON), doc="fields every success response header carries")

ERROR_BODY = Schema("error_body", {
    "code": Str(min_len=1, max_len=64, doc="stable machine-readable code, see the error code table"),
    "message": Str(max_len=8192, doc="human-readable, names the problem"),
    "type": Str(required=False, max_len=64, doc="qnb error class name (QnbError.type)"),
    "details": Obj(required=False, doc="structured fields of the error (field, rule, limit, ...)"),
})
ERROR = Schema("error", {
    "ok": Bool(choices={False}),
    "request_id": Str(required=False, nullable=True, max_len=64),
    "error": Obj(ERROR_BODY),
}, doc="the structured error frame any server sends instead of a success response")

# ------------------------------------------------------------------------ advertisement
LINK = Schema("link", {
    "peer": Str(pattern=NAME_PATTERN, doc="name of the node at the other end"),
    "latency_ms": Num(ge=0.0, le=1e6, doc="one-way classical latency"),
    "fidelity": _fid(doc="fidelity of one shared ebit"),
    "ebit_rate_hz": Num(ge=0.0, le=1e12, doc="entanglement generation rate"),
    "rtt_ms": Num(required=False, nullable=True, ge=0.0, le=1e6,
                  doc="classical round-trip time the reporting node measured with PROBE (FR-008)"),
}, strict=True, doc="one quantum link as reported by one of its ends")


def _advert_checks(d: dict) -> "tuple[str, str] | None":
    lo, hi = d["qubit_range"]
    if lo > hi:
        return "qubit_range", f"min {lo} must be <= max {hi}"
    if len(set(d["gates"])) != len(d["gates"]):
        return "gates", "must not repeat a gate"
    peers = [l["peer"] for l in d["links"]]
    if d["name"] in peers:
        return "links", f"node {d['name']!r} cannot link to itself"
    if len(set(peers)) != len(peers):
        return "links", "must list each peer once"
    return None


ADVERT_RECORD = Schema("advert", {
    "node_id": Str(pattern=PEER_ID_PATTERN, doc="libp2p peer id (must equal the authenticated sender)"),
    "name": Str(pattern=NAME_PATTERN, doc="human label, unique in the mesh; the planner's node id"),
    "service_type": Str(choices=SERVICE_TYPES),
    "gates": List(Str(min_len=1, max_len=32, pattern=r"[a-z][a-z0-9_]*"), max_len=256,
                  doc="supported gate names (qnb gate library)"),
    "fidelity_1q": _fid(), "fidelity_2q": _fid(), "fidelity_readout": _fid(),
    "duration_1q_ns": Num(gt=0.0, le=1e12), "duration_2q_ns": Num(gt=0.0, le=1e12),
    "duration_readout_ns": Num(gt=0.0, le=1e12),
    "qubit_range": List(Int(ge=0, le=4096), min_len=2, max_len=2, doc="[min, max] qubits per job; max = capacity"),
    "available": Bool(doc="accepting new reservations (false while draining)"),
    "queue_depth": Int(ge=0, le=10**9, doc="requests waiting on the node"),
    "timestamp": Num(ge=0.0, le=1e11, doc="node's unix time when the record was built"),
    "protocol_version": Str(pattern=_VERSION, doc="wire version; the major must match ours"),
    "region": Str(min_len=1, max_len=64),
    "price_per_shot": Num(ge=0.0, le=1e9),
    "addrs": List(Str(min_len=1, max_len=512, pattern=r"/\S+"), max_len=32, doc="dialable multiaddrs"),
    "seq": Int(ge=0, le=2**63 - 1, doc="increases with every advert of one node incarnation"),
    "epoch": Int(required=False, ge=0, le=2**63 - 1, doc="incarnation number (e.g. start time in ms); orders before seq"),
    "links": List(Obj(LINK), max_len=4096),
    "degraded": Bool(doc="the node considers itself below its quality thresholds"),
}, strict=True, checks=(_advert_checks,), doc="a node's capability advertisement (FR-001); strict")

_TOKEN = r"[0-9a-f]{64}"
ADVERT_REQUEST = _request("advert.request", "advert", {
    "advert": Obj(ADVERT_RECORD),
    "token": Str(required=False, pattern=_TOKEN, doc="node role token (qnb.mesh.access), when the mesh has an "
                 "admission key"),
},
                          doc="node -> coordinator, every refresh interval and on change")
ADVERT_RESPONSE = _response("advert.response", {
    "accepted": Bool(doc="false when the record was older than the one held (stale seq)"),
    "reason": Str(required=False, nullable=True, max_len=1024),
    "registry_version": Int(required=False, ge=0),
    "ttl_s": Num(required=False, gt=0.0, doc="registry TTL, so nodes can pick their refresh period"),
})

# ------------------------------------------------------------------------ reservation
def _reserve_checks(d: dict) -> "tuple[str, str] | None":
    op = d["operation"]
    if op == "reserve":
        for key in ("window_start", "window_end"):
            if d.get(key) is None:
                return key, "is required when operation is 'reserve'"
        if d["window_end"] <= d["window_start"]:
            return "window_end", f"must be > window_start ({d['window_start']}), got {d['window_end']}"
    elif not d.get("reservation_id"):
        return "reservation_id", f"is required when operation is {op!r}"
    return None


RESERVE_REQUEST = _request("reserve.request", "reserve", {
    "operation": Str(choices=RESERVE_OPERATIONS, doc="reserve a window, cancel one, or read the book (status)"),
    "reservation_id": Str(required=False, nullable=True, max_len=128, doc="required unless operation is reserve"),
    "window_start": Num(required=False, nullable=True, ge=0.0, doc="unix seconds"),
    "window_end": Num(required=False, nullable=True, ge=0.0, doc="unix seconds, > window_start"),
    "min_fidelity": Num(required=False, nullable=True, gt=0.0, le=1.0, doc="required node 2q fidelity"),
    "hold_s": Num(required=False, nullable=True, gt=0.0, le=86400.0, doc="release if unused this long"),
    "qubits": Int(required=False, nullable=True, ge=0, le=4096, doc="qubit slots needed"),
}, checks=(_reserve_checks,), doc="coordinator -> node (FR-005)")

RESERVE_RESPONSE = _response("reserve.response", {
    "operation": Str(choices=RESERVE_OPERATIONS, doc="echo of the request's operation"),
    "accepted": Bool(doc="whether the operation took effect"),
    "reservation_id": Str(required=False, nullable=True, max_len=128, doc="id of the (new) reservation"),
    "reason": Str(required=False, nullable=True, max_len=1024, doc="why rejected, e.g. conflict, fidelity, draining"),
    "next_window": List(Num(ge=0.0), required=False, nullable=True, min_len=2, max_len=2,
                        doc="earliest free [start, end] of the same length after a conflict"),
    "status": Str(required=False, nullable=True, max_len=32, doc="reservation state for operation status"),
    "window": List(Num(ge=0.0), required=False, nullable=True, min_len=2, max_len=2,
                   doc="[start, end] of the reservation"),
})

# ------------------------------------------------------------------------ execution
STATE = Schema("state", {
    "kind": Str(choices=STATE_KINDS),
    "num_qubits": Int(ge=0, le=64),
    "dtype": Str(choices={"complex128"}),
    "nbytes": Int(ge=0, le=_MAX_U32),
}, checks=(lambda d: None if d["nbytes"] == state_nbytes(d["kind"], d["num_qubits"]) else
           ("nbytes", f"must be {state_nbytes(d['kind'], d['num_qubits'])} for a {d['num_qubits']}-qubit "
                      f"{d['kind']} of complex128, got {d['nbytes']}"),), doc="descriptor of the state payload")

OP = Schema("op", {
    "name": Str(min_len=1, max_len=32, doc="gate name, or measure / reset / barrier"),
    "qubits": List(Int(ge=0, le=4095), max_len=64),
    "clbits": List(Int(ge=0, le=1 << 20), required=False, max_len=64),
    "params": List(Num(), required=False, max_len=16, doc="bound numeric parameters only"),
    "ctrl_qubits": Int(required=False, ge=0, le=16),
    "link_fidelity": Num(required=False, nullable=True, gt=0.0, le=1.0, doc="fidelity of the link a remote gate uses"),
}, doc="one operation; deep checks (arity, names) are in qnb.quantum.wire_ops")


def _exec_checks(d: dict) -> "tuple[str, str] | None":
    st = d["state"]
    if st["kind"] != "none" and st["num_qubits"] != d["num_qubits"]:
        return "state.num_qubits", f"must equal num_qubits ({d['num_qubits']}), got {st['num_qubits']}"
    if d.get("payload_len", 0) != st["nbytes"]:
        return "payload_len", f"must equal state.nbytes ({st['nbytes']}), got {d.get('payload_len', 0)}"
    return None


EXEC_REQUEST = _request("exec.request", "exec", {
    "job_id": Str(min_len=1, max_len=128, doc="job the fragment belongs to"),
    "fragment_id": Int(ge=0, doc="fragment id in the job's plan"),
    "num_qubits": Int(ge=1, le=64, doc="width of the global state the ops index into"),
    "ops": List(Obj(OP), max_len=1_000_000, doc="the fragment's operations in program order"),
    "state": Obj(STATE, doc="describes the payload frame"),
    "noise": Bool(doc="apply the node's noise model"),
    "reservation_id": Str(required=False, nullable=True, max_len=128, doc="reservation this run claims"),
}, checks=(_exec_checks,), doc="coordinator -> node; the state travels as the payload frame")

EXEC_RESPONSE = _response("exec.response", {
    "state": Obj(STATE, doc="describes the returned payload (the new state)"),
    "sim_ms": Num(ge=0.0, doc="time inside the simulator"),
    "elapsed_ms": Num(ge=0.0, doc="node time from request read to response write"),
    "num_ops": Int(required=False, ge=0),
    "node": Str(required=False, max_len=64),
    "mode": Str(required=False, max_len=32),
}, checks=(lambda d: None if d.get("payload_len", 0) == d["state"]["nbytes"] else
           ("payload_len", f"must equal state.nbytes ({d['state']['nbytes']})"),))

# ------------------------------------------------------------------------ probe
PROBE_REQUEST = _request("probe.request", "probe", {
    "quality": Bool(required=False, doc="ask for the node's current quality report"),
    "echo": Str(required=False, max_len=4096),
}, doc="liveness + RTT; also node -> node link RTT")

PROBE_RESPONSE = _response("probe.response", {
    "node": Str(required=False, max_len=64),
    "time": Num(required=False, ge=0.0, doc="responder's unix time"),
    "echo": Str(required=False, max_len=4096),
    "available": Bool(required=False),
    "degraded": Bool(required=False),
    "queue_depth": Int(required=False, ge=0),
    "fidelity_1q": _fid(required=False), "fidelity_2q": _fid(required=False),
    "fidelity_readout": _fid(required=False),
    "links": List(Obj(LINK), required=False, max_len=4096),
})

# ------------------------------------------------------------------------ control
CONTROL_REQUEST = _request("control.request", "control", {
    "command": Str(choices=CONTROL_COMMANDS, doc="what to do"),
    # arguments, by command (qnb.mesh.vocabulary lists the commands; qnb.node and qnb.coordinator implement them)
    "ms": Num(required=False, ge=0.0, le=600_000.0, doc="latency / link_latency: added delay"),
    "peer": Str(required=False, pattern=NAME_PATTERN, doc="link_latency: other end of the link"),
    "factor": Num(required=False, nullable=True, ge=0.0, le=1e6, doc="fidelity: error-rate multiplier"),
    "fidelity_2q": _fid(required=False, nullable=True, doc="fidelity: new 2-qubit fidelity"),
    "available": Bool(required=False, doc="available: accept new work"),
    "return_after_s": Num(required=False, nullable=True, ge=0.0, le=86_400.0, doc="drop: come back after"),
    "addrs": List(Str(min_len=1, max_len=512, pattern=r"/\S+"), required=False, max_len=32,
                  doc="hello: the sender's multiaddrs"),
    "token": Str(required=False, pattern=_TOKEN, doc="hello: coordinator role token (qnb.mesh.access)"),
    "operator_token": Str(required=False, pattern=_TOKEN, doc="hello: operator role token"),
    "source": Str(required=False, max_len=16 * 1024 * 1024, doc="submit: circuit source"),
    "options": Obj(required=False, doc="submit: job options"),
}, doc="coordinator -> node: fault injection (FR-013); client -> coordinator: jobs, nodes, health")

CONTROL_RESPONSE = _response("control.response", {
    "command": Str(required=False, choices=CONTROL_COMMANDS, doc="echo of the request's command"),
    "result": Obj(required=False, doc="command-specific result"),
})

SCHEMAS: dict[str, Schema] = {s.name: s for s in [
    REQUEST, RESPONSE, ERROR, ERROR_BODY, LINK, ADVERT_RECORD, ADVERT_REQUEST, ADVERT_RESPONSE,
    RESERVE_REQUEST, RESERVE_RESPONSE, STATE, OP, EXEC_REQUEST, EXEC_RESPONSE, PROBE_REQUEST,
    PROBE_RESPONSE, CONTROL_REQUEST, CONTROL_RESPONSE]}

#: default schema of the request header / success response on each protocol.
REQUEST_SCHEMA: dict[str, str] = {ADVERT: "advert.request", RESERVE: "reserve.request", EXEC: "exec.request",
                                  PROBE: "probe.request", CONTROL: "control.request"}
RESPONSE_SCHEMA: dict[str, str] = {ADVERT: "advert.response", RESERVE: "reserve.response",
                                   EXEC: "exec.response", PROBE: "probe.response", CONTROL: "control.response"}


def validate(schema: "str | Schema", obj: Any) -> Any:
    """Check ``obj`` against a schema (by name or object); returns ``obj`` unchanged when valid."""
    if isinstance(schema, str):
        try:
            schema = SCHEMAS[schema]
        except KeyError:
            raise ProtocolError(f"unknown schema {schema!r}; known: {sorted(SCHEMAS)}", code="schema") from None
    return schema.validate(obj)


def schema_markdown(name: str) -> str:
    """A markdown table of one schema's fields (docs/protocol.md embeds these; a test keeps them in sync)."""
    s = SCHEMAS[name]
    rows = [f"| field | required | rule | meaning |", "|---|---|---|---|"]
    for key, f in s.fields.items():
        rows.append(f"| `{key}` | {'yes' if f.required else 'no'} | {f.rule()} | {f.doc} |")
    return "\n".join(rows)
