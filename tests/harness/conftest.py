"""Shared fixtures: one real comparison on small real embedded meshes, reused by several tests."""

import pytest

from qnb.config import Settings


def harness_settings() -> Settings:
    # A short exec timeout only bounds how long attempts against a dropped node take to fail;
    # fragments of these tiny circuits finish in milliseconds.
    return Settings.load(None, env={}, overrides={"logging.destination": "none", "timeouts.exec": 3.0})


@pytest.fixture(scope="session")
def fault_experiment(tmp_path_factory):
    """ghz_5 on 3 nodes x 3 qubits, both modes, scenarios none / node-drop / fidelity-drop, 1 repeat."""
    from qnb.harness.compare import compare
    db = str(tmp_path_factory.mktemp("harness") / "exp.duckdb")
    res = compare(["ghz_5"], topology="all-to-all:3:3", scenarios="none,node-drop,fidelity-drop",
                  repeat=1, shots=256, seed=11, db=db, warmup=False, settings=harness_settings())
    return res, db
