"""The public surface of qnb.harness and the bench/CLI entry points the integrator codes against."""

import argparse

import qnb.harness
from qnb.bench import compare as bench_compare
from qnb.bench import nfr as bench_nfr


def test_public_names_are_pinned():
    assert sorted(qnb.harness.__all__) == sorted([
        "compare", "CompareConfig", "CompareResult", "default_circuits", "Scenario", "FaultEvent",
        "ResolvedFault", "PlanLoad", "SCENARIOS", "get_scenario", "plan_load", "resolve_schedule", "percentile",
        "median", "p95", "wilson_interval", "bootstrap_ci", "summarize", "headline", "narrative", "write_report",
        "Centralized", "Distributed"])
    for name in qnb.harness.__all__:
        assert getattr(qnb.harness, name) is not None
    assert callable(qnb.harness.compare.compare)      # the module path of the Python API


def test_bench_compare_parser_has_the_documented_options():
    p = argparse.ArgumentParser()
    bench_compare.add_arguments(p)
    a = p.parse_args(["--circuits", "ghz_5,qft_6", "--faults", "none,node-drop", "--modes", "centralized",
                      "--repeat", "2", "--shots", "10", "--seed", "3", "--db", "x.duckdb", "--json"])
    assert (a.circuits, a.faults, a.modes, a.repeat, a.shots, a.seed, a.db, a.json) == (
        "ghz_5,qft_6", "none,node-drop", "centralized", 2, 10, 3, "x.duckdb", True)
    assert callable(bench_compare.main) and callable(bench_compare.run_compare)
    assert callable(bench_nfr.run_nfr)


def test_default_circuits_cover_ghz_qft_qaoa_and_arithmetic():
    names = qnb.harness.default_circuits()
    assert len(names) == 4
    assert names[0].startswith("ghz_") and names[1].startswith("qft_") and names[2].startswith("qaoa")
    assert any(t in names[3] for t in ("adder", "cuccaro", "draper", "arith"))
