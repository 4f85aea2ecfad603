-- Isolation between users, and inputs that must not fail with a database error.

-- Cached answers belong to the user whose run paid for them: a hit is only ever served to, and
-- counted for, that user's runs, so the cache can neither reveal that a line exists in someone
-- else's data nor carry an answer from one user's chunk into another's. Entries from before had no
-- owner and are dropped (they are only a saving).
DELETE FROM llm_cache;
ALTER TABLE llm_cache DROP CONSTRAINT llm_cache_pkey;
ALTER TABLE llm_cache ADD COLUMN owner_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE;
ALTER TABLE llm_cache ADD PRIMARY KEY (owner_id, prompt_version_id, model, line_key);

-- A 100 kB description is legitimate input, but a B-tree entry holds at most ~2.7 kB: the unique
-- key of a dataset's lines is on the md5 of the dedup key (immutable, so indexable), not on the key.
ALTER TABLE unique_lines DROP CONSTRAINT unique_lines_dataset_key;
CREATE UNIQUE INDEX unique_lines_dataset_key ON unique_lines (dataset_id, md5(dedup_key));

-- Personal API tokens carry a scope: `read` (GET only), `write` (reads and changes), or `admin`
-- (also administration: users, roles, audit). Existing tokens keep what they could do, minus
-- administration, which from now on must be granted explicitly.
ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'write' CHECK (scope IN ('read', 'write', 'admin'));
