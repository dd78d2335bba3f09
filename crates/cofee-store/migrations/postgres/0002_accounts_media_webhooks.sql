-- Accounts, projects, media, transcripts, styles, renders, uploads, API tokens and webhooks on
-- PostgreSQL: the tables of SQLite migrations 0002–0007 with native types. Every row that
-- belongs to someone names its owner (directly or through its project), and every query filters
-- by it. Times are milliseconds since the Unix epoch, as in the jobs table.
CREATE TABLE users (
    id            UUID PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,          -- normalised to lower case
    password_hash TEXT NOT NULL,                 -- Argon2id PHC string
    created_at    BIGINT NOT NULL
);

-- Refresh tokens rotate; a spent token used again revokes its whole family.
CREATE TABLE refresh_tokens (
    id          UUID PRIMARY KEY,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id   UUID NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,            -- SHA-256 of the token; the token itself is never stored
    expires_at  BIGINT NOT NULL,
    spent_at    BIGINT,
    revoked_at  BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

CREATE TABLE projects (
    id          UUID PRIMARY KEY,
    owner_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX projects_owner ON projects (owner_id, created_at);

CREATE TABLE media (
    project_id    UUID PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    object_key    TEXT NOT NULL,
    file_name     TEXT,
    size_bytes    BIGINT NOT NULL,
    duration_secs DOUBLE PRECISION NOT NULL,
    width         INTEGER,
    height        INTEGER,
    fps           DOUBLE PRECISION,
    has_audio     BOOLEAN NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE transcripts (
    project_id UUID PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    words      TEXT NOT NULL,     -- Cofee word JSON, kept byte for byte
    version    BIGINT NOT NULL,   -- goes up on every write; the captions' ETag
    updated_at BIGINT NOT NULL
);

CREATE TABLE project_styles (
    project_id UUID PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    style      TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE renders (
    id          UUID PRIMARY KEY,
    project_id  UUID NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    job_id      UUID NOT NULL,
    preset      TEXT NOT NULL,
    output_key  TEXT,
    size_bytes  BIGINT,
    created_at  BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX renders_project ON renders (project_id, created_at);

CREATE TABLE uploads (
    id          UUID PRIMARY KEY,
    owner_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id  UUID NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    length      BIGINT NOT NULL,
    "offset"    BIGINT NOT NULL DEFAULT 0,
    file_name   TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id           UUID PRIMARY KEY,
    user_id      UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE webhooks (
    id         UUID PRIMARY KEY,
    owner_id   UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    url        TEXT NOT NULL,
    events     JSONB NOT NULL,  -- array of event names
    secret     TEXT NOT NULL,   -- HMAC key for signatures
    created_at BIGINT NOT NULL
);
CREATE INDEX webhooks_owner ON webhooks (owner_id);
