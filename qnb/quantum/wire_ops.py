"""Fragment operations as JSON for EXEC requests, and their strict validation on the node.

One op on the wire::

    {"name": "cx", "qubits": [0, 1], "clbits": [..]?, "params": [0.5]?, "ctrl_qubits": 1?,
     "link_fidelity": 0.98?}

Parameters travel as exact JSON floats (Python's float repr round-trips bit for bit); symbolic
parameters never do: the coordinator binds a circuit before it runs. A node runs what it
receives on its simulator, so every field is checked (name, arity, parameter count, numeric and
finite parameters, qubit range, duplicate qubits, unknown keys); any problem is
``ProtocolError(code="bad_ops")`` naming the op index and the problem.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

from ..circuits.gates import GATES
from ..circuits.ir import Operation, ParamExpr
from ..errors import ProtocolError

__all__ = ["ops_to_wire", "ops_from_wire", "decode_ops", "WIRE_OP_KEYS"]

WIRE_OP_KEYS = frozenset({"name", "qubits", "clbits", "params", "ctrl_qubits", "link_fidelity"})
_NON_GATES = ("measure", "reset", "barrier")


def _bad(i: int | None, problem: str) -> ProtocolError:
    where = f"op {i}: " if i is not None else ""
    fields = {"op_index": i} if i is not None else {}
    return ProtocolError(f"{where}{problem}", code="bad_ops", **fields)


def ops_to_wire(ops: Sequence[Operation], link_fidelity: Mapping[int, float] | None = None) -> list[dict]:
    """JSON-able ops; ``link_fidelity`` maps an index into ``ops`` to the link fidelity of that op."""
    link = dict(link_fidelity or {})
    for i in link:
        if not isinstance(i, int) or not 0 <= i < len(ops):
            raise _bad(i if isinstance(i, int) else None,
                       f"link_fidelity key {i!r} is not an index into the {len(ops)} ops")
    out = []
    for i, op in enumerate(ops):
        d: dict[str, Any] = {"name": op.name, "qubits": [int(q) for q in op.qubits]}
        if op.clbits:
            d["clbits"] = [int(c) for c in op.clbits]
        if op.params:
            if op.is_symbolic:
                raise _bad(i, f"{op.name} has unbound parameter(s) "
                              f"{[str(p) for p in op.params if isinstance(p, ParamExpr)]}; bind the circuit first")
            d["params"] = [float(p) for p in op.params]
        if op.ctrl_qubits:
            d["ctrl_qubits"] = int(op.ctrl_qubits)
        if i in link:
            d["link_fidelity"] = float(link[i])
        out.append(d)
    return out


def _int_list(i: int, item: dict, key: str) -> list[int]:
    v = item.get(key, [])
    if not isinstance(v, list) or not all(isinstance(x, int) and not isinstance(x, bool) for x in v):
        raise _bad(i, f"{key} must be a list of integers, got {v!r}")
    return v


def _decode_one(i: int, item: Any, num_qubits: int) -> tuple[Operation, float | None]:
    if not isinstance(item, dict):
        raise _bad(i, f"must be an object, got {type(item).__name__}")
    unknown = set(item) - WIRE_OP_KEYS
    if unknown:
        raise _bad(i, f"unknown field(s) {sorted(unknown)}; allowed: {sorted(WIRE_OP_KEYS)}")
    name = item.get("name")
    if not isinstance(name, str) or (name not in GATES and name not in _NON_GATES):
        raise _bad(i, f"unknown operation name {name!r}")
    qubits = _int_list(i, item, "qubits")
    clbits = _int_list(i, item, "clbits")
    for q in qubits:
        if not 0 <= q < num_qubits:
            raise _bad(i, f"{name}: qubit {q} is outside 0..{num_qubits - 1}")
    if len(set(qubits)) != len(qubits):
        raise _bad(i, f"{name}: duplicate qubits {qubits}")
    for c in clbits:
        if c < 0:
            raise _bad(i, f"{name}: clbit {c} is negative")
    ctrl = item.get("ctrl_qubits", 0)
    if not isinstance(ctrl, int) or isinstance(ctrl, bool) or ctrl < 0:
        raise _bad(i, f"{name}: ctrl_qubits must be a non-negative integer, got {ctrl!r}")
    params = item.get("params", [])
    if not isinstance(params, list):
        raise _bad(i, f"{name}: params must be a list of numbers, got {params!r}")
    for p in params:
        if isinstance(p, bool) or not isinstance(p, (int, float)):
            raise _bad(i, f"{name}: parameter {p!r} is not a number (symbolic parameters are not "
                          f"allowed on the wire)")
        if not math.isfinite(p):
            raise _bad(i, f"{name}: parameter {p!r} is not finite")
    if name in GATES:
        info = GATES[name]
        if len(qubits) != info.num_qubits + ctrl:
            raise _bad(i, f"{name} with ctrl_qubits={ctrl} acts on {info.num_qubits + ctrl} qubit(s), "
                          f"got {len(qubits)}")
        if len(params) != info.num_params:
            raise _bad(i, f"{name} takes {info.num_params} parameter(s), got {len(params)}")
        if clbits:
            raise _bad(i, f"gate {name} cannot have clbits")
    else:
        if ctrl:
            raise _bad(i, f"{name} cannot have ctrl_qubits")
        if params:
            raise _bad(i, f"{name} takes no parameters, got {len(params)}")
        if name == "measure" and (len(qubits) != 1 or len(clbits) != 1):
            raise _bad(i, f"measure needs exactly 1 qubit and 1 clbit, got {len(qubits)} and {len(clbits)}")
        if name == "reset" and (len(qubits) != 1 or clbits):
            raise _bad(i, f"reset needs exactly 1 qubit and no clbits, got {len(qubits)} qubit(s)")
        if name == "barrier" and (not qubits or clbits):
            raise _bad(i, "barrier needs at least 1 qubit and no clbits")
    link = item.get("link_fidelity")
    if link is not None:
        if isinstance(link, bool) or not isinstance(link, (int, float)) or not math.isfinite(link) \
                or not 0.0 < link <= 1.0:
            raise _bad(i, f"{name}: link_fidelity must be a number in (0, 1], got {link!r}")
        link = float(link)
    op = Operation(name, tuple(qubits), tuple(clbits), tuple(float(p) for p in params), ctrl)
    return op, link


def decode_ops(wire: Any, num_qubits: int) -> tuple[list[Operation], dict[int, float]]:
    """Validated ops plus the ``{op index: link fidelity}`` they carried."""
    if not isinstance(wire, list):
        raise _bad(None, f"ops must be a list, got {type(wire).__name__}")
    ops: list[Operation] = []
    links: dict[int, float] = {}
    for i, item in enumerate(wire):
        op, link = _decode_one(i, item, num_qubits)
        ops.append(op)
        if link is not None:
            links[i] = link
    return ops, links


def ops_from_wire(wire: Any, num_qubits: int) -> list[Operation]:
    """Validated ops (the link fidelities are dropped; use :func:`decode_ops` to keep them)."""
    return decode_ops(wire, num_qubits)[0]
