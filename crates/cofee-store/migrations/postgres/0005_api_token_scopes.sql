-- Personal API tokens get an optional expiry (unix ms) and scopes (space-separated: read,
-- write, tokens). Tokens made before keep reading and writing but can no longer mint tokens.
-- Expand only: the previous release's inserts take the defaults.
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;
ALTER TABLE api_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT 'read write';
