-- Every ingested table gets its own PostgreSQL table, upload_data.t_<id without dashes>: row_no,
-- line_no, one text column per source column (c1, c2 … in the order of upload_tables.columns; NULL
-- for empty) and `overflow`, a JSON object for columns past the first `stored_columns` (JSON keys
-- first seen after the table's first batch, or sheets wider than PostgreSQL allows). Plain text
-- columns without an index load about three times faster than one shared JSONB table with its
-- primary key; the unique index on row_no is built once a table is loaded.
CREATE SCHEMA upload_data;

ALTER TABLE upload_tables ADD COLUMN stored_columns INT NOT NULL DEFAULT 0 CHECK (stored_columns >= 0);

DO $$
DECLARE
    t RECORD;
    n INT;
    physical TEXT;
    defs TEXT;
    picks TEXT;
    late TEXT;
BEGIN
    FOR t IN SELECT id, columns FROM upload_tables LOOP
        n := LEAST(jsonb_array_length(t.columns), 1500);
        physical := format('upload_data.%I', 't_' || replace(t.id::text, '-', ''));
        SELECT coalesce(string_agg(format(', c%s text', i), '' ORDER BY i), ''),
               coalesce(string_agg(format(', NULLIF(data->>%L, '''')', t.columns -> (i - 1) ->> 'name'), '' ORDER BY i), '')
          INTO defs, picks
          FROM generate_series(1, n) AS i;
        SELECT coalesce(string_agg(format('%L, data->%L', c ->> 'name', c ->> 'name'), ', '), '')
          INTO late
          FROM jsonb_array_elements(t.columns) WITH ORDINALITY AS x(c, i) WHERE i > n;
        EXECUTE format('CREATE TABLE %s (row_no BIGINT NOT NULL, line_no BIGINT NOT NULL%s, overflow JSONB)', physical, defs);
        EXECUTE format('INSERT INTO %s SELECT row_no, line_no%s, %s FROM upload_rows WHERE table_id = %L',
                       physical, picks, CASE WHEN late = '' THEN 'NULL' ELSE format('jsonb_strip_nulls(jsonb_build_object(%s))', late) END, t.id);
        EXECUTE format('CREATE UNIQUE INDEX ON %s (row_no)', physical);
        UPDATE upload_tables SET stored_columns = n WHERE id = t.id;
    END LOOP;
END $$;

DROP TRIGGER upload_tables_delete_rows ON upload_tables;
DROP FUNCTION delete_upload_table_rows();
DROP TABLE upload_rows;

-- Which upload each rows table belongs to, written when the table is created (before its upload's
-- tables are recorded): deleting an upload, or sweeping one abandoned mid-ingest, drops its tables.
CREATE TABLE upload_storage (
    table_id  UUID PRIMARY KEY,
    upload_id UUID NOT NULL REFERENCES uploads(id) ON DELETE CASCADE
);
INSERT INTO upload_storage (table_id, upload_id) SELECT id, upload_id FROM upload_tables;

CREATE FUNCTION drop_upload_storage() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('DROP TABLE IF EXISTS upload_data.%I', 't_' || replace(OLD.table_id::text, '-', ''));
    DELETE FROM rejected_rows WHERE table_id = OLD.table_id;
    RETURN OLD;
END $$;
CREATE TRIGGER upload_storage_drop AFTER DELETE ON upload_storage
    FOR EACH ROW EXECUTE FUNCTION drop_upload_storage();
