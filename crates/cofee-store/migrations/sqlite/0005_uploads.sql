-- Resumable uploads (tus 1.0). The bytes live in a file in the server's upload directory;
-- the row says whose it is, where it goes and how far it got.
CREATE TABLE uploads (
    id          TEXT PRIMARY KEY NOT NULL,
    owner_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    length      INTEGER NOT NULL,
    offset      INTEGER NOT NULL DEFAULT 0,
    file_name   TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
