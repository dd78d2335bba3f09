-- The durable job queue. See crates/cofee-store/src/queue.rs for the semantics.
CREATE TABLE jobs (
    id               TEXT PRIMARY KEY NOT NULL,
    queue            TEXT NOT NULL,
    kind             TEXT NOT NULL,
    payload          TEXT NOT NULL,              -- JSON
    owner_id         TEXT,                       -- the user the job acts for, if any
    state            TEXT NOT NULL,              -- queued | running | succeeded | dead | cancelled
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL,
    run_at           INTEGER NOT NULL,           -- unix ms; a queued job is ready from then on
    lease_until      INTEGER,                    -- unix ms; a running job whose lease passed is taken again
    worker_id        TEXT,
    progress         REAL NOT NULL DEFAULT 0,
    error            TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    trace_context    TEXT,                       -- request id / W3C traceparent of the request that enqueued it
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    finished_at      INTEGER,
    CHECK (state IN ('queued', 'running', 'succeeded', 'dead', 'cancelled')),
    CHECK (progress >= 0 AND progress <= 1)
);

CREATE INDEX jobs_ready ON jobs (queue, state, run_at);
CREATE INDEX jobs_lease ON jobs (queue, state, lease_until);
