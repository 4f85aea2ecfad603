-- Governed tables (seed 004 §3): a hybrid EAV store. The schema is data (logical tables, column
-- definitions, their per-table properties, constraints); each logical table's rows live in one real
-- PostgreSQL table in the `eav` schema, named and shaped by the engine (`eav::physical`), never by
-- user text. The benchmark (`engine/benches/eav.rs`) chose this over one row per value.

CREATE SCHEMA IF NOT EXISTS eav;

INSERT INTO permissions (name, description) VALUES
    ('table:admin',  'Define governed tables: columns, rules, constraints, grants'),
    ('table:read',   'Read the rows of governed tables'),
    ('table:write',  'Create, change and delete rows of governed tables'),
    ('table:unmask', 'See masked columns of governed tables in clear');
INSERT INTO role_permissions (role, permission) VALUES
    ('admin', 'table:admin'), ('admin', 'table:read'), ('admin', 'table:write'), ('admin', 'table:unmask'),
    ('analyst', 'table:read'), ('analyst', 'table:write'),
    ('viewer', 'table:read');

CREATE TABLE logical_tables (
    id              UUID PRIMARY KEY,
    table_name      TEXT NOT NULL CHECK (table_name ~ '^[A-Za-z][A-Za-z0-9_]{0,62}$'),
    description     TEXT NOT NULL DEFAULT '',
    is_hierarchical BOOLEAN NOT NULL DEFAULT FALSE,
    cache_policy    TEXT NOT NULL DEFAULT 'None' CHECK (cache_policy IN ('None', 'FullTable', 'IndividualRows')),
    -- Raised by every change to the table's schema (its properties and constraints too): writes
    -- compare it with the definition they validated against.
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by      UUID REFERENCES users(id) ON DELETE SET NULL,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by      UUID REFERENCES users(id) ON DELETE SET NULL
);
-- `/data/PRODUCTS` and `/data/products` are the same table.
CREATE UNIQUE INDEX logical_tables_name ON logical_tables (lower(table_name));

CREATE TABLE column_definitions (
    id                 UUID PRIMARY KEY,
    column_name        TEXT NOT NULL CHECK (column_name ~ '^[A-Za-z][A-Za-z0-9_]{0,62}$'),
    data_type          TEXT NOT NULL CHECK (data_type IN ('String', 'Int', 'Decimal', 'Boolean', 'Date', 'DateTime', 'Enum', 'Reference')),
    description        TEXT NOT NULL DEFAULT '',
    enum_values        TEXT[] NOT NULL DEFAULT '{}',
    reference_table_id UUID REFERENCES logical_tables(id) ON DELETE RESTRICT,
    default_value      JSONB,
    masking_rule       TEXT NOT NULL DEFAULT 'none' CHECK (masking_rule IN ('none', 'full', 'last4', 'email')),
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by         UUID REFERENCES users(id) ON DELETE SET NULL,
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by         UUID REFERENCES users(id) ON DELETE SET NULL,
    CHECK ((data_type = 'Reference') = (reference_table_id IS NOT NULL)),
    CHECK (data_type <> 'Enum' OR cardinality(enum_values) > 0)
);
CREATE UNIQUE INDEX column_definitions_name ON column_definitions (lower(column_name));
-- The promoted fields and `ext` are not column names (the query API could not tell them apart).
ALTER TABLE column_definitions ADD CONSTRAINT column_definitions_not_promoted CHECK (lower(column_name) NOT IN
    ('id', 'code', 'display_value', 'sort_order', 'is_active', 'parent_row_id', 'extended_properties', 'ext',
     'version', 'created_at', 'created_by', 'updated_at', 'updated_by'));

CREATE TABLE table_column_properties (
    id                    UUID PRIMARY KEY,
    logical_table_id      UUID NOT NULL REFERENCES logical_tables(id) ON DELETE CASCADE,
    column_definition_id  UUID NOT NULL REFERENCES column_definitions(id) ON DELETE RESTRICT,
    display_order         INTEGER NOT NULL DEFAULT 0,
    is_mandatory          BOOLEAN NOT NULL DEFAULT FALSE,
    is_value_unique       BOOLEAN NOT NULL DEFAULT FALSE,
    -- Filtered and sorted on often: an index (value, id) serves both, keyset pages included.
    is_indexed            BOOLEAN NOT NULL DEFAULT FALSE,
    validation_rule_type  TEXT CHECK (validation_rule_type IN ('regex', 'length', 'range', 'enum', 'email', 'url', 'date_range')),
    validation_parameters JSONB NOT NULL DEFAULT '{}',
    -- Which of this property's rules are soft: existing rows may break them (they are listed), new
    -- values may not. Subset of mandatory, unique, rule.
    soft_rules            TEXT[] NOT NULL DEFAULT '{}',
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by            UUID REFERENCES users(id) ON DELETE SET NULL,
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by            UUID REFERENCES users(id) ON DELETE SET NULL,
    UNIQUE (logical_table_id, column_definition_id)
);
CREATE INDEX table_column_properties_column ON table_column_properties (column_definition_id);

