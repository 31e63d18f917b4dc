"""Migration 3: tie jobs to experiment runs of the harness (FR-013).

Adds ``jobs.experiment_run_id``, closes ``experiment_runs`` with name/finished_at/report, exposes the
run in ``job_summary`` and aggregates it in ``experiment_summary``. Down restores the v2 view first
(DuckDB views are not dependency-tracked: a view naming a dropped column would break at query time)."""

from .m002_views import job_summary

VERSION = 3
DESCRIPTION = "experiment runs: jobs.experiment_run_id, experiment_runs name/finished_at/report, experiment_summary"

UP = (
    "ALTER TABLE jobs ADD COLUMN experiment_run_id VARCHAR",
    "ALTER TABLE experiment_runs ADD COLUMN name VARCHAR",
    "ALTER TABLE experiment_runs ADD COLUMN finished_at TIMESTAMP",
    "ALTER TABLE experiment_runs ADD COLUMN report JSON",
    job_summary(",\n           j.experiment_run_id"),
    """CREATE VIEW experiment_summary AS
    SELECT e.run_id, e.name, e.started_at, e.finished_at, s.mode,
           count(s.job_id)                                      AS jobs,
           count(*) FILTER (WHERE s.state = 'COMPLETED')        AS completed,
           count(*) FILTER (WHERE s.state = 'FAILED')           AS failed,
           count(*) FILTER (WHERE s.state = 'COMPLETED')
             / nullif(count(*) FILTER (WHERE s.state IN ('COMPLETED', 'FAILED')), 0) AS success_rate,
           avg(s.compile_ms)            AS mean_compile_ms,
           avg(s.wall_ms)               AS mean_wall_ms,
           avg(s.estimated_fidelity)    AS mean_estimated_fidelity,
           avg(s.measured_fidelity)     AS mean_measured_fidelity,
           avg(s.ebits)                 AS mean_ebits,
           sum(s.retries)               AS retries,
           sum(s.fallbacks)             AS fallbacks
    FROM experiment_runs e LEFT JOIN job_summary s ON s.experiment_run_id = e.run_id
    GROUP BY e.run_id, e.name, e.started_at, e.finished_at, s.mode""",
)

DOWN = (
    "DROP VIEW IF EXISTS experiment_summary",
    job_summary(),
    "ALTER TABLE experiment_runs DROP COLUMN report",
    "ALTER TABLE experiment_runs DROP COLUMN finished_at",
    "ALTER TABLE experiment_runs DROP COLUMN name",
    "ALTER TABLE jobs DROP COLUMN experiment_run_id",
)
