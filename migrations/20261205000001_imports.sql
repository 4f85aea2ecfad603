-- Imports into governed tables (seed 004 §19, DESIGN §8): saved configurations with their field
-- mappings, jobs that stage their source once and then apply it batch by batch, each batch in one
-- transaction with the job's counters and checkpoint (`next_seq`), so a crash redoes at most the
-- batch that was in flight and nothing is lost or counted twice.

CREATE TABLE migration_configurations (
    id                      UUID PRIMARY KEY,
    name                    TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description             TEXT NOT NULL DEFAULT '',
    source_type             TEXT NOT NULL CHECK (source_type IN ('INLINE', 'FILE', 'DATASET', 'RUN')),
    -- The upload table, dataset or run read by default (a job may name another of the same type).
    source_id               UUID,
    -- With a RUN source: the review sample whose verdicts give the final category.
    sample_id               UUID,
    target_logical_table_id UUID NOT NULL REFERENCES logical_tables(id) ON DELETE CASCADE,
    validation_level        TEXT NOT NULL CHECK (validation_level IN ('STRICT', 'LENIENT')),
    error_handling_strategy TEXT NOT NULL CHECK (error_handling_strategy IN ('CONTINUE', 'STOP')),
    -- Target fields that find the row to update; empty: every record is a new row.
    upsert_key              TEXT[] NOT NULL DEFAULT '{}',
    version                 INTEGER NOT NULL DEFAULT 1,
    created_by              UUID REFERENCES users(id) ON DELETE SET NULL,
    created_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at              TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX migration_configurations_name ON migration_configurations (lower(name));

CREATE TABLE migration_field_mappings (
    id                         UUID PRIMARY KEY,
    migration_configuration_id UUID NOT NULL REFERENCES migration_configurations(id) ON DELETE CASCADE,
    position                   INTEGER NOT NULL,
    source_field               TEXT NOT NULL,
    target_field               TEXT NOT NULL,
    transformation_type        TEXT NOT NULL CHECK (transformation_type IN ('NONE', 'TO_STRING', 'TO_NUMBER', 'TO_BOOLEAN', 'TO_DATE')),
    transformation_parameters  JSONB NOT NULL DEFAULT '{}',
    -- COLUMN: a promoted field or a column of the table; JSONB: a key of extended_properties.
    storage_type               TEXT NOT NULL DEFAULT 'COLUMN' CHECK (storage_type IN ('COLUMN', 'JSONB')),
    is_required                BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (migration_configuration_id, position)
);

CREATE TABLE migration_jobs (
    id                         UUID PRIMARY KEY,
    migration_configuration_id UUID NOT NULL REFERENCES migration_configurations(id) ON DELETE CASCADE,
    -- The configuration and mappings as they were when the job started: editing it later does not
    -- change what a running or finished job did.
    configuration              JSONB NOT NULL,
    source_description         TEXT NOT NULL,
    status                     TEXT NOT NULL CHECK (status IN ('PENDING', 'PROCESSING', 'SUCCEEDED', 'PARTIALLY_SUCCEEDED', 'FAILED', 'ROLLED_BACK')),
    batch_size                 INTEGER NOT NULL CHECK (batch_size BETWEEN 1 AND 10000),
    total_records              INTEGER NOT NULL,
    processed_records          INTEGER NOT NULL DEFAULT 0,
    inserted_records           INTEGER NOT NULL DEFAULT 0,
    updated_records            INTEGER NOT NULL DEFAULT 0,
    unchanged_records          INTEGER NOT NULL DEFAULT 0,
    error_records              INTEGER NOT NULL DEFAULT 0,
    -- The first staged record not yet applied: the checkpoint a resumed job starts from.
    next_seq                   INTEGER NOT NULL DEFAULT 0,
    error                      TEXT,
    created_by_user_id         UUID REFERENCES users(id) ON DELETE SET NULL,
    created_at                 TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at                 TIMESTAMPTZ,
    completed_at               TIMESTAMPTZ,
    heartbeat_at               TIMESTAMPTZ,
    rolled_back_at             TIMESTAMPTZ,
    CHECK (processed_records = inserted_records + updated_records + unchanged_records + error_records)
);
CREATE INDEX migration_jobs_open ON migration_jobs (created_at) WHERE status IN ('PENDING', 'PROCESSING');

-- The job's source as it was when the job started, record by record.
CREATE TABLE migration_records (
    job_id UUID NOT NULL REFERENCES migration_jobs(id) ON DELETE CASCADE,
    seq    INTEGER NOT NULL,
    data   JSONB NOT NULL,
    PRIMARY KEY (job_id, seq)
);

-- Every rejected record with the first reason it was refused; LENIENT warnings (a field left out)
-- too, with severity 'warning', the record itself imported.
CREATE TABLE migration_errors (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    migration_job_id  UUID NOT NULL REFERENCES migration_jobs(id) ON DELETE CASCADE,
    seq               INTEGER NOT NULL,
    record_identifier TEXT NOT NULL,
    severity          TEXT NOT NULL CHECK (severity IN ('error', 'warning')),
    field             TEXT,
    error_type        TEXT NOT NULL,
    error_message     TEXT NOT NULL,
    record_data       JSONB NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX migration_errors_job ON migration_errors (migration_job_id, seq);

-- What a job did to each row, for its rollback: an inserted row is deleted, an updated one gets
-- `before` back. `version` is the row's version the job left; a row changed since is not touched.
CREATE TABLE migration_changes (
    job_id  UUID NOT NULL REFERENCES migration_jobs(id) ON DELETE CASCADE,
    row_id  UUID NOT NULL,
    action  TEXT NOT NULL CHECK (action IN ('inserted', 'updated')),
    version INTEGER NOT NULL,
    before  JSONB,
    PRIMARY KEY (job_id, row_id)
);
