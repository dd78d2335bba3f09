-- Claiming walks a queue's claimable jobs oldest first and stops at the first it may take, so
-- it reads a few index entries however long the queue is (it sorted every ready job before:
-- 261 no-op jobs/s with 5,000 waiting, fewer the longer the queue). The running jobs, which a
-- claim counts per owner and whose expired leases it buries, get an index of their own: a
-- queue's few running jobs, not its backlog or its history (`jobs_lease`, which it replaces,
-- led with the queue and let a planner without statistics read every waiting job instead).
-- `jobs_ready` goes too: the claimable jobs' index serves what it did, and every job's every
-- state change wrote to it.
CREATE INDEX jobs_claimable ON jobs (queue, run_at, id) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_running ON jobs (queue, lease_until) WHERE state = 'running';
DROP INDEX jobs_lease;
DROP INDEX jobs_ready;
