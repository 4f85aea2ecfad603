-- A prompt's examples: labelled lines (last year's ledger, typed by hand) that teach the offline
-- model and are shown to the LLM as few-shot examples. Versioned with the prompt: every change bumps
-- prompts.examples_version, and set N is the rows with added_in <= N and not removed_in <= N, so a
-- run that records its version can always say which examples it used.
ALTER TABLE prompts ADD COLUMN examples_version INT NOT NULL DEFAULT 0;

CREATE TABLE prompt_examples (
    id          BIGSERIAL PRIMARY KEY,
    prompt_id   UUID NOT NULL REFERENCES prompts(id) ON DELETE CASCADE,
    text        TEXT NOT NULL CHECK (char_length(text) BETWEEN 1 AND 2000),
    -- The cleaned text: duplicates and conflicting labels are found on it.
    text_key    TEXT NOT NULL,
    category    TEXT NOT NULL,
    origin      TEXT NOT NULL CHECK (origin IN ('import', 'manual', 'review')),
    -- Where an imported example came from (file and table), for the editor and the export.
    source      TEXT,
    added_in    INT NOT NULL,
    removed_in  INT,
    created_by  UUID REFERENCES users(id) ON DELETE SET NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (removed_in IS NULL OR removed_in > added_in)
);
CREATE INDEX prompt_examples_active ON prompt_examples (prompt_id, text_key) WHERE removed_in IS NULL;
CREATE INDEX prompt_examples_sets ON prompt_examples (prompt_id, added_in);

-- The example set a run used, and how many it had.
ALTER TABLE runs
    ADD COLUMN examples_version INT,
    ADD COLUMN examples_count INT NOT NULL DEFAULT 0;

-- What a chunk carried and what rescued its lines: the few-shot examples sent with it, lines asked
-- again after the model dropped them, calls of the halving that isolates a poisoned line, and lines
-- that failed alone.
ALTER TABLE run_chunks
    ADD COLUMN examples JSONB NOT NULL DEFAULT '[]',
    ADD COLUMN reasked INT NOT NULL DEFAULT 0,
    ADD COLUMN reask_answered INT NOT NULL DEFAULT 0,
    ADD COLUMN split_calls INT NOT NULL DEFAULT 0,
    ADD COLUMN split_answered INT NOT NULL DEFAULT 0,
    ADD COLUMN isolated INT NOT NULL DEFAULT 0,
    ADD COLUMN retry_pass BOOLEAN NOT NULL DEFAULT FALSE;

ALTER TABLE run_results DROP CONSTRAINT run_results_source_check;
ALTER TABLE run_results ADD CONSTRAINT run_results_source_check
    CHECK (source IN ('model', 'cache', 'repaired', 'missing', 'isolated'));
