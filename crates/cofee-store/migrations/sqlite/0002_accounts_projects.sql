-- People, their sessions and their projects. Every project row names its owner; every query
-- that reads one filters by owner, so another user's id finds nothing.
CREATE TABLE users (
    id            TEXT PRIMARY KEY NOT NULL,
    email         TEXT NOT NULL UNIQUE,          -- normalised to lower case
    password_hash TEXT NOT NULL,                 -- Argon2id PHC string
    created_at    INTEGER NOT NULL
);

-- Refresh tokens rotate: each use spends the token and issues the next one in the same family.
-- A spent token used again means it was stolen, so the whole family is revoked.
CREATE TABLE refresh_tokens (
    id          TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id   TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,            -- SHA-256 of the token; the token itself is never stored
    expires_at  INTEGER NOT NULL,
    spent_at    INTEGER,
    revoked_at  INTEGER,
    created_at  INTEGER NOT NULL
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

CREATE TABLE projects (
    id          TEXT PRIMARY KEY NOT NULL,
    owner_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX projects_owner ON projects (owner_id, created_at);
