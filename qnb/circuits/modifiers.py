"""Exact gate modifiers on lists of IR operations: ``ctrl``/``negctrl``, ``inv`` and ``pow`` (FR-003).

A gate call is lowered to a list of :class:`~qnb.circuits.ir.Operation` whose gate names carry
qiskit's matrices, plus ``gphase`` pseudo-operations (no qubits, one parameter) for the global
phase by which an OpenQASM definition differs from that matrix. Global phase is invisible until a
control is added, when it becomes a phase gate on the controls; keeping it until then is what
makes ``ctrl @`` of custom gates exact. Parameters here may still be symbolic (:class:`Sym`).

Known controlled combinations are normalised to named gates (``ctrl @ x`` -> ``cx``,
``ctrl(2) @ z`` -> ``ccz``); everything else becomes ``Operation(base, ctrl_qubits=n)``.
"""

from __future__ import annotations

import math

from . import limits as _limits
from .expr import ExprError, LimitError, Sym, Value, unary
from .ir import Operation

__all__ = ["GPHASE", "gphase", "control", "negcontrol", "inverse", "power", "split_controlled", "named_controlled"]

GPHASE = "gphase"

#: named controlled gates -> (base gate, number of controls)
_NAMED = {"cx": ("x", 1), "ccx": ("x", 2), "cy": ("y", 1), "cz": ("z", 1), "ccz": ("z", 2), "ch": ("h", 1),
          "cp": ("p", 1), "cu1": ("u1", 1), "crx": ("rx", 1), "cry": ("ry", 1), "crz": ("rz", 1),
          "cswap": ("swap", 1), "csx": ("sx", 1), "cu3": ("u", 1)}
_BY_BASE = {(b, n): name for name, (b, n) in _NAMED.items() if name != "cu3"}

_SELF_INVERSE = {"id", "x", "y", "z", "h", "cx", "cy", "cz", "ch", "swap", "ccx", "ccz", "cswap", "ecr", "rccx"}
_SWAP_INVERSE = {"s": "sdg", "sdg": "s", "t": "tdg", "tdg": "t", "sx": "sxdg", "sxdg": "sx"}
_NEGATE = {"rx", "ry", "rz", "p", "u1", "crx", "cry", "crz", "cp", "cu1", "rxx", "ryy", "rzz", "rzx"}

#: principal roots used by ``pow(k) @`` with non-integer k: (gate, k) -> gate
_ROOTS = {("x", 0.5): "sx", ("x", -0.5): "sxdg", ("z", 0.5): "s", ("z", -0.5): "sdg", ("z", 0.25): "t",
          ("z", -0.25): "tdg", ("s", 0.5): "t", ("s", -0.5): "tdg", ("sdg", 0.5): "tdg", ("sdg", -0.5): "t"}
#: rotations exp(-i theta/2 P): R(theta)^k = R(k theta) for |theta| < 2 pi (principal branch)
_ROTATIONS = {"rx", "ry", "rz", "rxx", "ryy", "rzz", "rzx"}
#: phase gates diag(1, e^{i lam}): principal power uses lam wrapped into (-pi, pi]
_PHASES = {"p", "u1"}


def gphase(angle: Value) -> Operation:
    return Operation(GPHASE, (), (), (angle,))


def _neg(v: Value) -> Value:
    return unary("-", v)


def split_controlled(op: Operation) -> tuple[str, int, tuple, list[Operation]]:
    """``(base, controls, base params, extra phase ops)`` of a gate in normal form.

    ``cu(θ, φ, λ, γ)`` is a controlled ``u`` plus a phase ``p(γ)`` on its control, returned as the
    extra op (it must be controlled along with the rest).
    """
    if op.name == "cu":
        theta, phi, lam, gamma = op.params
        return "u", op.ctrl_qubits + 1, (theta, phi, lam), [_phase_on(op.qubits[: op.ctrl_qubits + 1], gamma)]
    if op.name in _NAMED:
        base, n = _NAMED[op.name]
        return base, op.ctrl_qubits + n, op.params, []
    if op.name in ("u2", "u3") and op.ctrl_qubits:
        return "u", op.ctrl_qubits, _as_u(op.name, op.params), []
    return op.name, op.ctrl_qubits, op.params, []


def _as_u(name: str, params: tuple) -> tuple:
    if name == "u2":
        return (math.pi / 2, params[0], params[1])
    return tuple(params)


def _phase_on(qubits: tuple[int, ...], angle: Value) -> Operation:
    """``e^{i angle}`` on the all-ones state of ``qubits``: p / cp / multi-controlled p."""
    if len(qubits) == 1:
        return Operation("p", qubits, (), (angle,))
    if len(qubits) == 2:
        return Operation("cp", qubits, (), (angle,))
    return Operation("p", qubits, (), (angle,), ctrl_qubits=len(qubits) - 1)


def named_controlled(base: str, n: int, params: tuple, qubits: tuple[int, ...]) -> list[Operation]:
    """Normal form of ``base`` with ``n`` controls (first ``n`` of ``qubits``)."""
    if n == 0:
        return [Operation(base, qubits, (), tuple(params))]
    if base == "id":
        return []
    if base in ("u2", "u3"):
        params, base = _as_u(base, params), "u"
    if base == "u" and n == 1:
        return [Operation("cu", qubits, (), tuple(params) + (0.0,))]
    name = _BY_BASE.get((base, n))
    if name is not None:
        return [Operation(name, qubits, (), tuple(params))]
    return [Operation(base, qubits, (), tuple(params), ctrl_qubits=n)]


