-- Styles a person saved to use again on any of their projects (a style's JSON, as
-- `cofee_core::Style` writes it); one per name and owner, saving a name again replaces it.
CREATE TABLE saved_styles (
    id         UUID PRIMARY KEY,
    owner_id   UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    style      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (owner_id, name)
);
