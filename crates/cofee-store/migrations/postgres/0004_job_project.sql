-- Jobs name their project in a column of their own, indexed with the owner (the index on the
-- payload's project id gives way to it).
--
-- Expand only, so the previous release keeps working during the rollout: its API pods enqueue
-- jobs with the project in the payload alone — the trigger fills the column from it — and its
-- workers read the payload, which this release still writes `project_id` into (see
-- `cofee_jobs::new_job`). `owner_id` stays TEXT (a UUID in hyphenated form, as every release
-- writes it) for the same reason. Both go in a later, contracting migration.
DROP INDEX jobs_project;
ALTER TABLE jobs ADD COLUMN project_id UUID;
UPDATE jobs SET project_id = (payload ->> 'project_id')::uuid WHERE jsonb_typeof(payload -> 'project_id') = 'string';
CREATE INDEX jobs_project ON jobs (owner_id, project_id, created_at);

CREATE FUNCTION jobs_project_from_payload() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.project_id IS NULL AND jsonb_typeof(NEW.payload -> 'project_id') = 'string' THEN
        NEW.project_id := (NEW.payload ->> 'project_id')::uuid;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER jobs_project_from_payload BEFORE INSERT ON jobs
    FOR EACH ROW EXECUTE FUNCTION jobs_project_from_payload();
