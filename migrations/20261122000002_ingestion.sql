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

-- Every original row keeps the link to its unique line, as arrays of line indexes in row order, in
-- segments of at most 262,144 rows: element n of a segment belongs to row source_first + n - 1 of its
-- table, and is row first_row + n - 1 of the dataset. A million links are four 1 MB values written at
-- once instead of a million rows with their index entries.
CREATE TABLE dataset_maps (
    dataset_id   UUID NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    position     INT NOT NULL,
    table_id     UUID NOT NULL REFERENCES upload_tables(id),
    first_row    BIGINT NOT NULL CHECK (first_row >= 1),
    source_first BIGINT NOT NULL CHECK (source_first >= 1),
    line_idx     INT[] NOT NULL,
    PRIMARY KEY (dataset_id, position)
);
INSERT INTO dataset_maps (dataset_id, position, table_id, first_row, source_first, line_idx)
SELECT dr.dataset_id, 0, d.table_id, 1, 1, array_agg(dr.line_idx ORDER BY dr.row_no)
FROM dataset_rows dr JOIN datasets d ON d.id = dr.dataset_id
GROUP BY dr.dataset_id, d.table_id;
DROP TABLE dataset_rows;
-- Unique lines are numbered 0..n (primary key (dataset_id, idx)); a dataset build checks every link
-- lies in that range before it commits (clean::dedup), which a per-element foreign key cannot do.
ALTER TABLE unique_lines ADD CONSTRAINT unique_lines_idx_non_negative CHECK (idx >= 0);