def control(ops: list[Operation], controls: tuple[int, ...]) -> list[Operation]:
    """Add ``controls`` (all must be |1>) to every operation; global phase becomes a phase gate."""
    out: list[Operation] = []
    for op in ops:
        if op.name == GPHASE:
            out.append(_phase_on(controls, op.params[0]))
            continue
        if op.name == "barrier":
            continue
        if op.name in ("measure", "reset"):
            raise ExprError(f"'{op.name}' cannot be controlled", construct="ctrl @ on a non-unitary instruction")
        if set(controls) & set(op.qubits):
            raise ExprError("a control qubit is also an operand of the controlled gate", construct="ctrl @")
        base, n, params, extra = split_controlled(op)
        out.extend(control(extra, controls))
        out.extend(named_controlled(base, n + len(controls), params, tuple(controls) + op.qubits))
    return out


def negcontrol(ops: list[Operation], controls: tuple[int, ...]) -> list[Operation]:
    """Controls that fire on |0>: X-conjugate each control around the controlled body."""
    flips = [Operation("x", (c,)) for c in controls]
    return flips + control(ops, controls) + list(flips)


def _inverse_one(op: Operation) -> list[Operation]:
    if op.name == GPHASE:
        return [gphase(_neg(op.params[0]))]
    if op.name == "barrier":
        return [op]
    if op.name in ("measure", "reset"):
        raise ExprError(f"'{op.name}' has no inverse", construct="inv @ on a non-unitary instruction")
    base, n, params, extra = split_controlled(op)
    controls, targets = op.qubits[:n], op.qubits[n:]
    inv = _inverse_base(base, params, targets)
    body = control(inv, controls) if n else inv
    # extra phase ops of cu commute with the rest (diagonal on the control): invert them separately
    return body + [o for e in extra for o in _inverse_one(e)]


def _inverse_base(name: str, params: tuple, qubits: tuple[int, ...]) -> list[Operation]:
    if name in _SELF_INVERSE:
        return [Operation(name, qubits)]
    if name in _SWAP_INVERSE:
        return [Operation(_SWAP_INVERSE[name], qubits)]
    if name in _NEGATE:
        return [Operation(name, qubits, (), (_neg(params[0]),))]
    if name in ("u", "u3"):
        theta, phi, lam = params
        return [Operation(name, qubits, (), (_neg(theta), _neg(lam), _neg(phi)))]
    if name == "u2":
        phi, lam = params
        return [Operation("u", qubits, (), (-math.pi / 2, _neg(lam), _neg(phi)))]
    if name == "r":
        return [Operation("r", qubits, (), (_neg(params[0]), params[1]))]
    if name == "iswap":  # iswap^2 = Z (x) Z, so iswap^-1 = (Z (x) Z) iswap
        return [Operation("z", (qubits[0],)), Operation("z", (qubits[1],)), Operation("iswap", qubits)]
    if name == "dcx":
        return [Operation("dcx", (qubits[1], qubits[0]))]
    raise ExprError(f"no inverse rule for gate '{name}'", construct="inv @")


def inverse(ops: list[Operation]) -> list[Operation]:
    """``inv @``: reverse the sequence and invert each operation exactly (including global phase)."""
    out: list[Operation] = []
    for op in reversed(ops):
        out.extend(_inverse_one(op))
    return out


def _wrap_pi(x: float) -> float:
    """Angle in (-pi, pi]."""
    y = math.remainder(x, 2 * math.pi)
    return math.pi if y == -math.pi else y


def _root(op: Operation, k: float) -> list[Operation] | None:
    """Principal ``op ** k`` for a single gate when it is a known root or a rotation."""
    base, n, params, extra = split_controlled(op)
    if extra:
        return None
    controls, targets = op.qubits[:n], op.qubits[n:]
    name = _ROOTS.get((base, k))
    if name:
        body = [Operation(name, targets)]
    elif base in _ROTATIONS and not isinstance(params[0], Sym) and abs(params[0]) < 2 * math.pi:
        body = [Operation(base, targets, (), (params[0] * k,))]
    elif base in _PHASES and not isinstance(params[0], Sym):
        body = [Operation(base, targets, (), (_wrap_pi(params[0]) * k,))]
    else:
        return None
    return control(body, controls) if n else body


def power(ops: list[Operation], k: Value) -> list[Operation]:
    """``pow(k) @``: integer k repeats (negative k repeats the inverse); a few exact roots otherwise."""
    if isinstance(k, Sym):
        raise ExprError("pow(k) @ needs a compile-time exponent, not an input parameter",
                        construct="pow @ with a runtime exponent", unsupported=True)
    if isinstance(k, bool) or not isinstance(k, (int, float)):
        raise ExprError(f"pow(k) @ needs a number, got {k!r}", construct="pow @")
    if float(k).is_integer():
        k = int(k)
        limit = _limits.current().limits.max_operations
        if abs(k) * max(len(ops), 1) > limit:
            raise LimitError(f"pow({k}) @ repeats the gate into more than {limit} operations",
                             "parse.max_operations", construct="pow @")
        if k >= 0:
            return list(ops) * k
        return inverse(ops) * (-k)
    real_ops = [op for op in ops if op.name not in (GPHASE, "barrier")]
    if len(real_ops) == 1 and not any(op.name == GPHASE for op in ops):
        r = _root(real_ops[0], float(k))
        if r is not None:
            return r
    raise ExprError(f"pow({k}) @ with a non-integer exponent is only supported for x, z, s, sdg and "
                    "rotation/phase gates with numeric angles", construct="pow @ with a non-integer exponent",
                    unsupported=True)

