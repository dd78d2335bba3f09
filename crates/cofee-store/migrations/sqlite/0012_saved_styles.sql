-- Styles a person saved to use again on any of their projects (a style's JSON, as
-- `cofee_core::Style` writes it); one per name and owner, saving a name again replaces it.
CREATE TABLE saved_styles (
    id         TEXT PRIMARY KEY NOT NULL,
    owner_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    style      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (owner_id, name)
);
