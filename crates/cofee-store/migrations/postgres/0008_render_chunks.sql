-- The chunks of a render split across workers: one job each, in order. Made once, with their
-- jobs, by the render's own job; when that job runs again it finds them rather than splitting
-- the render a second time.
CREATE TABLE render_chunks (
    render_id UUID NOT NULL REFERENCES renders (id) ON DELETE CASCADE,
    idx       INTEGER NOT NULL,
    job_id    UUID NOT NULL,
    PRIMARY KEY (render_id, idx)
);
