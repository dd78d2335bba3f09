-- A project's caption style (Style JSON; absent means the default preset) and its renders.
CREATE TABLE project_styles (
    project_id TEXT PRIMARY KEY NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    style      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

-- One row per requested render; the job that makes it is enqueued in the same transaction.
CREATE TABLE renders (
    id          TEXT PRIMARY KEY NOT NULL,
    project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    job_id      TEXT NOT NULL,
    preset      TEXT NOT NULL,
    output_key  TEXT,            -- set when the render is done
    size_bytes  INTEGER,
    created_at  INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX renders_project ON renders (project_id, created_at);
