"""The execution benchmark runs and reports every case it selects (its numbers are not asserted)."""

from __future__ import annotations

from qnb.quantum import bench


def test_bench_prints_one_row_per_selected_case(capsys):
    bench.main(["--repeat", "2", "--max-qubits", "4"])
    rows = capsys.readouterr().out.strip().splitlines()
    assert rows[0].split()[:3] == ["kind", "qubits", "ops"]
    body = rows[1:]
    assert len(body) == 8          # 6 cases with <= 4 qubits + 2 aer-floor rows
    for row in body:
        kind, qubits, _ops, median, p95 = row.split()[:5]
        assert int(qubits) <= 4 and 0 < float(median) <= float(p95)
    assert [r.split()[0] for r in body[-2:]] == ["aer-floor-sv", "aer-floor-dm"]
