"""State limits and the choice of simulation mode."""

from __future__ import annotations

import pytest

from qnb.quantum.limits import StateLimitError, StateLimits, choose_mode


def test_noiseless_runs_use_statevector_up_to_the_limit():
    lim = StateLimits(statevector_max_qubits=5, density_matrix_max_qubits=3)
    assert choose_mode(5, False, lim) == "statevector"
    assert choose_mode(6, False, lim) == "none"


def test_noisy_runs_need_a_density_matrix_and_are_never_downgraded():
    lim = StateLimits(statevector_max_qubits=5, density_matrix_max_qubits=3)
    assert choose_mode(3, True, lim) == "density_matrix"
    # 4 qubits fit a state vector but a noisy run must not silently become noiseless
    assert choose_mode(4, True, lim) == "none"


def test_defaults_match_the_configuration_defaults():
    lim = StateLimits()
    assert (lim.statevector_max_qubits, lim.density_matrix_max_qubits) == (20, 10)
    assert choose_mode(20, False) == "statevector" and choose_mode(21, False) == "none"
    assert choose_mode(10, True) == "density_matrix" and choose_mode(11, True) == "none"


def test_check_names_kind_and_limit():
    with pytest.raises(StateLimitError) as ei:
        StateLimits(density_matrix_max_qubits=4).check("density_matrix", 5)
    assert ei.value.fields == {"kind": "density_matrix", "num_qubits": 5, "limit": 4}
    StateLimits().check("statevector", 20)  # at the limit is fine


@pytest.mark.parametrize("kw", [{"statevector_max_qubits": 0}, {"density_matrix_max_qubits": 40},
                                {"statevector_max_qubits": 2.5}])
def test_invalid_limits_are_rejected(kw):
    with pytest.raises(ValueError, match=next(iter(kw))):
        StateLimits(**kw)
