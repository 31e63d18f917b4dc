"""Circuit builders and hypothesis strategies shared by the planner tests (IR built directly)."""

from __future__ import annotations

from hypothesis import strategies as st

from qnb.circuits.ir import Circuit, Operation

ONE_Q = ["h", "x", "sx", "rz", "t", "s", "z"]
TWO_Q = ["cx", "cz", "rzz", "cp", "swap", "crx", "iswap"]
THREE_Q = ["ccx", "cswap", "ccz"]


def op(name: str, *qubits: int, clbits: tuple[int, ...] = (), params: tuple = ()) -> Operation:
    from qnb.circuits.gates import GATES
    if not params and name in GATES and GATES[name].num_params:
        params = (0.25,) * GATES[name].num_params
    return Operation(name, tuple(qubits), clbits, params)


def circuit(n: int, *ops: Operation, clbits: int | None = None) -> Circuit:
    return Circuit(n, n if clbits is None else clbits, tuple(ops))


def measure_all(n: int) -> list[Operation]:
    return [Operation("measure", (q,), (q,)) for q in range(n)]


def ghz(n: int) -> Circuit:
    """h on q0 then a cx chain: connected, so any plan over k nodes needs >= k-1 ebits."""
    return circuit(n, op("h", 0), *[op("cx", i, i + 1) for i in range(n - 1)], *measure_all(n))


def ising(n: int) -> Circuit:
    """One Trotter layer of a transverse-field Ising chain: h, rzz chain, rx, measure."""
    return circuit(n, *[op("h", q) for q in range(n)], *[op("rzz", i, i + 1) for i in range(n - 1)],
                   *[op("rx", q) for q in range(n)], *measure_all(n))


@st.composite
def circuits(draw, min_qubits: int = 1, max_qubits: int = 9, max_ops: int = 40, three_qubit: bool = True):
    """Random IR circuits over 1/2/3-qubit gates with barriers and terminal measurements."""
    n = draw(st.integers(min_qubits, max_qubits))
    ops: list[Operation] = []
    for _ in range(draw(st.integers(0, max_ops))):
        kind = draw(st.sampled_from(["1q", "2q", "3q", "barrier"] if three_qubit else ["1q", "2q", "barrier"]))
        if kind == "2q" and n >= 2:
            qs = draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True))
            ops.append(op(draw(st.sampled_from(TWO_Q)), *qs))
        elif kind == "3q" and n >= 3:
            qs = draw(st.lists(st.integers(0, n - 1), min_size=3, max_size=3, unique=True))
            ops.append(op(draw(st.sampled_from(THREE_Q)), *qs))
        elif kind == "barrier":
            qs = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))
            ops.append(Operation("barrier", tuple(sorted(qs))))
        else:
            ops.append(op(draw(st.sampled_from(ONE_Q)), draw(st.integers(0, n - 1))))
    measured = draw(st.lists(st.integers(0, n - 1), unique=True, max_size=n))
    ops += [Operation("measure", (q,), (q,)) for q in measured]
    return Circuit(n, n, tuple(ops))


def hash_probe() -> list[str]:
    """Plan hashes of a fixed 20-qubit circuit on two topologies and two seeds (hash-seed test)."""
    import random

    from qnb.planning import plan_circuit

    r = random.Random(5)
    ops = []
    for _ in range(120):
        if r.random() < 0.5:
            a, b = r.sample(range(20), 2)
            ops.append(op(r.choice(["cx", "cz", "rzz", "swap"]), a, b))
        else:
            ops.append(op(r.choice(["h", "rz", "t"]), r.randrange(20)))
    c = circuit(20, *ops)
    return [plan_circuit(c, t, seed=s).plan_hash for t in ("mesh10", "hetero5") for s in (0, 3)]
