"""Ideal distributions, sampled counts, Hellinger and state fidelity."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qiskit.quantum_info import hellinger_fidelity as qiskit_hellinger

from qnb.circuits.ir import Circuit, Operation as Op
from qnb.errors import UnsupportedConstructError
from qnb.quantum.fidelity import (distribution, hellinger_fidelity, ideal_distribution, ideal_state,
                                  sample_counts, state_fidelity)
from qnb.quantum.state import QuantumState

BELL = Circuit(2, 2, (Op("h", (0,)), Op("cx", (0, 1)), Op("measure", (0,), (0,)), Op("measure", (1,), (1,))))


def test_bell_distribution_is_half_00_half_11():
    assert ideal_distribution(BELL) == pytest.approx({"00": 0.5, "11": 0.5})


def test_keys_put_the_highest_clbit_first_and_unmeasured_clbits_read_zero():
    # X on qubit 0 measured into clbit 2 of 3: only clbit 2 is 1 -> "100"
    c = Circuit(2, 3, (Op("x", (0,)), Op("measure", (0,), (2,))))
    assert ideal_distribution(c) == {"100": 1.0}


def test_last_measurement_into_a_clbit_wins():
    c = Circuit(2, 1, (Op("x", (1,)), Op("measure", (0,), (0,)), Op("measure", (1,), (0,))))
    assert ideal_distribution(c) == {"1": 1.0}


def test_marginal_over_measured_qubits_only():
    # qubit 0 in |+>, qubit 1 in |1>; measuring only qubit 1 gives "1" with certainty
    c = Circuit(2, 1, (Op("h", (0,)), Op("x", (1,)), Op("measure", (1,), (0,))))
    assert ideal_distribution(c) == pytest.approx({"1": 1.0})


def test_ideal_state_rejects_mid_circuit_measurement():
    c = Circuit(1, 1, (Op("measure", (0,), (0,)), Op("h", (0,))))
    with pytest.raises(UnsupportedConstructError):
        ideal_state(c)


def _ry_state(theta: float) -> QuantumState:
    return QuantumState("statevector", 1, np.array([math.cos(theta / 2), math.sin(theta / 2)], complex))


def test_sample_counts_is_reproducible_for_a_seed():
    s = QuantumState("statevector", 3, np.full(8, 1 / math.sqrt(8), complex))
    meas = [(0, 0), (1, 1), (2, 2)]
    a = sample_counts(s, meas, 3, 2000, seed=11)
    assert a == sample_counts(s, meas, 3, 2000, seed=11)
    assert a != sample_counts(s, meas, 3, 2000, seed=12)   # 8 outcomes x 2000 shots: a tie is absurdly unlikely
    assert sum(a.values()) == 2000 and set(a) <= {format(i, "03b") for i in range(8)}


def test_sample_counts_match_the_distribution_statistically():
    """Pearson chi-square against exact probabilities; 3 degrees of freedom, bound at p < 1e-6."""
    rng = np.random.default_rng(5)
    psi = rng.normal(size=4) + 1j * rng.normal(size=4)
    psi /= np.linalg.norm(psi)
    s = QuantumState("statevector", 2, psi)
    shots = 20000
    counts = sample_counts(s, [(0, 0), (1, 1)], 2, shots, seed=3)
    probs = distribution(s, [(0, 0), (1, 1)], 2)
    chi2 = sum((counts.get(k, 0) - shots * p) ** 2 / (shots * p) for k, p in probs.items())
    assert chi2 < 33.4


def test_readout_error_flips_bits_at_one_minus_fidelity():
    s = QuantumState.initial(2)                          # always reads 00 without error
    shots = 20000
    counts = sample_counts(s, [(0, 0), (1, 1)], 2, shots, seed=9, readout_fidelity={0: 0.9, 1: 1.0})
    assert set(counts) == {"00", "01"}                    # qubit 1's node reads perfectly
    rate = counts["01"] / shots
    assert abs(rate - 0.1) < 5 * math.sqrt(0.1 * 0.9 / shots)


def test_density_matrix_sampling_uses_its_diagonal():
    s = _ry_state(2 * math.pi / 3).to_density_matrix()    # P(1) = sin^2(pi/3) = 0.75
    counts = sample_counts(s, [(0, 0)], 1, 20000, seed=1)
    assert abs(counts["1"] / 20000 - 0.75) < 5 * math.sqrt(0.75 * 0.25 / 20000)


def test_no_measurements_give_the_empty_or_zero_key():
    s = QuantumState.initial(1)
    assert sample_counts(s, [], 0, 10, seed=0) == {"": 10}
    assert sample_counts(s, [], 2, 10, seed=0) == {"00": 10}


def test_more_than_62_clbits_still_format_correctly():
    s = QuantumState("statevector", 1, np.array([0, 1], complex))
    counts = sample_counts(s, [(0, 63)], 64, 5, seed=0)
    assert counts == {"1" + "0" * 63: 5}
    assert distribution(s, [(0, 0)], 64) == {"0" * 63 + "1": 1.0}


def test_shots_must_be_positive():
    with pytest.raises(ValueError, match="shots"):
        sample_counts(QuantumState.initial(1), [(0, 0)], 1, 0, seed=0)


dists = st.dictionaries(st.sampled_from(["000", "001", "010", "011", "100", "101", "110", "111"]),
                        st.integers(1, 1000), min_size=1)


@settings(max_examples=200, deadline=None)
@given(dists, dists)
def test_hellinger_matches_qiskit(p, q):
    assert hellinger_fidelity(p, q) == pytest.approx(qiskit_hellinger(p, q), abs=1e-12)


def test_hellinger_extremes():
    assert hellinger_fidelity({"0": 10}, {"0": 0.3}) == pytest.approx(1.0)    # normalised first
    assert hellinger_fidelity({"0": 10}, {"1": 1.0}) == 0.0
    # (sqrt(.5*.5) + sqrt(.5*.5))^2 = 1 ; one shared half: (sqrt(0.5 * 1))^2 = 0.5
    assert hellinger_fidelity({"0": 1, "1": 1}, {"0": 1.0}) == pytest.approx(0.5)


def test_state_fidelity_of_pure_and_mixed_states():
    zero = np.array([1, 0], complex)
    plus = QuantumState("statevector", 1, np.array([1, 1], complex) / math.sqrt(2))
    assert state_fidelity(plus, zero) == pytest.approx(0.5)
    mixed = QuantumState("density_matrix", 1, np.eye(2, dtype=complex) / 2)
    assert state_fidelity(mixed, zero) == pytest.approx(0.5)
    assert state_fidelity(plus.to_density_matrix(), plus.data) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="shape"):
        state_fidelity(plus, np.ones(4))


def test_measurement_of_a_missing_qubit_or_clbit_is_rejected():
    s = QuantumState.initial(2)
    with pytest.raises(ValueError, match="qubit 2"):
        sample_counts(s, [(2, 0)], 1, 10, seed=0)
    with pytest.raises(ValueError, match="clbit 1"):
        distribution(s, [(0, 1)], 1)
