"""The bundled benchmark circuits load and do what their comments say (FR-003, NFR-007 inputs).

Each expectation is derived from the algorithm, not from running our code: GHZ gives all-0/all-1,
Bernstein-Vazirani reveals its secret, the adder computes 3 + 5, the QFT matches qiskit's QFTGate,
QAOA p=2 on a 6-ring reaches the known (2p+1)/(2p+2) ratio, and the Ising Trotter circuit tracks
exact evolution under its Hamiltonian.
"""

from pathlib import Path

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit.library import QFTGate
from qiskit.quantum_info import Operator, SparsePauliOp, Statevector
from scipy.linalg import expm

from qnb.circuits import bundled, load, to_qiskit
from qnb.circuits.loader import BUNDLED_DIR

from ingest_helpers import equal_up_to_phase, unitary

REQUIRED = {"ghz_5", "ghz_10", "qft_6", "qaoa_maxcut_6", "ising_8", "cuccaro_adder_3", "bernstein_vazirani_6",
            "qasm3_features"}


def state(circuit) -> np.ndarray:
    return Statevector(to_qiskit(circuit, measurements=False)).data


def distribution(circuit) -> dict[str, float]:
    """Ideal outcome distribution over the clbits (qiskit's key order: clbit n-1 ... clbit 0)."""
    probs = np.abs(state(circuit)) ** 2
    out: dict[str, float] = {}
    for index in np.nonzero(probs > 1e-12)[0]:
        bits = ["0"] * circuit.num_clbits
        for q, c in circuit.measurements:
            bits[c] = str((int(index) >> q) & 1)
        key = "".join(reversed(bits))
        out[key] = out.get(key, 0.0) + float(probs[index])
    return out


def test_required_circuits_are_bundled_and_listed_in_readme():
    names = set(bundled())
    assert REQUIRED <= names
    readme = (BUNDLED_DIR / "README.md").read_text()
    for name in names:
        assert f"`{name}`" in readme


@pytest.mark.parametrize("name", sorted(bundled()))
def test_bundled_circuit_is_small_with_terminal_measurements(name):
    c = load(name)
    assert 1 <= c.num_qubits <= 12
    assert c.name == name and c.measurements
    measured: set[int] = set()
    for op in c.operations:
        if op.name == "measure":
            measured.add(op.qubits[0])
        elif op.name != "barrier":
            assert not measured & set(op.qubits), f"{op.name} after a measurement on {op.qubits}"


def test_mostly_openqasm3_with_some_openqasm2():
    formats = [load(n).source_format for n in bundled()]
    assert formats.count("qasm2") >= 2 and formats.count("qasm3") > formats.count("qasm2")


@pytest.mark.parametrize("name, n", [("ghz_5", 5), ("ghz_10", 10)])
def test_ghz(name, n):
    dist = distribution(load(name))
    assert dist.keys() == {"0" * n, "1" * n}
    assert all(v == pytest.approx(0.5) for v in dist.values())


def test_bernstein_vazirani_reveals_the_secret():
    assert distribution(load("bernstein_vazirani_6")) == {"10110": pytest.approx(1.0)}


def test_cuccaro_adder_computes_three_plus_five():
    # ans = cout b2 b1 b0 = 8
    assert distribution(load("cuccaro_adder_3")) == {"1000": pytest.approx(1.0)}


def test_qft_matches_qiskit_qft_on_the_prepared_state():
    expected = Statevector.from_int(45, 2 ** 6).evolve(QFTGate(6)).data
    assert equal_up_to_phase(state(load("qft_6")), expected)


def test_qaoa_reaches_the_p2_ring_optimum():
    c = load("qaoa_maxcut_6")
    probs = np.abs(state(c)) ** 2
    idx = np.arange(64)
    cut = sum(((idx >> k) & 1) != ((idx >> ((k + 1) % 6)) & 1) for k in range(6))
    assert float(probs @ cut) == pytest.approx(6 * 5 / 6, abs=0.01)


def test_qaoa_matches_an_independent_qiskit_construction():
    qc = QuantumCircuit(6)
    qc.h(range(6))
    for gamma, beta in ((-0.64, -1.89), (0.32, 0.64)):
        for k in range(6):
            qc.rzz(2 * gamma, k, (k + 1) % 6)
        qc.rx(2 * beta, range(6))
    assert equal_up_to_phase(unitary(load("qaoa_maxcut_6")), Operator(qc).data)


def test_ising_trotter_tracks_exact_evolution():
    terms = [("ZZ", [i, i + 1], -1.0) for i in range(7)] + [("X", [i], -0.9) for i in range(8)]
    h = SparsePauliOp.from_sparse_list(terms, num_qubits=8).to_matrix()
    exact = expm(-1j * h * 1.0)[:, 0]
    fidelity = abs(np.vdot(exact, state(load("ising_8")))) ** 2
    # first-order Trotter with dt = 0.25 is close; a sign error in either term drops below 0.1
    assert fidelity > 0.85


def test_qasm3_features_matches_a_hand_built_qiskit_circuit():
    c = load("qasm3_features")
    assert c.parameters == ("theta",)
    theta, quarter = 0.7, np.pi / 4
    bell = QuantumCircuit(2, global_phase=quarter)
    bell.h(0)
    bell.cx(0, 1)
    qc = QuantumCircuit(4)
    qc.append(bell.to_gate(), [0, 1])
    qc.append(bell.to_gate().control(1, annotated=False), [1, 2, 3])
    qc.x(0)
    qc.cx(0, 3)
    qc.x(0)
    qc.append(bell.to_gate().inverse(), [2, 3])
    qc.s(0)
    qc.s(0)
    qc.sx(1)
    for i in range(4):
        qc.rz(theta * (i + 1), i)
    qc.crz(theta / 2, 3, 0)
    for k in (1, 3):
        qc.cp(quarter * k, 0, k)
    assert equal_up_to_phase(unitary(c.bind(theta=theta)), Operator(qc).data)


def test_bundled_paths_exist():
    for name, path in bundled().items():
        assert isinstance(path, Path) and path.is_file() and path.stem == name
