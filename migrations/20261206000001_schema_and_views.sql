-- Whether a stored value can take a column's new type, asked only when an admin changes the type
-- of a column that holds values (so the rows that would not survive can be named, not lost).
-- `target` is one of the fixed SQL types of `engine::eav::physical::sql_type`, never user text.
CREATE FUNCTION eav.castable(value text, target text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    EXECUTE format('SELECT %L::%s', value, target);
    RETURN true;
EXCEPTION WHEN data_exception THEN
    RETURN false;
END;
$$;

-- Views of a table's grid saved by name (search, filters, order): a reader's own, and shared
-- ones every reader of the table sees. They go with the table.
CREATE TABLE saved_views (
    id               UUID PRIMARY KEY,
    logical_table_id UUID NOT NULL REFERENCES logical_tables (id) ON DELETE CASCADE,
    owner_id         UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name             TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    spec             JSONB NOT NULL,
    shared           BOOLEAN NOT NULL DEFAULT false,
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (logical_table_id, owner_id, name)
);
