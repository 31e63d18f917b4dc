"""execute_ops on qiskit-aer: the distributed handoff reproduces the monolithic state (NFR-007)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qiskit import QuantumCircuit
from qiskit.quantum_info import Statevector

from qnb.circuits.gates import GATES
from qnb.circuits.ir import Circuit, Operation as Op, ParamExpr
from qnb.errors import ProtocolError, UnsupportedConstructError
from qnb.quantum.executor import estimate_duration_ns, execute_mode_none, execute_ops
from qnb.quantum.fidelity import ideal_state, state_fidelity
from qnb.quantum.gatemap import qiskit_gate
from qnb.quantum.limits import StateLimitError, StateLimits
from qnb.quantum.noise import NoiseParams
from qnb.quantum.state import QuantumState
from qnb.quantum.wire_ops import decode_ops, ops_to_wire

from .strategies import circuits


def quantum_info_state(circuit: Circuit) -> np.ndarray:
    """Reference from a different simulator: qiskit.quantum_info's Statevector (not aer)."""
    qc = QuantumCircuit(circuit.num_qubits)
    for op in circuit.operations:
        if op.is_gate:
            qc.append(qiskit_gate(op.name, tuple(op.params), op.ctrl_qubits), list(op.qubits))
    return Statevector(qc).data


def run_chunked(circuit: Circuit, cuts: list[int], kind: str = "statevector", noise=None) -> QuantumState:
    """Hand one state along consecutive chunks, through the wire formats, as the runtime does."""
    ops = list(circuit.operations)
    bounds = [0, *sorted(set(c for c in cuts if 0 < c < len(ops))), len(ops)]
    state = QuantumState.initial(circuit.num_qubits, kind)
    for a, b in zip(bounds, bounds[1:]):
        wire_ops, _ = decode_ops(ops_to_wire(ops[a:b]), circuit.num_qubits)
        desc, payload = state.encode()
        state, _stats = execute_ops(wire_ops, QuantumState.decode(desc, payload), noise)
    return state


@settings(max_examples=40, deadline=None)
@given(circuits(max_qubits=5, max_gates=24), st.lists(st.integers(0, 40), max_size=8))
def test_chunked_noiseless_run_reproduces_the_ideal_state(circuit, cuts):
    final = run_chunked(circuit, cuts)
    assert state_fidelity(final, ideal_state(circuit)) >= 1 - 1e-9


@settings(max_examples=15, deadline=None)
@given(circuits(max_qubits=3, max_gates=12), st.lists(st.integers(0, 20), max_size=4))
def test_chunked_noiseless_density_matrix_run_reproduces_the_ideal_state(circuit, cuts):
    final = run_chunked(circuit, cuts, kind="density_matrix")
    assert final.kind == "density_matrix"
    assert state_fidelity(final, ideal_state(circuit)) >= 1 - 1e-9


@settings(max_examples=25, deadline=None)
@given(circuits(max_qubits=4, max_gates=16, measure=False))
def test_aer_agrees_with_an_independent_simulator(circuit):
    ideal = ideal_state(circuit)
    ref = quantum_info_state(circuit)
    assert abs(np.vdot(ref, ideal)) ** 2 >= 1 - 1e-9


@settings(max_examples=10, deadline=None)
@given(circuits(min_qubits=2, max_qubits=3, max_gates=8, measure=False), st.lists(st.integers(0, 10), max_size=3))
def test_noise_is_applied_per_op_so_chunking_does_not_change_a_noisy_run(circuit, cuts):
    noise = NoiseParams(0.99, 0.95, 1.0)
    whole = run_chunked(circuit, [], noise=noise)
    parts = run_chunked(circuit, cuts, noise=noise)
    assert np.allclose(whole.data, parts.data, atol=1e-12)


@pytest.mark.parametrize("ctrl", [0, 1])
@pytest.mark.parametrize("name", sorted(GATES))
def test_native_and_unitary_paths_agree_for_every_gate(name, ctrl):
    """The density-matrix method runs many gates as `unitary` that the statevector method runs
    natively (and vice versa for a few); both must give the same state."""
    info = GATES[name]
    if info.num_qubits + ctrl > 4:
        pytest.skip("too wide")
    rng = np.random.default_rng(7)
    psi = rng.normal(size=16) + 1j * rng.normal(size=16)
    psi /= np.linalg.norm(psi)
    op = Op(name, tuple(range(3, 3 - info.num_qubits - ctrl, -1)), (),
            tuple(0.4 + 0.3 * i for i in range(info.num_params)), ctrl)
    sv, _ = execute_ops([op], QuantumState("statevector", 4, psi))
    dm, _ = execute_ops([op], QuantumState("statevector", 4, psi).to_density_matrix())
    ref = Statevector(psi).evolve(qiskit_gate(name, op.params, ctrl), list(op.qubits)).data
    assert abs(np.vdot(ref, sv.data)) ** 2 == pytest.approx(1.0, abs=1e-12)
    assert np.allclose(dm.data, np.outer(ref, ref.conj()), atol=1e-12)


def test_measure_and_barrier_are_skipped_and_reset_at_start_is_a_no_op():
    ops = [Op("reset", (1,)), Op("x", (0,)), Op("barrier", (0, 1)), Op("measure", (0,), (0,))]
    out, stats = execute_ops(ops, QuantumState.initial(2))
    assert stats.num_ops == 2 and stats.mode == "statevector"
    assert np.allclose(out.data, [0, 1, 0, 0])    # |q1 q0> = |01>: still not collapsed or reset


