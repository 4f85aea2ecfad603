-- Ingestion of every format: an upload is read by a concurrent pipeline, so it is 'ingesting' until its
-- tables are recorded; skipped and failed entries are kept with their reasons.
ALTER TABLE uploads
    ADD COLUMN status  TEXT NOT NULL DEFAULT 'ready' CHECK (status IN ('ingesting', 'ready')),
    ADD COLUMN skipped JSONB NOT NULL DEFAULT '[]',
    ADD COLUMN failed  JSONB NOT NULL DEFAULT '[]';

ALTER TABLE upload_tables
    ADD COLUMN file     TEXT NOT NULL DEFAULT '',
    ADD COLUMN sheet    TEXT,
    ADD COLUMN details  JSONB NOT NULL DEFAULT '[]',
    ADD COLUMN warnings JSONB NOT NULL DEFAULT '[]';
UPDATE upload_tables SET file = name;

-- Rows are written by several COPY streams before their table's row exists (its counts are only known
-- at the end), and a per-row foreign-key check would double the cost of the load. Deleting a table
-- still deletes its rows, by trigger.
ALTER TABLE upload_rows DROP CONSTRAINT upload_rows_table_id_fkey;
ALTER TABLE rejected_rows DROP CONSTRAINT rejected_rows_table_id_fkey;

CREATE FUNCTION delete_upload_table_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM upload_rows WHERE table_id = OLD.id;
    DELETE FROM rejected_rows WHERE table_id = OLD.id;
    RETURN OLD;
END $$;
CREATE TRIGGER upload_tables_delete_rows AFTER DELETE ON upload_tables
    FOR EACH ROW EXECUTE FUNCTION delete_upload_table_rows();

-- A dataset may gather several tables of an upload, be described by several columns, and be
-- de-duplicated exactly, on cleaned text, or on key columns.
ALTER TABLE datasets
    ADD COLUMN table_ids           UUID[],
    ADD COLUMN description_columns TEXT[],
    ADD COLUMN clean_options       JSONB NOT NULL DEFAULT '{}',
    ADD COLUMN dedup               JSONB NOT NULL DEFAULT '{"strategy": "cleaned"}',
    ADD COLUMN duplicate_groups    BIGINT NOT NULL DEFAULT 0;
UPDATE datasets SET table_ids = ARRAY[table_id], description_columns = ARRAY[description_column];
ALTER TABLE datasets ALTER COLUMN table_ids SET NOT NULL, ALTER COLUMN description_columns SET NOT NULL;

-- The dedup key depends on the strategy; clean text alone no longer identifies a unique line.
ALTER TABLE unique_lines ADD COLUMN dedup_key TEXT;
UPDATE unique_lines SET dedup_key = clean_text;
ALTER TABLE unique_lines ALTER COLUMN dedup_key SET NOT NULL;
ALTER TABLE unique_lines DROP CONSTRAINT unique_lines_dataset_id_clean_text_key;
ALTER TABLE unique_lines ADD CONSTRAINT unique_lines_dataset_key UNIQUE (dataset_id, dedup_key);

-- row_no numbers a dataset's rows across its tables; (table_id, source_row) finds the original row.
ALTER TABLE dataset_rows ADD COLUMN table_id UUID, ADD COLUMN source_row BIGINT;
UPDATE dataset_rows dr SET table_id = d.table_id, source_row = dr.row_no FROM datasets d WHERE d.id = dr.dataset_id;
ALTER TABLE dataset_rows ALTER COLUMN table_id SET NOT NULL, ALTER COLUMN source_row SET NOT NULL;

-- A dataset's rows stream in before its unique lines exist. A foreign key probed per row doubled the
-- cost of building a dataset; instead unique lines are numbered 0..n (primary key) and the build
-- checks every row's line_idx lies in that range before it commits (clean::dedup).
ALTER TABLE dataset_rows DROP CONSTRAINT dataset_rows_dataset_id_line_idx_fkey;
ALTER TABLE unique_lines ADD CONSTRAINT unique_lines_idx_non_negative CHECK (idx >= 0);

-- Same for the link to the dataset itself: a foreign-key probe per row tripled the cost of writing a
-- million rows. The rows are written in the transaction that creates their dataset, and go with it.
ALTER TABLE dataset_rows DROP CONSTRAINT dataset_rows_dataset_id_fkey;
CREATE FUNCTION delete_dataset_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM dataset_rows WHERE dataset_id = OLD.id;
    RETURN OLD;
END $$;
CREATE TRIGGER datasets_delete_rows AFTER DELETE ON datasets
    FOR EACH ROW EXECUTE FUNCTION delete_dataset_rows();
