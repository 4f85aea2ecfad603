-- Review: frozen stratified samples of a run's unique lines, and the verdicts people give them.

CREATE TABLE samples (
    id               UUID PRIMARY KEY,
    run_id           UUID NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    dataset_id       UUID NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    -- Unique lines with a result in the run when the sample was drawn.
    population       INT NOT NULL,
    size             INT NOT NULL,
    confidence       DOUBLE PRECISION NOT NULL,
    margin           DOUBLE PRECISION NOT NULL,
    seed             BIGINT NOT NULL,
    min_per_category INT NOT NULL,
    oversample_low   BOOLEAN NOT NULL DEFAULT FALSE,
    -- [{"category", "population", "allocated"}]: what the estimate weights by.
    strata           JSONB NOT NULL,
    created_by       UUID NOT NULL REFERENCES users(id),
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Frozen once drawn: every later prompt version is scored on exactly these lines.
CREATE TABLE sample_items (
    id        UUID PRIMARY KEY,
    sample_id UUID NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
    position  INT NOT NULL,
    line_idx  INT NOT NULL,
    -- The category the run predicted when the sample was drawn.
    stratum   TEXT NOT NULL,
    UNIQUE (sample_id, position),
    UNIQUE (sample_id, line_idx)
);

-- One verdict per item, by whoever gave it last; saved the moment it is given.
CREATE TABLE verdicts (
    item_id            UUID PRIMARY KEY REFERENCES sample_items(id) ON DELETE CASCADE,
    verdict            TEXT NOT NULL CHECK (verdict IN ('correct', 'incorrect', 'skipped')),
    corrected_category TEXT,
    note               TEXT,
    reviewer_id        UUID NOT NULL REFERENCES users(id),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((verdict = 'incorrect') = (corrected_category IS NOT NULL))
);

-- An iteration: a run of another prompt version on a sample's items only.
ALTER TABLE runs ADD COLUMN sample_id UUID REFERENCES samples(id) ON DELETE CASCADE;
CREATE INDEX runs_sample ON runs (sample_id) WHERE sample_id IS NOT NULL;
