"""Deterministic random IR circuits for benchmarks and property tests.

Same ``(num_qubits, num_ops, seed, two_qubit_fraction)`` -> the same circuit on every machine and
Python version (``random.Random`` with an integer seed is stable). Gates come from
``{h, x, rz, sx}`` and ``{cx, cz, rzz}``; angles are uniform in ``(-pi, pi)``.
"""

from __future__ import annotations

import math
import random

from ..errors import QnbError
from .ir import Circuit, Operation

__all__ = ["random_circuit", "ONE_QUBIT_GATES", "TWO_QUBIT_GATES"]

ONE_QUBIT_GATES = ("h", "x", "rz", "sx")
TWO_QUBIT_GATES = ("cx", "cz", "rzz")
_ROTATIONS = {"rz", "rzz"}


def _check(name: str, value, ok: bool, rule: str) -> None:
    if not ok:
        raise QnbError(f"random_circuit: {name}={value!r} is invalid: {rule}", parameter=name, value=repr(value),
                       rule=rule)


def random_circuit(num_qubits: int, num_ops: int, seed: int, two_qubit_fraction: float = 0.4, *,
                   measure: bool = False) -> Circuit:
    """``num_ops`` random gates on ``num_qubits`` qubits (plus terminal measurements if ``measure``).

    Each gate is two-qubit with probability ``two_qubit_fraction`` (never with one qubit).
    """
    _check("num_qubits", num_qubits, isinstance(num_qubits, int) and num_qubits >= 1, "an integer >= 1")
    _check("num_ops", num_ops, isinstance(num_ops, int) and num_ops >= 0, "an integer >= 0")
    _check("seed", seed, isinstance(seed, int), "an integer")
    _check("two_qubit_fraction", two_qubit_fraction,
           isinstance(two_qubit_fraction, (int, float)) and 0.0 <= two_qubit_fraction <= 1.0, "a number in [0, 1]")
    rng = random.Random(seed)
    ops: list[Operation] = []
    for _ in range(num_ops):
        if num_qubits >= 2 and rng.random() < two_qubit_fraction:
            name = rng.choice(TWO_QUBIT_GATES)
            qubits = tuple(rng.sample(range(num_qubits), 2))
        else:
            name = rng.choice(ONE_QUBIT_GATES)
            qubits = (rng.randrange(num_qubits),)
        params = (rng.uniform(-math.pi, math.pi),) if name in _ROTATIONS else ()
        ops.append(Operation(name, qubits, (), params))
    num_clbits = num_qubits if measure else 0
    if measure:
        ops.extend(Operation("measure", (q,), (q,)) for q in range(num_qubits))
    return Circuit(num_qubits=num_qubits, num_clbits=num_clbits, operations=tuple(ops),
                   name=f"random_{num_qubits}q_{num_ops}ops_s{seed}", source_format="ir")
