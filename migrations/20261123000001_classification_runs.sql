-- Classification runs with providers, settings, planned chunks, counters and a result cache.

-- What a run was asked to do: provider and model, and the settings it ran with (chunk size,
-- concurrency, temperature, retries, timeout, prices, pacing, cache), so a run can be read and
-- resumed exactly as it was started.
ALTER TABLE runs
    ADD COLUMN model       TEXT NOT NULL DEFAULT 'offline',
    ADD COLUMN settings    JSONB NOT NULL DEFAULT '{}'::jsonb,
    -- Set once the cache has been applied and the remaining lines split into chunks (one transaction).
    ADD COLUMN prepared_at TIMESTAMPTZ;
ALTER TABLE runs ADD CONSTRAINT runs_provider_known CHECK (provider IN ('offline', 'openai'));
-- Runs finished before chunks were planned need no planning.
UPDATE runs SET prepared_at = coalesce(finished_at, created_at) WHERE status IN ('succeeded', 'failed', 'cancelled');

-- A chunk is planned up front (its lines fixed), then done or failed. Its counters are written with
-- its results in one transaction, so the run's totals are sums over its chunks and always reconcile.
ALTER TABLE run_chunks DROP CONSTRAINT run_chunks_status_check;
ALTER TABLE run_chunks
    ADD CONSTRAINT run_chunks_status_check CHECK (status IN ('pending', 'done', 'failed')),
    ADD COLUMN line_idx   INT[] NOT NULL DEFAULT '{}',
    ADD COLUMN retries    INT NOT NULL DEFAULT 0,
    ADD COLUMN tokens_in  BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN tokens_out BIGINT NOT NULL DEFAULT 0,
    -- Results matched by description because their row_index was wrong (seed 000's count repair).
    ADD COLUMN repaired   INT NOT NULL DEFAULT 0,
    -- Lines the model gave no usable result for (they get `Indeterminado`).
    ADD COLUMN missing    INT NOT NULL DEFAULT 0,
    -- Extra, duplicated or unknown results thrown away.
    ADD COLUMN discarded  INT NOT NULL DEFAULT 0,
    ALTER COLUMN attempts SET DEFAULT 0,
    ALTER COLUMN finished_at DROP NOT NULL,
    ALTER COLUMN finished_at DROP DEFAULT;

-- Where each result came from. Cache hits have no chunk (chunk_no -1).
ALTER TABLE run_results
    ADD COLUMN source TEXT NOT NULL DEFAULT 'model'
        CHECK (source IN ('model', 'cache', 'repaired', 'missing'));
CREATE INDEX run_results_category ON run_results (run_id, category);

-- Answers already paid for: (prompt version, model, cleaned line) → result. The key is the md5 of
-- the cleaned line so that long lines fit in the index.
CREATE TABLE llm_cache (
    prompt_version_id UUID NOT NULL REFERENCES prompt_versions(id) ON DELETE CASCADE,
    model             TEXT NOT NULL,
    line_key          UUID NOT NULL,
    category          TEXT NOT NULL,
    score             DOUBLE PRECISION NOT NULL,
    reason            TEXT NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (prompt_version_id, model, line_key)
);
