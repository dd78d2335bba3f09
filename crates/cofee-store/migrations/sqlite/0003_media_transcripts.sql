-- A project's source media (one per project; a new upload replaces it) and its transcript.
CREATE TABLE media (
    project_id    TEXT PRIMARY KEY NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    object_key    TEXT NOT NULL,
    file_name     TEXT,
    size_bytes    INTEGER NOT NULL,
    duration_secs REAL NOT NULL,
    width         INTEGER,
    height        INTEGER,
    fps           REAL,
    has_audio     INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE transcripts (
    project_id TEXT PRIMARY KEY NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    words      TEXT NOT NULL,     -- Cofee word JSON
    version    INTEGER NOT NULL,  -- goes up on every write; the captions' ETag
    updated_at INTEGER NOT NULL
);