def test_noise_promotes_a_statevector_to_a_density_matrix():
    out, stats = execute_ops([Op("h", (0,))], QuantumState.initial(1), NoiseParams(0.99, 0.99, 1.0))
    assert out.kind == "density_matrix" and stats.mode == "density_matrix"
    # depolarizing with lam = 0.02 shrinks the off-diagonal of |+><+| from 0.5 to 0.49
    assert out.data[0, 1].real == pytest.approx(0.5 * (1 - 0.02))


def test_readout_only_noise_keeps_the_statevector():
    out, stats = execute_ops([Op("h", (0,))], QuantumState.initial(1), NoiseParams(1.0, 1.0, 0.9))
    assert out.kind == "statevector"


def test_promotion_beyond_the_density_matrix_limit_is_refused():
    with pytest.raises(StateLimitError, match="density_matrix of 3 qubits exceeds the limit of 2"):
        execute_ops([Op("h", (0,))], QuantumState.initial(3), NoiseParams(0.99, 0.99, 1.0),
                    limits=StateLimits(density_matrix_max_qubits=2))


def test_link_fidelity_must_index_an_op():
    with pytest.raises(ProtocolError, match="op 5") as ei:
        execute_ops([Op("cx", (0, 1))], QuantumState.initial(2), None, {5: 0.9})
    assert ei.value.code == "bad_ops"


def test_unbound_parameter_is_an_unsupported_construct():
    with pytest.raises(UnsupportedConstructError) as ei:
        execute_ops([Op("rz", (0,), params=(ParamExpr("theta"),))], QuantumState.initial(1))
    assert ei.value.construct == "unbound_parameter"


def test_out_of_range_qubit_is_rejected():
    with pytest.raises(ProtocolError, match="qubit 2 is outside 0..1"):
        execute_ops([Op("x", (2,))], QuantumState.initial(2))


def test_empty_fragment_returns_the_state_unchanged():
    s = QuantumState.initial(2)
    out, stats = execute_ops([Op("measure", (0,), (0,))], s)
    assert out is s and stats.num_ops == 0


def test_mode_none_estimates_a_serial_duration_without_state():
    ops = [Op("h", (0,)), Op("cx", (0, 1)), Op("barrier", (0, 1)), Op("measure", (0,), (0,))]
    stats = execute_mode_none(ops, duration_1q_ns=35.0, duration_2q_ns=300.0, duration_readout_ns=1000.0)
    assert stats.mode == "none" and stats.num_ops == 2   # measure and barrier are not applied
    assert stats.duration_ns == 35.0 + 300.0 + 1000.0
    # a Toffoli costs one 2q duration per CX of its 6-CX decomposition
    assert estimate_duration_ns([Op("ccx", (0, 1, 2))], duration_2q_ns=100.0) == 600.0


@pytest.mark.parametrize("kind", ["statevector", "density_matrix"])
def test_read_only_input_arrays_are_not_misread(kind):
    """Regression: aer 0.18 reads read-only complex arrays transposed; a state decoded from a
    buffer or shared from a cache must still come back unchanged after an identity gate."""
    rng = np.random.default_rng(3)
    psi = rng.normal(size=4) + 1j * rng.normal(size=4)
    psi /= np.linalg.norm(psi)
    state = QuantumState("statevector", 2, psi)
    if kind == "density_matrix":
        state = state.to_density_matrix()
    frozen = state.data.copy()
    frozen.setflags(write=False)
    out, _ = execute_ops([Op("id", (0,))], QuantumState(kind, 2, frozen))
    assert np.allclose(out.data, state.data, atol=1e-12)


@pytest.mark.parametrize("link", [{0: 0.0}, {0: 1.5}, {0: "0.9"}, {"0": 0.9}])
def test_link_fidelity_values_are_validated(link):
    with pytest.raises(ProtocolError) as ei:
        execute_ops([Op("cx", (0, 1))], QuantumState.initial(2), None, link)
    assert ei.value.code == "bad_ops"


def test_concurrent_calls_from_worker_threads_do_not_interfere():
    """Nodes call execute_ops from trio worker threads at the same time; shared simulators and
    cached gate objects must not leak state between calls."""
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(11)
    jobs = []
    for k in range(12):
        n = 2 + k % 3
        ops = [Op("h", (q,)) for q in range(n)] + [
            Op("rz", (int(rng.integers(n)),), params=(float(rng.normal()),)) for _ in range(6)] + [
            Op("cx", (0, n - 1)), Op("ry", (1,), params=(float(k),))]
        jobs.append((Circuit(n, 0, tuple(ops)), NoiseParams(0.99, 0.97, 1.0) if k % 2 else None))
    serial = [execute_ops(c.operations, QuantumState.initial(c.num_qubits), nz)[0].data for c, nz in jobs]
    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = [pool.submit(execute_ops, c.operations, QuantumState.initial(c.num_qubits), nz) for c, nz in jobs]
        parallel = [f.result()[0].data for f in futures]
    for a, b in zip(serial, parallel):
        assert np.allclose(a, b, atol=1e-12)
