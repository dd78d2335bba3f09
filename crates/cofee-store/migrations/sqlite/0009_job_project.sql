-- Jobs name their project in a column of their own (it was read out of the JSON payload on
-- every event-stream poll), indexed with the owner as on PostgreSQL; and the index on refresh
-- tokens by user that PostgreSQL has had from the start.
ALTER TABLE jobs ADD COLUMN project_id TEXT;
UPDATE jobs SET project_id = json_extract(payload, '$.project_id') WHERE json_type(payload, '$.project_id') = 'text';
CREATE INDEX jobs_project ON jobs (owner_id, project_id, created_at);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
