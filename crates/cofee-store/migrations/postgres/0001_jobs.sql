-- The durable job queue (PostgreSQL). Same columns and states as the SQLite schema; see
-- crates/cofee-store/src/queue.rs for the semantics.
CREATE TABLE jobs (
    id               UUID PRIMARY KEY,
    queue            TEXT NOT NULL,
    kind             TEXT NOT NULL,
    payload          JSONB NOT NULL,
    owner_id         TEXT,
    state            TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'dead', 'cancelled')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL,
    run_at           BIGINT NOT NULL,
    lease_until      BIGINT,
    worker_id        TEXT,
    progress         DOUBLE PRECISION NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
    error            TEXT,
    cancel_requested BOOLEAN NOT NULL DEFAULT FALSE,
    trace_context    TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    finished_at      BIGINT
);

CREATE INDEX jobs_ready ON jobs (queue, state, run_at);
CREATE INDEX jobs_lease ON jobs (queue, state, lease_until);
CREATE INDEX jobs_project ON jobs (owner_id, (payload ->> 'project_id'));
