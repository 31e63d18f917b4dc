"""Migration 2: the researcher-facing views (FR-010, FR-012).

Conventions the views rely on: attempt ``status`` 'ok' is a success, 'running' is in flight,
'cancelled' is neither; any other status is a failure. A retry is an attempt number > 1; a fallback
is an attempt flagged ``fallback`` (it ran on a node other than the plan's first choice)."""

VERSION = 2
DESCRIPTION = "views: job_summary, node_reliability, fidelity_over_time, metrics and success-rate views"

FAILED = "status NOT IN ('ok', 'running', 'cancelled')"


def job_summary(extra_columns: str = "") -> str:
    """The job_summary view; migration 3 adds columns through ``extra_columns``."""
    return f"""CREATE OR REPLACE VIEW job_summary AS
    WITH a AS (
        SELECT job_id,
               count(*)                                   AS attempts,
               count(*) FILTER (WHERE attempt > 1)        AS retries,
               count(*) FILTER (WHERE fallback)           AS fallbacks,
               count(*) FILTER (WHERE {FAILED})           AS failed_attempts,
               count(DISTINCT (run, fragment_id))         AS fragments_run,
               sum(sim_ms)                                AS sim_ms,
               sum(overhead_ms)                           AS overhead_ms
        FROM attempts GROUP BY job_id),
    p AS (
        SELECT job_id,
               count(*)                                   AS plans,
               arg_max(compile_ms, created_at)            AS compile_ms,
               arg_max(estimated_fidelity, created_at)    AS plan_fidelity,
               arg_max(ebits, created_at)                 AS plan_ebits
        FROM plans GROUP BY job_id)
    SELECT j.job_id, j.name, j.state, j.submitted_at, j.finished_at,
           date_diff('microsecond', j.submitted_at, j.finished_at) / 1e6   AS duration_s,
           j.shots, j.num_qubits, j.num_ops, j.run_count, j.resumed,
           p.compile_ms,
           coalesce(r.estimated_fidelity, p.plan_fidelity)   AS estimated_fidelity,
           r.measured_fidelity, r.state_fidelity,
           coalesce(r.ebits, p.plan_ebits)                   AS ebits,
           r.remote_gates, r.wall_ms, r.mode,
           coalesce(p.plans, 0)            AS plans,
           coalesce(a.fragments_run, 0)    AS fragments_run,
           coalesce(a.attempts, 0)         AS attempts,
           coalesce(a.retries, 0)          AS retries,
           coalesce(a.fallbacks, 0)        AS fallbacks,
           coalesce(a.failed_attempts, 0)  AS failed_attempts,
           a.sim_ms, a.overhead_ms,
           j.error ->> 'type'              AS error_type{extra_columns}
    FROM jobs j
    LEFT JOIN p USING (job_id)
    LEFT JOIN results r USING (job_id)
    LEFT JOIN a USING (job_id)"""


VIEWS = ("job_summary", "node_reliability", "node_latest_quality", "fidelity_over_time", "metrics_queue_depth",
         "metrics_success_rate", "metrics_latest", "job_success_rate")

UP = (
    job_summary(),
    """CREATE VIEW node_latest_quality AS
    SELECT node,
           max(ts)                              AS ts,
           arg_max(fidelity_1q, ts)             AS fidelity_1q,
           arg_max(fidelity_2q, ts)             AS fidelity_2q,
           arg_max(fidelity_readout, ts)        AS fidelity_readout,
           arg_max(available, ts)               AS available,
           arg_max(degraded, ts)                AS degraded,
           arg_max(queue_depth, ts)             AS queue_depth
    FROM quality_snapshots GROUP BY node""",
    f"""CREATE VIEW node_reliability AS
    WITH a AS (
        SELECT node,
               count(*) FILTER (WHERE status = 'ok')              AS successes,
               count(*) FILTER (WHERE {FAILED})                   AS failures,
               count(*) FILTER (WHERE status = 'timeout')         AS timeouts,
               count(*) FILTER (WHERE fallback)                   AS fallbacks_served,
               avg(sim_ms) FILTER (WHERE status = 'ok')           AS mean_sim_ms,
               avg(overhead_ms) FILTER (WHERE status = 'ok')      AS mean_overhead_ms,
               quantile_cont(overhead_ms, 0.95) FILTER (WHERE status = 'ok') AS p95_overhead_ms,
               max(coalesce(finished_at, started_at))             AS last_attempt_at
        FROM attempts GROUP BY node)
    SELECT coalesce(a.node, q.node)                               AS node,
           coalesce(a.successes, 0) + coalesce(a.failures, 0)     AS attempts,
           coalesce(a.successes, 0)                               AS successes,
           coalesce(a.failures, 0)                                AS failures,
           coalesce(a.timeouts, 0)                                AS timeouts,
           coalesce(a.fallbacks_served, 0)                        AS fallbacks_served,
           a.successes / nullif(a.successes + a.failures, 0)      AS success_rate,
           a.mean_sim_ms, a.mean_overhead_ms, a.p95_overhead_ms, a.last_attempt_at,
           q.fidelity_2q AS latest_fidelity_2q, q.degraded AS latest_degraded, q.available AS latest_available
    FROM a FULL OUTER JOIN node_latest_quality q ON a.node = q.node""",
    """CREATE VIEW fidelity_over_time AS
    SELECT ts, node, fidelity_1q, fidelity_2q, fidelity_readout, available, degraded, queue_depth,
           fidelity_2q - lag(fidelity_2q) OVER (PARTITION BY node ORDER BY ts) AS delta_2q
    FROM quality_snapshots ORDER BY node, ts""",
    """CREATE VIEW metrics_queue_depth AS
    SELECT ts, value AS queue_depth FROM metrics_samples WHERE name = 'qnb_queue_depth' ORDER BY ts""",
    """CREATE VIEW metrics_success_rate AS
    WITH s AS (
        SELECT ts,
               coalesce(sum(value) FILTER (WHERE labels ->> 'state' = 'COMPLETED'), 0) AS completed,
               coalesce(sum(value) FILTER (WHERE labels ->> 'state' = 'FAILED'), 0)    AS failed
        FROM metrics_samples WHERE name = 'qnb_jobs_total' GROUP BY ts)
    SELECT ts, completed, failed, completed / nullif(completed + failed, 0) AS success_rate
    FROM s ORDER BY ts""",
    """CREATE VIEW metrics_latest AS
    SELECT name, labels, arg_max(value, ts) AS value, max(ts) AS ts
    FROM metrics_samples GROUP BY name, labels""",
    """CREATE VIEW job_success_rate AS
    SELECT count(*) FILTER (WHERE state = 'COMPLETED')  AS completed,
           count(*) FILTER (WHERE state = 'FAILED')     AS failed,
           count(*) FILTER (WHERE state = 'CANCELLED')  AS cancelled,
           count(*) FILTER (WHERE state NOT IN ('COMPLETED', 'FAILED', 'CANCELLED')) AS active,
           count(*) FILTER (WHERE state = 'COMPLETED')
             / nullif(count(*) FILTER (WHERE state IN ('COMPLETED', 'FAILED')), 0) AS success_rate
    FROM jobs""",
)

DOWN = tuple(f"DROP VIEW IF EXISTS {v}" for v in reversed(VIEWS))
