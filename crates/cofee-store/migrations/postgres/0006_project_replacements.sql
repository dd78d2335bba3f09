-- The replacements a person keeps on a project (JSON, `cofee_core::replace`): later
-- transcriptions of the project apply them. The same shape as project_styles.
CREATE TABLE project_replacements (
    project_id   UUID PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    replacements TEXT NOT NULL,
    updated_at   BIGINT NOT NULL
);
