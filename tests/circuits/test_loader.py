"""qnb.circuits.load: source detection, files, bundled names, pass-through (FR-003)."""

from pathlib import Path

import pytest
from qiskit import QuantumCircuit

import qnb
from qnb.circuits import Circuit, Operation, bundled, load
from qnb.circuits.loader import detect_version
from qnb.errors import QasmError

QASM3 = 'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[1] q;\nx q[0];\n'
QASM2 = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\nx q[0];\n'


@pytest.mark.parametrize("text, version", [
    (QASM3, 3), (QASM2, 2), ("qubit q;", 3), ("OPENQASM 3;", 3), ("  // lead\n/* c\n */ OPENQASM 2.0 ;", 2),
    ("\ufeffOPENQASM 2.0;", 2), ("OPENQASM 3.1;", 3),
])
def test_detect_version(text, version):
    assert detect_version(text) == version


def test_unsupported_version_is_an_error_with_location():
    with pytest.raises(QasmError) as e:
        detect_version("\n\nOPENQASM 4.0;")
    assert e.value.construct == "version" and (e.value.line, e.value.column) == (3, 1)


def test_text_of_both_versions_loads_to_the_same_operations():
    a, b = load(QASM3), load(QASM2)
    assert (a.source_format, b.source_format) == ("qasm3", "qasm2")
    assert a.operations == b.operations == (Operation("x", (0,)),)
    assert a.source == QASM3 and b.source == QASM2


def test_no_header_means_qasm3():
    assert load('include "stdgates.inc";\nqubit q;\nh q;\n').source_format == "qasm3"


def test_path_as_str_and_as_Path(tmp_path):
    p = tmp_path / "bell.qasm"
    p.write_text(QASM2)
    for src in (p, str(p)):
        c = load(src)
        assert c.name == "bell" and c.source_format == "qasm2" and c.source == QASM2
    assert load(p, name="other").name == "other"


def test_bundled_name_loads_the_bundled_file():
    c = load("ghz_5")
    assert c.name == "ghz_5" and c.num_qubits == 5
    assert c.source == bundled()["ghz_5"].read_text()


def test_bundled_listing():
    b = bundled()
    assert list(b) == sorted(b) and all(isinstance(p, Path) and p.suffix == ".qasm" for p in b.values())


def test_missing_file_and_unknown_name_are_clear_errors(tmp_path):
    with pytest.raises(QasmError) as e:
        load(tmp_path / "nope.qasm")
    assert e.value.construct == "file" and "nope.qasm" in e.value.message
    with pytest.raises(QasmError) as e:
        load("ghz_55")
    assert e.value.construct == "source" and "ghz_5" in e.value.message  # lists what is bundled


def test_non_utf8_file(tmp_path):
    p = tmp_path / "bin.qasm"
    p.write_bytes(b"OPENQASM 3;\xff\xfe")
    with pytest.raises(QasmError) as e:
        load(p)
    assert e.value.construct == "file" and "UTF-8" in e.value.message


def test_empty_source_and_wrong_type():
    with pytest.raises(QasmError):
        load("   ")
    with pytest.raises(QasmError) as e:
        load(42)
    assert "int" in e.value.message


def test_circuit_is_returned_as_is():
    c = Circuit(1, 0, (Operation("h", (0,)),))
    assert load(c) is c


def test_qiskit_circuit_and_name():
    qc = QuantumCircuit(2, name="pair")
    qc.cz(0, 1)
    assert load(qc).name == "pair" and load(qc, name="x").name == "x"
    assert load(qc).operations == (Operation("cz", (0, 1)),)


def test_top_level_api_uses_the_loader():
    assert qnb.load("ghz_5").fingerprint() == load("ghz_5").fingerprint()
