"""Distributed vs centralized orchestration under scheduled faults: runs and a tidy table (FR-013).

:func:`compare` runs every (repeat, scenario, circuit, mode) cell as one job on a **fresh embedded
mesh** of the same topology, so no cell inherits another's dropped node, degraded noise,
reservations or warm connections. Both modes of a cell get the same circuit, topology, seed, shot
count and fault schedule; the order of the two modes alternates with the repeat index.

Seeds: repeat ``r`` runs with job seed ``seed + r`` (planner seed and sampling seed), so repeats
vary the sampled counts and any seed-dependent plan choice while the two modes stay paired. The
fault schedule is :func:`qnb.harness.scenarios.resolve_schedule` of (scenario, job seed, node
names, plan load of the circuit on the mesh's pre-fault registry snapshot): a pure function.

One row per run, with the columns of :data:`ROW_COLUMNS` (see docs/experiments.md for their
definitions); each row is also written to DuckDB (``bench_runs``) under one experiment id.
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterable, Sequence

import qnb

from ..errors import QnbError
from .scenarios import DEFAULT_SCENARIOS, Scenario, parse_scenarios, plan_load, resolve_schedule

__all__ = ["CompareConfig", "CompareResult", "compare", "default_circuits", "ROW_COLUMNS", "MODES",
           "DEFAULT_TOPOLOGY"]

log = logging.getLogger("qnb.harness")

MODES = ("distributed", "centralized")
DEFAULT_TOPOLOGY = "all-to-all:4:4"

#: the tidy row, in column order (also the columns of the ``bench_runs`` table)
ROW_COLUMNS = (
    "experiment_id", "run_index", "mode", "circuit", "scenario", "repeat", "seed", "topology", "shots",
    "job_id", "status", "success", "error_type", "error_message",
    "compile_ms", "queue_ms", "reserve_ms", "execution_ms", "sim_ms", "orchestration_overhead_ms", "wall_ms",
    "end_to_end_ms", "retries", "fallbacks", "replans", "ebits", "remote_gates", "fragments", "attempts",
    "estimated_fidelity", "measured_fidelity", "state_fidelity", "plan_hash", "expected_plan_hash",
    "nodes_used", "faults", "schedule", "version", "started_at", "finished_at",
)


class CompareError(QnbError):
    type = "compare_error"


def default_circuits() -> list[str]:
    """GHZ, QFT, QAOA and one arithmetic circuit from the bundled set (``qnb.circuits.bundled()``)."""
    names = sorted(_bundled())
    picks = []
    # noisy runs hand a density matrix (4**n values) from node to node: GHZ on 10 qubits moves 16 MB
    # per fragment, so the default prefers the smaller GHZ instances
    for prefs in (("ghz_8", "ghz_6", "ghz_5", "ghz_10"), ("qft_6", "qft_5", "qft_4"), ("qaoa_maxcut_6",),
                  ("adder", "cuccaro", "draper", "arith")):
        hit = next((n for p in prefs for n in names if n == p), None) or \
            next((n for p in prefs for n in names if n.startswith(p) or p in n), None)
        if hit:
            picks.append(hit)
    return picks


def _bundled() -> dict:
    try:
        from ..circuits import bundled
    except ImportError:
        return {}
    return dict(bundled())


@dataclass(frozen=True)
class CompareConfig:
    circuits: tuple[str, ...] = ()
    topology: str = DEFAULT_TOPOLOGY
    scenarios: tuple[str, ...] = DEFAULT_SCENARIOS
    modes: tuple[str, ...] = MODES
    repeat: int = 3
    shots: int = 1024
    seed: int = 7
    noiseless: bool = False
    timeout_s: float = 120.0
    warmup: bool = True
    name: str | None = None

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class CompareResult:
    experiment_id: str
    config: CompareConfig
    rows: list[dict] = field(default_factory=list)
    wall_s: float = 0.0
    db: str | None = None

    def df(self):
        """The rows as a pandas DataFrame (pandas is an optional dependency)."""
        import pandas as pd
        return pd.DataFrame(self.rows, columns=list(ROW_COLUMNS))

    def summary(self) -> list[dict]:
        from .summary import summarize
        return summarize(self.rows)

    def to_json(self) -> dict:
        return {"experiment_id": self.experiment_id, "config": self.config.to_json(), "wall_s": round(self.wall_s, 3),
                "db": self.db, "rows": [_jsonable_row(r) for r in self.rows], "summary": self.summary()}


def _jsonable_row(r: dict) -> dict:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}


# ------------------------------------------------------------------------------- validation
def _validate(cfg: CompareConfig):
    from ..topology import load_topology
    if not cfg.circuits:
        raise CompareError("no circuits given and no bundled default circuits found", field="circuits")
    bad = [m for m in cfg.modes if m not in MODES]
    if bad or not cfg.modes:
        raise CompareError(f"unknown mode(s) {bad or cfg.modes!r}; expected a subset of {', '.join(MODES)}",
                           field="modes", value=list(cfg.modes))
    if len(set(cfg.modes)) != len(cfg.modes):
        raise CompareError(f"duplicate modes in {list(cfg.modes)}", field="modes")
    if cfg.repeat < 1:
        raise CompareError(f"repeat must be >= 1, got {cfg.repeat}", field="repeat", value=cfg.repeat)
    if cfg.shots < 1:
        raise CompareError(f"shots must be >= 1, got {cfg.shots}", field="shots", value=cfg.shots)
    if not cfg.timeout_s > 0:
        raise CompareError(f"timeout_s must be > 0, got {cfg.timeout_s}", field="timeout_s", value=cfg.timeout_s)
    scenarios = parse_scenarios(cfg.scenarios)
    topo = load_topology(cfg.topology)      # feasibility does not depend on the noise level
    circuits = {}
    for name in cfg.circuits:
        try:
            circuits[name] = qnb.load(name)
        except QnbError as e:
            raise CompareError(f"circuit {name!r} cannot be loaded: {e}", field="circuits", value=name) from None
    return scenarios, topo, circuits


def _check_plannable(circuits: dict, topo, seeds: Iterable[int], settings) -> None:
    """Plan every (circuit, seed) on the declared topology first: an infeasible input fails before any mesh starts."""
    from ..planning import plan_circuit
    weights = settings.planner.cost_weights()
    for name, c in circuits.items():
        for s in seeds:
            try:
                plan_circuit(c, topo, seed=s, weights=weights)
            except QnbError as e:
                raise CompareError(f"circuit {name!r} cannot be planned on topology {topo.name!r}: {e}",
                                   field="circuits", value=name) from None


# ------------------------------------------------------------------------------- one run
def _phases(snapshot) -> dict[str, float | None]:
    first: dict[str, float] = {}
    for state, t in snapshot.history:
        first.setdefault(str(state), t)
    end = next((first[s] for s in ("COMPLETED", "FAILED", "CANCELLED") if s in first), None)

    def ms(a, b):
        return None if a is None or b is None else round((b - a) * 1000, 3)
    q = first.get("QUEUED", snapshot.submitted_at)
    return {"queue_ms": ms(q, first.get("COMPILING")),
            "reserve_ms": ms(first.get("RESERVING"), first.get("EXECUTING")),
            "execution_ms": ms(first.get("EXECUTING"), end),
            "end_to_end_ms": ms(q, end)}


def _count_plans(mesh, job_id: str) -> int | None:
    try:
        return int(mesh.sql("select count(*) from plans where job_id = ?", [job_id]).rows[0][0])
    except Exception:  # noqa: BLE001 - the count is a convenience; the row stays valid without it
        return None


def _run_one(cfg: CompareConfig, settings, run_db: str, *, mode: str, circuit_name: str, circuit,
             scenario: Scenario, repeat: int, seed: int, experiment_id: str, run_index: int) -> dict:
    """One job on a fresh mesh whose store is ``run_db`` (its own file, or ``:memory:``)."""
    from .driver import FaultDriver, apply_before_submit, ensure_central_runner, wait_ready

    started = time.time()
    mesh = qnb.start(topology=cfg.topology, seed=seed, store=run_db, noiseless=cfg.noiseless, settings=settings)
    row: dict[str, Any] = {k: None for k in ROW_COLUMNS}
    row.update(experiment_id=experiment_id, run_index=run_index, mode=mode, circuit=circuit_name,
               scenario=scenario.name, repeat=repeat, seed=seed, topology=cfg.topology, shots=cfg.shots,
               version=qnb.__version__, started_at=started)
    try:
        if not wait_ready(mesh):
            log.warning("run %d: not every node registered within 30 s; running anyway", run_index)
        ensure_central_runner(mesh)
        # the plan both modes start from: the circuit on the pre-fault registry snapshot
        from ..planning import plan_circuit
        expected = plan_circuit(circuit, mesh.topology_snapshot(), seed=seed, weights=settings.planner.cost_weights())
        row["expected_plan_hash"] = expected.plan_hash
        schedule = resolve_schedule(scenario, seed=seed, nodes=mesh.node_names(), load=plan_load(expected))
        row["schedule"] = json.dumps([f.to_json() for f in schedule])
        fault_log = apply_before_submit(mesh, schedule)
        name = f"{experiment_id}:{run_index}:{mode}:{circuit_name}:{scenario.name}:{repeat}"
        driver = FaultDriver(mesh, name, schedule).start()
        job = mesh.submit(circuit, shots=cfg.shots, seed=seed, name=name, mode=mode)
        row["job_id"] = job.id
        try:
            res = job.wait(cfg.timeout_s)
        except TimeoutError as e:
            job.cancel()
            res = None
            row.update(status="TIMEOUT", success=False, error_type="timeout", error_message=str(e))
        fault_log += driver.wait(30.0)
        row["faults"] = json.dumps(fault_log, default=str)
        snap = job.snapshot
        row.update(_phases(snap))
        if res is not None:
            sim = sum(a.sim_ms for a in res.attempts)
            row.update(
                status=res.status, success=res.ok,
                error_type=(res.error or {}).get("type"), error_message=(res.error or {}).get("message"),
                compile_ms=round(res.compile_ms, 3), sim_ms=round(sim, 3), wall_ms=round(res.wall_ms, 3),
                orchestration_overhead_ms=round(max(0.0, res.wall_ms - res.compile_ms - sim), 3),
                retries=res.retries, fallbacks=res.fallbacks, ebits=res.ebits, remote_gates=res.remote_gates,
                fragments=len(res.fragments), attempts=len(res.attempts),
                estimated_fidelity=res.estimated_fidelity, measured_fidelity=res.measured_fidelity,
                state_fidelity=res.state_fidelity, plan_hash=res.plan_hash,
                nodes_used=json.dumps(sorted({f.node for f in res.fragments if f.status == "done"})))
            plans = _count_plans(mesh, job.id)
            row["replans"] = None if plans is None else max(0, plans - 1)
    finally:
        mesh.stop()
    row["finished_at"] = time.time()
    return row


def _warmup(cfg: CompareConfig, settings, circuit) -> None:
    """One untimed job per mode, so imports and JIT caches do not land in the first measured run."""
    from .driver import ensure_central_runner, wait_ready
    mesh = qnb.start(topology=cfg.topology, seed=cfg.seed, store=":memory:", noiseless=cfg.noiseless,
                     settings=settings)
    try:
        wait_ready(mesh)
        ensure_central_runner(mesh)
        for mode in cfg.modes:
            mesh.submit(circuit, shots=min(cfg.shots, 64), seed=cfg.seed, mode=mode).wait(cfg.timeout_s)
    finally:
        mesh.stop()


def _bench_settings(settings=None):
    """The given settings, or the defaults with logging off (JSON log lines would bury the table)."""
    from ..config import Settings
    if settings is not None:
        return settings
    return Settings.load(overrides={"logging.destination": "none"})


# ------------------------------------------------------------------------------- entry
def compare(circuits: Sequence[str] | str | None = None, *, topology: str = DEFAULT_TOPOLOGY,
            scenarios: Sequence[str] | str = DEFAULT_SCENARIOS, modes: Sequence[str] | str = MODES,
            repeat: int = 3, shots: int = 1024, seed: int = 7, db: str | None = None, noiseless: bool = False,
            timeout_s: float = 120.0, warmup: bool = True, name: str | None = None, settings: Any = None,
            experiment_id: str | None = None,
            progress: Callable[[dict], None] | None = None) -> CompareResult:
    """Run the comparison and return one row per (mode, circuit, scenario, repeat).

    ``db``: a DuckDB file that receives the jobs of every run and the ``bench_runs`` rows
    (``None`` keeps everything in memory). ``progress`` is called with each finished row.
    """
    from . import results

    def _split(v):
        return tuple(s.strip() for s in v.split(",") if s.strip()) if isinstance(v, str) else tuple(v)

    cfg = CompareConfig(circuits=_split(circuits) if circuits else tuple(default_circuits()), topology=topology,
                        scenarios=_split(scenarios), modes=_split(modes), repeat=repeat, shots=shots, seed=seed,
                        noiseless=noiseless, timeout_s=timeout_s, warmup=warmup, name=name)
    scen, topo, loaded = _validate(cfg)
    settings = _bench_settings(settings)
    seeds = [seed + r for r in range(repeat)]
    _check_plannable(loaded, topo, seeds, settings)
    exp_id = experiment_id or f"exp-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    out = CompareResult(exp_id, cfg, db=db)
    t0 = time.perf_counter()
    if db:
        results.start_experiment(db, exp_id, cfg, name=name)
    if warmup:
        _warmup(cfg, settings, loaded[cfg.circuits[0]])
    k = 0
    with tempfile.TemporaryDirectory(prefix="qnb-compare-") as tmp:
        for r, s in enumerate(seeds):
            order = cfg.modes if r % 2 == 0 else tuple(reversed(cfg.modes))
            for sc in scen:
                for cname in cfg.circuits:
                    for mode in order:
                        run_db = os.path.join(tmp, f"run-{k}.duckdb") if db else ":memory:"
                        row = _run_one(cfg, settings, run_db, mode=mode, circuit_name=cname, circuit=loaded[cname],
                                       scenario=sc, repeat=r, seed=s, experiment_id=exp_id, run_index=k)
                        k += 1
                        out.rows.append(row)
                        if db:
                            results.import_run(db, run_db, experiment_id=exp_id)
                            results.save_run(db, row)
                            os.unlink(run_db)
                        if progress is not None:
                            progress(row)
    out.wall_s = time.perf_counter() - t0
    if db:
        results.finish_experiment(db, exp_id, out.wall_s, len(out.rows))
    return out
