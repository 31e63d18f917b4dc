"""Migration 1: the base tables (FR-010). Every timestamp is UTC (TIMESTAMP, no zone: DuckDB's
TIMESTAMPTZ needs pytz in Python); JSON columns hold JSON text. The event time column is named
``ts`` everywhere because ``at`` is a reserved word in DuckDB 2 and would need quoting in every query."""

VERSION = 1
DESCRIPTION = "base tables: jobs, events, plans, fragments, attempts, reservations, quality, results, metrics, audit"

TABLES = ("jobs", "job_events", "plans", "fragments", "attempts", "reservation_events", "advertisements",
          "quality_snapshots", "link_quality", "results", "metrics_samples", "audit_events", "registry_cache",
          "experiment_runs")

UP = (
    """CREATE TABLE jobs (
        job_id          VARCHAR PRIMARY KEY,
        name            VARCHAR,
        state           VARCHAR NOT NULL,       -- QUEUED COMPILING RESERVING EXECUTING COMPLETED FAILED CANCELLED
        submitted_at    TIMESTAMP NOT NULL,
        updated_at      TIMESTAMP,
        finished_at     TIMESTAMP,
        circuit_source  VARCHAR,                -- the submitted text (qasm2/qasm3) or a serialized form
        source_format   VARCHAR,
        fingerprint     VARCHAR,                -- canonical circuit fingerprint (GOV-4 cache key part)
        num_qubits      INTEGER,
        num_ops         INTEGER,
        parameters      JSON,
        shots           INTEGER,
        seed            BIGINT,
        min_fidelity    DOUBLE,
        policy          JSON,
        idempotency_key VARCHAR,
        run_count       INTEGER NOT NULL DEFAULT 0,
        resumed         BOOLEAN NOT NULL DEFAULT false,
        error           JSON
    )""",
    "CREATE SEQUENCE job_events_seq START 1",
    """CREATE TABLE job_events (
        seq     BIGINT PRIMARY KEY DEFAULT nextval('job_events_seq'),   -- global order of all job events
        job_id  VARCHAR NOT NULL,
        state   VARCHAR NOT NULL,
        ts      TIMESTAMP NOT NULL,
        detail  JSON
    )""",
    """CREATE TABLE plans (
        job_id              VARCHAR NOT NULL,
        run                 INTEGER NOT NULL,
        revision            INTEGER NOT NULL DEFAULT 0,     -- 0 = first plan of the run, +1 per fallback re-plan
        plan_hash           VARCHAR,
        plan                JSON,
        compile_ms          DOUBLE,
        estimated_fidelity  DOUBLE,
        ebits               INTEGER,
        created_at          TIMESTAMP NOT NULL,
        PRIMARY KEY (job_id, run, revision)
    )""",
    """CREATE TABLE fragments (
        job_id       VARCHAR NOT NULL,
        run          INTEGER NOT NULL,
        fragment_id  INTEGER NOT NULL,
        node         VARCHAR,                   -- current assignment (changes on fallback)
        kind         VARCHAR,                   -- local | remote | teleport
        ops          INTEGER,                   -- number of operations
        qubits       JSON,
        depends_on   JSON,                      -- fragment ids this one waits for (the DAG)
        status       VARCHAR,                   -- pending running ok failed cancelled
        started_at   TIMESTAMP,
        finished_at  TIMESTAMP,
        PRIMARY KEY (job_id, run, fragment_id)
    )""",
    """CREATE TABLE attempts (
        job_id          VARCHAR NOT NULL,
        run             INTEGER NOT NULL,
        fragment_id     INTEGER NOT NULL,
        attempt         INTEGER NOT NULL,       -- 1-based per (job, run, fragment), across nodes
        node            VARCHAR NOT NULL,
        started_at      TIMESTAMP,
        finished_at     TIMESTAMP,
        status          VARCHAR NOT NULL,       -- running ok error timeout cancelled
        error           JSON,
        sim_ms          DOUBLE,                 -- simulated quantum work on the node
        overhead_ms     DOUBLE,                 -- everything else (NFR-004)
        wall_ms         DOUBLE,
        fallback        BOOLEAN NOT NULL DEFAULT false,   -- ran on a node other than the first choice
        correlation_id  VARCHAR,
        PRIMARY KEY (job_id, run, fragment_id, attempt)
    )""",
    """CREATE TABLE reservation_events (
        node            VARCHAR NOT NULL,
        reservation_id  VARCHAR,
        seq             BIGINT NOT NULL,        -- the node book's event sequence number
        kind            VARCHAR NOT NULL,       -- requested accepted rejected claimed released
                                                -- completed cancelled expired
        ts              TIMESTAMP NOT NULL,
        job_id          VARCHAR,
        fragment_id     INTEGER,
        window_start    DOUBLE,                 -- seconds on the book's clock
        window_end      DOUBLE,
        data            JSON
    )""",
    """CREATE TABLE advertisements (
        node_id      VARCHAR NOT NULL,
        name         VARCHAR,
        seq          BIGINT,
        received_at  TIMESTAMP NOT NULL,
        valid        BOOLEAN NOT NULL,
        reason       VARCHAR,                   -- why it was rejected, if it was
        record       JSON
    )""",
    """CREATE TABLE quality_snapshots (
        ts                TIMESTAMP NOT NULL,
        node              VARCHAR NOT NULL,
        fidelity_1q       DOUBLE,
        fidelity_2q       DOUBLE,
        fidelity_readout  DOUBLE,
        available         BOOLEAN,
        degraded          BOOLEAN,
        queue_depth       INTEGER
    )""",
    """CREATE TABLE link_quality (
        ts        TIMESTAMP NOT NULL,
        a         VARCHAR NOT NULL,
        b         VARCHAR NOT NULL,
        rtt_ms    DOUBLE,
        fidelity  DOUBLE
    )""",
    """CREATE TABLE results (
        job_id              VARCHAR PRIMARY KEY,
        run                 INTEGER,
        status              VARCHAR NOT NULL,   -- COMPLETED | FAILED | CANCELLED
        counts              JSON,
        shots               INTEGER,
        estimated_fidelity  DOUBLE,
        measured_fidelity   DOUBLE,
        state_fidelity      DOUBLE,
        ebits               INTEGER,
        remote_gates        INTEGER,
        wall_ms             DOUBLE,
        mode                VARCHAR,            -- distributed | centralized
        resumed             BOOLEAN NOT NULL DEFAULT false,
        timeline            JSON,
        created_at          TIMESTAMP NOT NULL
    )""",
    """CREATE TABLE metrics_samples (
        ts      TIMESTAMP NOT NULL,
        name    VARCHAR NOT NULL,
        labels  JSON,
        value   DOUBLE
    )""",
    """CREATE TABLE audit_events (
        seq        BIGINT PRIMARY KEY,          -- 1, 2, 3 ... without gaps (GOV-5 hash chain)
        ts         TIMESTAMP NOT NULL,
        kind       VARCHAR NOT NULL,
        job_id     VARCHAR,
        payload    JSON,
        prev_hash  VARCHAR NOT NULL,
        hash       VARCHAR NOT NULL
    )""",
    """CREATE TABLE registry_cache (
        node_id    VARCHAR PRIMARY KEY,
        name       VARCHAR,
        record     JSON,
        last_seen  TIMESTAMP,
        stale      BOOLEAN NOT NULL DEFAULT false
    )""",
    """CREATE TABLE experiment_runs (
        run_id      VARCHAR PRIMARY KEY,
        started_at  TIMESTAMP NOT NULL,
        params      JSON
    )""",
)

DOWN = tuple(f"DROP TABLE IF EXISTS {t}" for t in reversed(TABLES)) + ("DROP SEQUENCE IF EXISTS job_events_seq",)
