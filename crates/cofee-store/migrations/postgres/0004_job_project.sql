-- Jobs name their project in a column of their own, and their owner is a UUID like every other
-- owner id; the index on the payload's project id gives way to one on the column.
ALTER TABLE jobs ALTER COLUMN owner_id TYPE UUID USING owner_id::uuid;
ALTER TABLE jobs ADD COLUMN project_id UUID;
UPDATE jobs SET project_id = (payload ->> 'project_id')::uuid WHERE jsonb_typeof(payload -> 'project_id') = 'string';
DROP INDEX jobs_project;
CREATE INDEX jobs_project ON jobs (owner_id, project_id, created_at);
