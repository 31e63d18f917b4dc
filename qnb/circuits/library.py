"""The gate libraries an OpenQASM program can include, mapped onto qnb's IR gates (FR-003).

Every IR gate name means qiskit's matrix for that name. An OpenQASM library gate is described by
the IR gate it lowers to plus its *phase*: the global phase by which the library's definition
differs from that matrix. The phase only matters under ``ctrl @``, where the modifiers turn it into
a phase gate on the controls, so ``ctrl @ u3(...)`` is exact with respect to ``stdgates.inc``.

Phase conventions (the one deliberate choice): the builtin ``U(θ, φ, λ)`` is taken to be exactly
qiskit's ``UGate`` (the OpenQASM 3.0 definition, which qiskit's importer and exporter also use).
OpenQASM 3.1 multiplies ``U`` by ``e^{iθ/2}``; the difference is only visible under ``ctrl @ U``.
With that, ``stdgates.inc`` gates equal qiskit's matrices except ``u2``/``u3``, which carry
``gphase(-(φ+λ)/2)``. ``qelib1.inc`` names use qiskit's matrices.

:data:`QNB_GATE_DEFS` are the definitions :func:`qnb.circuits.to_qasm3` writes for IR gates that
``stdgates.inc`` lacks; the loader recognises them (numerically, see :mod:`.recognize`) and maps them
back to the single IR gate.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from .expr import Value, binary, unary
from .ir import Operation
from .modifiers import gphase

__all__ = ["LibGate", "STDGATES", "QELIB1", "BUILTINS", "LIBRARIES", "QNB_GATE_DEFS"]


@dataclass(frozen=True)
class LibGate:
    name: str
    ir_name: str
    num_qubits: int
    num_params: int
    #: global phase of the library definition relative to the IR matrix, as a function of the params
    phase: Callable[[tuple], Value] | None = None
    #: custom lowering (params, qubits) -> ops, for gates that are not one IR gate
    expand: Callable[[tuple, tuple[int, ...]], list[Operation]] | None = None

    def lower(self, params: tuple, qubits: tuple[int, ...]) -> list[Operation]:
        if self.expand is not None:
            ops = self.expand(params, qubits)
        else:
            ops = [Operation(self.ir_name, qubits, (), tuple(params))]
        if self.phase is not None:
            ph = self.phase(params)
            if not (isinstance(ph, (int, float)) and ph == 0):
                ops.append(gphase(ph))
        return ops


def _u23_phase(params: tuple) -> Value:
    phi, lam = params[-2], params[-1]
    return binary("/", unary("-", binary("+", phi, lam)), 2.0)


def _g(name: str, nq: int, np_: int, ir: str | None = None, **kw) -> LibGate:
    return LibGate(name, ir or name, nq, np_, **kw)


BUILTINS: dict[str, LibGate] = {"U": _g("U", 1, 3, "u"), "CX": _g("CX", 2, 0, "cx")}

STDGATES: dict[str, LibGate] = {g.name: g for g in [
    _g("p", 1, 1), _g("x", 1, 0), _g("y", 1, 0), _g("z", 1, 0), _g("h", 1, 0), _g("s", 1, 0), _g("sdg", 1, 0),
    _g("t", 1, 0), _g("tdg", 1, 0), _g("sx", 1, 0), _g("rx", 1, 1), _g("ry", 1, 1), _g("rz", 1, 1),
    _g("cx", 2, 0), _g("cy", 2, 0), _g("cz", 2, 0), _g("cp", 2, 1), _g("crx", 2, 1), _g("cry", 2, 1),
    _g("crz", 2, 1), _g("ch", 2, 0), _g("swap", 2, 0), _g("ccx", 3, 0), _g("cswap", 3, 0), _g("cu", 2, 4),
    _g("CX", 2, 0, "cx"), _g("phase", 1, 1, "p"), _g("cphase", 2, 1, "cp"), _g("id", 1, 0), _g("u1", 1, 1),
    _g("u2", 1, 2, phase=_u23_phase), _g("u3", 1, 3, phase=_u23_phase),
]}


def _mcx(n: int, base: str = "x") -> Callable:
    return lambda params, qubits: [Operation(base, qubits, (), (), ctrl_qubits=n)]


def _from_qiskit_definition(gate_name: str) -> Callable:
    def expand(params: tuple, qubits: tuple[int, ...]) -> list[Operation]:
        return [Operation(o.name, tuple(qubits[q] for q in o.qubits), o.clbits, o.params, o.ctrl_qubits)
                for o in _qiskit_definition_ops(gate_name)]
    return expand


@lru_cache(maxsize=None)
def _qiskit_definition_ops(gate_name: str) -> tuple[Operation, ...]:
    from qiskit.circuit.library import RC3XGate
    from .from_qiskit import from_qiskit
    gate = {"rc3x": RC3XGate}[gate_name]()
    return from_qiskit(gate.definition).operations


QELIB1: dict[str, LibGate] = {**{k: v for k, v in STDGATES.items() if k not in ("CX", "phase", "cphase")}, **{
    g.name: g for g in [
        _g("u0", 1, 1, "id", expand=lambda params, qubits: [Operation("id", qubits)]),
        _g("u", 1, 3), _g("sxdg", 1, 0), _g("cu1", 2, 1), _g("cu3", 2, 3), _g("csx", 2, 0),
        _g("rxx", 2, 1), _g("rzz", 2, 1), _g("rccx", 3, 0),
        _g("c3x", 4, 0, "x", expand=_mcx(3)), _g("c4x", 5, 0, "x", expand=_mcx(4)),
        _g("c3sqrtx", 4, 0, "sx", expand=_mcx(3, "sx")),
        _g("rc3x", 4, 0, "rc3x", expand=_from_qiskit_definition("rc3x")),
    ]}}

LIBRARIES: dict[str, dict[str, LibGate]] = {"stdgates.inc": STDGATES, "qelib1.inc": QELIB1}

#: Definitions written by to_qasm3 for IR gates missing from stdgates.inc (exact, including phase).
QNB_GATE_DEFS: dict[str, str] = {
    "sxdg": "gate sxdg a { inv @ sx a; }",
    "csx": "gate csx a, b { ctrl @ sx a, b; }",
    "ccz": "gate ccz a, b, c { ctrl(2) @ z a, b, c; }",
    "cu1": "gate cu1(lam) a, b { ctrl @ u1(lam) a, b; }",
    "cu3": "gate cu3(theta, phi, lam) a, b { ctrl @ U(theta, phi, lam) a, b; }",
    "rxx": "gate rxx(theta) a, b { h a; h b; cx a, b; rz(theta) b; cx a, b; h a; h b; }",
    "ryy": "gate ryy(theta) a, b { inv @ sx a; inv @ sx b; cx a, b; rz(theta) b; cx a, b; sx a; sx b; }",
    "rzz": "gate rzz(theta) a, b { cx a, b; rz(theta) b; cx a, b; }",
    "rzx": "gate rzx(theta) a, b { h b; cx a, b; rz(theta) b; cx a, b; h b; }",
    "iswap": "gate iswap a, b { s a; s b; h a; cx a, b; cx b, a; h b; }",
    "ecr": "gate ecr a, b { s a; sx b; cx a, b; x a; gphase(-pi/4); }",
    "dcx": "gate dcx a, b { cx a, b; cx b, a; }",
    "rccx": "gate rccx a, b, c { h c; t c; cx b, c; tdg c; cx a, c; t c; cx b, c; tdg c; h c; }",
    "r": "gate r(theta, phi) a { U(theta, phi - pi/2, pi/2 - phi) a; }",
}
