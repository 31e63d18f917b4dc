"""Migration 4: the experiment harness's tables (FR-013), owned by ``qnb.harness``.

``bench_runs`` holds one row per comparison run (mode x circuit x scenario x repeat) with the
parameters that make it reproducible; ``nfr_results`` one row per measured target. Experiments
themselves are ``experiment_runs`` rows (migration 1/3). ``bench_summary`` aggregates runs per
experiment, scenario and mode (median/p95 timings, success rate), so a report is one query.
Column definitions: docs/experiments.md."""

VERSION = 4
DESCRIPTION = "harness: bench_runs, nfr_results, bench_summary view"

UP = (
    """CREATE TABLE bench_runs (
        experiment_id              VARCHAR NOT NULL,
        run_index                  INTEGER NOT NULL,
        mode                       VARCHAR NOT NULL,   -- distributed | centralized
        circuit                    VARCHAR NOT NULL,
        scenario                   VARCHAR NOT NULL,
        repeat                     INTEGER NOT NULL,
        seed                       BIGINT,
        topology                   VARCHAR,
        shots                      INTEGER,
        job_id                     VARCHAR,
        status                     VARCHAR,            -- COMPLETED FAILED CANCELLED TIMEOUT
        success                    BOOLEAN,
        error_type                 VARCHAR,
        error_message              VARCHAR,
        compile_ms                 DOUBLE,
        queue_ms                   DOUBLE,
        reserve_ms                 DOUBLE,
        execution_ms               DOUBLE,
        sim_ms                     DOUBLE,
        orchestration_overhead_ms  DOUBLE,
        wall_ms                    DOUBLE,
        end_to_end_ms              DOUBLE,
        retries                    INTEGER,
        fallbacks                  INTEGER,
        replans                    INTEGER,
        ebits                      INTEGER,
        remote_gates               INTEGER,
        fragments                  INTEGER,
        attempts                   INTEGER,
        estimated_fidelity         DOUBLE,
        measured_fidelity          DOUBLE,
        state_fidelity             DOUBLE,
        plan_hash                  VARCHAR,
        expected_plan_hash         VARCHAR,
        nodes_used                 JSON,
        faults                     JSON,               -- what the fault driver applied, when
        schedule                   JSON,               -- the resolved schedule (pure function of the inputs)
        version                    VARCHAR,            -- qnb.__version__
        started_at                 TIMESTAMP,
        finished_at                TIMESTAMP,
        PRIMARY KEY (experiment_id, run_index)
    )""",
    """CREATE TABLE nfr_results (
        experiment_id  VARCHAR NOT NULL,
        benchmark      VARCHAR NOT NULL,   -- NFR-001 .. NFR-007
        metric         VARCHAR NOT NULL,
        value          DOUBLE,
        unit           VARCHAR,
        comparison     VARCHAR,            -- <= or >= (empty: reported beside a target)
        target         DOUBLE,
        passed         BOOLEAN,
        params         JSON,
        detail         JSON,
        version        VARCHAR,
        measured_at    TIMESTAMP,
        PRIMARY KEY (experiment_id, benchmark, metric)
    )""",
    """CREATE VIEW bench_summary AS
    SELECT experiment_id, scenario, mode,
           count(*)                                               AS runs,
           count(*) FILTER (WHERE success)                        AS successes,
           avg(CASE WHEN success THEN 1.0 ELSE 0.0 END)           AS success_rate,
           median(wall_ms) FILTER (WHERE success)                 AS wall_ms_p50,
           quantile_cont(wall_ms, 0.95) FILTER (WHERE success)    AS wall_ms_p95,
           median(compile_ms) FILTER (WHERE success)              AS compile_ms_p50,
           quantile_cont(compile_ms, 0.95) FILTER (WHERE success) AS compile_ms_p95,
           median(orchestration_overhead_ms) FILTER (WHERE success) AS overhead_ms_p50,
           avg(measured_fidelity) FILTER (WHERE success)          AS mean_measured_fidelity,
           avg(estimated_fidelity) FILTER (WHERE success)         AS mean_estimated_fidelity,
           median(ebits)                                          AS ebits_p50,
           sum(retries)                                           AS retries,
           sum(fallbacks)                                         AS fallbacks,
           sum(replans)                                           AS replans
    FROM bench_runs
    GROUP BY experiment_id, scenario, mode""",
)

DOWN = (
    "DROP VIEW IF EXISTS bench_summary",
    "DROP TABLE IF EXISTS nfr_results",
    "DROP TABLE IF EXISTS bench_runs",
)
