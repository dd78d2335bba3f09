-- Jobs name their project in a column of their own (it was read out of the JSON payload on
-- every event-stream poll), indexed with the owner as on PostgreSQL; and the index on refresh
-- tokens by user that PostgreSQL has had from the start.
ALTER TABLE jobs ADD COLUMN project_id TEXT;
UPDATE jobs SET project_id = json_extract(payload, '$.project_id') WHERE json_type(payload, '$.project_id') = 'text';
CREATE INDEX jobs_project ON jobs (owner_id, project_id, created_at);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

-- A process of the previous release on the same file enqueues with the project in the payload
-- alone: the column is filled from it (as PostgreSQL's trigger does).
CREATE TRIGGER jobs_project_from_payload AFTER INSERT ON jobs
    WHEN NEW.project_id IS NULL AND json_type(NEW.payload, '$.project_id') = 'text'
BEGIN
    UPDATE jobs SET project_id = json_extract(NEW.payload, '$.project_id') WHERE id = NEW.id;
END;