-- Unique (columns and `ext.` paths, case-sensitive or not), foreign key (a Reference column, with
-- its on-delete action) and check (an expression of `eav::expr`, never SQL). The kind's own fields
-- are in `definition`, validated by the engine.
CREATE TABLE table_constraints (
    id               UUID PRIMARY KEY,
    logical_table_id UUID NOT NULL REFERENCES logical_tables(id) ON DELETE CASCADE,
    constraint_name  TEXT NOT NULL CHECK (constraint_name ~ '^[A-Za-z][A-Za-z0-9_]{0,62}$'),
    constraint_type  TEXT NOT NULL CHECK (constraint_type IN ('UNIQUE', 'FOREIGN KEY', 'CHECK')),
    definition       JSONB NOT NULL,
    is_active        BOOLEAN NOT NULL DEFAULT TRUE,
    is_soft          BOOLEAN NOT NULL DEFAULT FALSE,
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by       UUID REFERENCES users(id) ON DELETE SET NULL,
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by       UUID REFERENCES users(id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX table_constraints_name ON table_constraints (logical_table_id, lower(constraint_name));
-- Deleting a row looks up the foreign keys that point at its table.
CREATE INDEX table_constraints_referenced ON table_constraints ((definition ->> 'referenced_table_id'))
    WHERE constraint_type = 'FOREIGN KEY';

-- Per-table grants: a role holds table:read|write|admin|unmask on one table only.
CREATE TABLE logical_table_grants (
    logical_table_id UUID NOT NULL REFERENCES logical_tables(id) ON DELETE CASCADE,
    role             TEXT NOT NULL REFERENCES roles(name) ON DELETE CASCADE ON UPDATE CASCADE,
    permission       TEXT NOT NULL CHECK (permission IN ('table:admin', 'table:read', 'table:write', 'table:unmask')),
    granted_by       UUID REFERENCES users(id) ON DELETE SET NULL,
    granted_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (logical_table_id, role, permission)
);

-- Every schema change with its before and after: the version history of a table (and of the
-- column definitions, which tables share).
CREATE TABLE schema_changes (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    logical_table_id UUID,
    table_version    INTEGER,
    entity           TEXT NOT NULL CHECK (entity IN ('table', 'column', 'property', 'constraint', 'grant')),
    entity_id        UUID NOT NULL,
    action           TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete')),
    before           JSONB,
    after            JSONB,
    actor_id         UUID REFERENCES users(id) ON DELETE SET NULL,
    at               TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX schema_changes_table ON schema_changes (logical_table_id, id);

-- Row history: who changed a row, when, and what it was before and after. A created row is its own
-- first version (created_at/by on the row; the first change's `before` keeps it), so bulk loads do
-- not write every row twice.
CREATE TABLE row_history (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    logical_table_id UUID NOT NULL,
    row_id           UUID NOT NULL,
    version          INTEGER NOT NULL,
    action           TEXT NOT NULL CHECK (action IN ('update', 'delete')),
    before           JSONB NOT NULL,
    after            JSONB,
    actor_id         UUID REFERENCES users(id) ON DELETE SET NULL,
    at               TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX row_history_row ON row_history (logical_table_id, row_id, id);

-- The transactional outbox (seed §3.2.4, §8.4): written in the transaction of the change it tells,
-- processed at least once with FOR UPDATE SKIP LOCKED, in creation order per aggregate.
CREATE TABLE domain_events (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_type          TEXT NOT NULL,
    aggregate_type      TEXT NOT NULL,
    aggregate_id        UUID NOT NULL,
    event_data          JSONB NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    processed_at        TIMESTAMPTZ,
    processing_attempts INTEGER NOT NULL DEFAULT 0,
    last_error          TEXT
);
CREATE INDEX domain_events_pending ON domain_events (aggregate_id, id) WHERE processed_at IS NULL;
