"""``qnb bench fuzz``: its program generator and its watchdog (docs/circuit-limits.md)."""

from __future__ import annotations

import json

from qnb.bench.fuzz import Program, generate, render, run_fuzz


def test_generation_is_deterministic_and_starts_with_the_hostile_catalogue():
    a, b = generate(400, seed=7), generate(400, seed=7)
    assert [p.text for p in a] == [p.text for p in b]
    assert [p.text for p in a] != [p.text for p in generate(400, seed=8)]
    names = [p.name for p in a if p.kind == "hostile"]
    for case in ("qubit[100000000]", "qreg[2147483648]", "creg[1000000000]", "rz(10**10**10)", "nested loops",
                 "include ../../../../etc/hostname", "include /etc/passwd", "gate chain 40", "oversized 1MiB+1"):
        assert case in names
    assert len(a) == 400 and any(p.kind == "mutant" for p in a)


def test_a_short_run_counts_outcomes_and_catches_what_ignores_the_deadline(monkeypatch):
    programs = [Program("hostile", "ok", 'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit q;\nh q;\n'),
                Program("hostile", "huge", "OPENQASM 3.0;\nqubit[100000000] q;\n"),
                Program("hostile", "deadline", 'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit q;\n'
                                               "for int i in [0:100000] { for int j in [0:100000] { x q; } }\n")]
    r = run_fuzz(programs, timeout=5.0, deadline=0.5, workers=1)
    assert (r["valid"], r["structured_errors"], r["located_errors"]) == (1, 2, 2)
    assert r["crashes"] == r["hangs"] == r["over_1gib"] == 0 and r["deadline_errors"] == 1
    assert r["limits"]["parse.max_qubits"] == 1 and r["max_rss_mb"] > 0
    json.dumps(r)
    assert "structured error 2" in render(r)
    # a deadline longer than the watchdog's timeout: the watchdog must kill the worker and count a hang
    r = run_fuzz(programs[2:], timeout=1.0, deadline=30.0, workers=1)
    assert r["hangs"] == 1 and r["problems"][0]["status"] == "hang"
