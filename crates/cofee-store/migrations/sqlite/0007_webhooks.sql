-- Webhook subscriptions. Deliveries are `notify` jobs on the queue (retried with backoff).
CREATE TABLE webhooks (
    id         TEXT PRIMARY KEY NOT NULL,
    owner_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    url        TEXT NOT NULL,
    events     TEXT NOT NULL,   -- JSON array of event names
    secret     TEXT NOT NULL,   -- HMAC key for signatures
    created_at INTEGER NOT NULL
);
CREATE INDEX webhooks_owner ON webhooks (owner_id);
