-- Foundation schema: accounts, uploads, datasets with their dedup mapping, prompts, runs.
-- Uniqueness that protects the "one result per line" rule lives here, not only in code.

CREATE TABLE roles (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    is_system   BOOLEAN NOT NULL DEFAULT TRUE
);
INSERT INTO roles (name, description) VALUES
    ('admin',   'Governs schemas, users, roles, shared prompts and settings'),
    ('analyst', 'Uploads, cleans, classifies, validates and reports'),
    ('viewer',  'Reads datasets, runs and reports');

CREATE TABLE users (
    id            UUID PRIMARY KEY,
    username      TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL REFERENCES roles(name),
    is_active     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_username_lower ON users (lower(username));

CREATE TABLE uploads (
    id            UUID PRIMARY KEY,
    owner_id      UUID NOT NULL REFERENCES users(id),
    original_name TEXT NOT NULL,
    size_bytes    BIGINT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One readable table per file (or per sheet, later): its detected columns and its counts.
CREATE TABLE upload_tables (
    id            UUID PRIMARY KEY,
    upload_id     UUID NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
    position      INT NOT NULL,
    name          TEXT NOT NULL,
    format        TEXT NOT NULL,
    columns       JSONB NOT NULL,
    rows_read     BIGINT NOT NULL,
    rows_stored   BIGINT NOT NULL,
    rows_rejected BIGINT NOT NULL,
    CHECK (rows_read = rows_stored + rows_rejected),
    UNIQUE (upload_id, position)
);

CREATE TABLE upload_rows (
    table_id UUID NOT NULL REFERENCES upload_tables(id) ON DELETE CASCADE,
    row_no   BIGINT NOT NULL,
    line_no  BIGINT NOT NULL,
    data     JSONB NOT NULL,
    PRIMARY KEY (table_id, row_no)
);

CREATE TABLE rejected_rows (
    table_id UUID NOT NULL REFERENCES upload_tables(id) ON DELETE CASCADE,
    seq      BIGINT NOT NULL,
    line_no  BIGINT NOT NULL,
    raw      TEXT NOT NULL,
    reason   TEXT NOT NULL,
    PRIMARY KEY (table_id, seq)
);

CREATE TABLE datasets (
    id                 UUID PRIMARY KEY,
    owner_id           UUID NOT NULL REFERENCES users(id),
    upload_id          UUID NOT NULL REFERENCES uploads(id),
    table_id           UUID NOT NULL REFERENCES upload_tables(id),
    name               TEXT NOT NULL,
    description_column TEXT NOT NULL,
    rows               BIGINT NOT NULL,
    unique_lines       BIGINT NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- A unique line's idx is the row_index that travels to the classifier and back.
CREATE TABLE unique_lines (
    dataset_id UUID NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    idx        INT NOT NULL,
    clean_text TEXT NOT NULL,
    text       TEXT NOT NULL,
    row_count  INT NOT NULL,
    PRIMARY KEY (dataset_id, idx),
    UNIQUE (dataset_id, clean_text)
);

-- Every original row keeps the link to the unique line it stands for, so results fan back out 1:1.
CREATE TABLE dataset_rows (
    dataset_id UUID NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    row_no     BIGINT NOT NULL,
    line_idx   INT NOT NULL,
    PRIMARY KEY (dataset_id, row_no),
    FOREIGN KEY (dataset_id, line_idx) REFERENCES unique_lines(dataset_id, idx)
);

CREATE TABLE prompts (
    id         UUID PRIMARY KEY,
    name       TEXT NOT NULL,
    label      TEXT NOT NULL,
    is_default BOOLEAN NOT NULL DEFAULT FALSE,
    is_shared  BOOLEAN NOT NULL DEFAULT FALSE,
    created_by UUID REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX prompts_one_default ON prompts (is_default) WHERE is_default;

-- Immutable: every save of a prompt is a new row.
CREATE TABLE prompt_versions (
    id         UUID PRIMARY KEY,
    prompt_id  UUID NOT NULL REFERENCES prompts(id) ON DELETE CASCADE,
    version    INT NOT NULL,
    template   TEXT NOT NULL,
    categories JSONB NOT NULL,
    created_by UUID REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (prompt_id, version)
);

CREATE TABLE runs (
    id                UUID PRIMARY KEY,
    dataset_id        UUID NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    prompt_version_id UUID NOT NULL REFERENCES prompt_versions(id),
    provider          TEXT NOT NULL,
    chunk_size        INT NOT NULL CHECK (chunk_size > 0),
    status            TEXT NOT NULL CHECK (status IN ('queued','running','succeeded','failed','cancelled')),
    total             INT NOT NULL,
    error             TEXT,
    created_by        UUID NOT NULL REFERENCES users(id),
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at        TIMESTAMPTZ,
    finished_at       TIMESTAMPTZ,
    heartbeat_at      TIMESTAMPTZ
);

-- A chunk is stored with its results in one transaction: its row here is the checkpoint.
CREATE TABLE run_chunks (
    run_id      UUID NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    chunk_no    INT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('done','failed')),
    attempts    INT NOT NULL DEFAULT 1,
    error       TEXT,
    finished_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, chunk_no)
);

CREATE TABLE run_results (
    run_id   UUID NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    line_idx INT NOT NULL,
    chunk_no INT NOT NULL,
    category TEXT NOT NULL,
    score    DOUBLE PRECISION NOT NULL,
    reason   TEXT NOT NULL,
    PRIMARY KEY (run_id, line_idx)
);
