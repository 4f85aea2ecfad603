//! Where a logical table's rows physically live: one PostgreSQL table per logical table in the `eav`
//! schema, with the promoted fields, one typed column per bound column and `extended_properties`.
//! Every identifier here is made from ids (`t_<uuid>`, `c_<uuid>`), never from user text; the only
//! user-given strings that reach SQL text are column names and JSON path keys, and both are
//! validated to `[A-Za-z0-9_]` first and quoted as literals.

use uuid::Uuid;

use super::def::{ColumnDef, TableDef, UniqueDef};
use super::wire::DataType;

pub fn table(id: Uuid) -> String {
    format!("eav.t_{}", id.simple())
}

pub fn column(id: Uuid) -> String {
    format!("c_{}", id.simple())
}

/// Index names: unique ones start with `uq_` so a violation names what it broke.
pub fn unique_index(id: Uuid) -> String {
    format!("uq_{}", id.simple())
}

pub fn plain_index(id: Uuid) -> String {
    format!("ix_{}", id.simple())
}

/// The index a soft unique looks keys up in (it does not enforce them).
pub fn soft_unique_index(id: Uuid) -> String {
    format!("us_{}", id.simple())
}

pub fn code_index(table_id: Uuid) -> String {
    format!("uq_code_{}", table_id.simple())
}

pub fn sql_type(ty: DataType) -> &'static str {
    match ty {
        DataType::String | DataType::Enum => "text",
        DataType::Int => "bigint",
        DataType::Decimal => "numeric",
        DataType::Boolean => "boolean",
        DataType::Date => "date",
        DataType::DateTime => "timestamptz",
        DataType::Reference => "uuid",
    }
}

/// A validated name as an SQL string literal.
pub fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

pub fn create_table(id: Uuid, hierarchical: bool) -> Vec<String> {
    let t = table(id);
    let mut ddl = vec![
        format!(
            "CREATE TABLE {t} (
                id UUID PRIMARY KEY,
                code TEXT NOT NULL,
                display_value TEXT,
                sort_order INTEGER NOT NULL DEFAULT 0,
                is_active BOOLEAN NOT NULL DEFAULT TRUE,
                parent_row_id UUID,
                extended_properties JSONB NOT NULL DEFAULT '{{}}',
                version INTEGER NOT NULL DEFAULT 1,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                created_by UUID,
                updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                updated_by UUID
            )"
        ),
        format!("CREATE UNIQUE INDEX {} ON {t} (code)", code_index(id)),
    ];
    if hierarchical {
        ddl.push(parent_index(id));
    }
    ddl
}

pub fn parent_index(id: Uuid) -> String {
    format!("CREATE INDEX IF NOT EXISTS ix_parent_{} ON {} (parent_row_id)", id.simple(), table(id))
}

/// The SQL of a JSON path of `extended_properties` as text: `extended_properties #>> '{a,b}'`.
pub fn json_path_text(path: &[String]) -> String {
    format!("(extended_properties #>> {})", literal(&format!("{{{}}}", path.join(","))))
}

/// The expressions a unique compares, in order: columns (lower-cased text when case-insensitive),
/// then JSON paths.
pub fn unique_exprs(def: &TableDef, u: &UniqueDef) -> Vec<String> {
    let mut out = Vec::new();
    for name in &u.columns {
        let Some(c) = def.column(name) else { continue };
        out.push(fold(&c.physical, !u.case_sensitive && is_text(c)));
    }
    for path in &u.json_paths {
        out.push(fold(&json_path_text(path), !u.case_sensitive));
    }
    out
}

fn is_text(c: &ColumnDef) -> bool {
    matches!(c.ty, DataType::String | DataType::Enum)
}

fn fold(expr: &str, lower: bool) -> String {
    if lower { format!("lower({expr})") } else { expr.to_string() }
}

/// The index that enforces a unique (hard) or serves its lookups (soft).
pub fn unique_index_sql(def: &TableDef, u: &UniqueDef) -> String {
    let exprs = unique_exprs(def, u).join(", ");
    if u.soft {
        format!("CREATE INDEX IF NOT EXISTS {} ON {} ({exprs})", soft_unique_index(u.id), def.physical())
    } else {
        format!("CREATE UNIQUE INDEX IF NOT EXISTS {} ON {} ({exprs})", unique_index(u.id), def.physical())
    }
}

pub fn drop_unique_indexes(id: Uuid) -> Vec<String> {
    vec![format!("DROP INDEX IF EXISTS eav.{}", unique_index(id)), format!("DROP INDEX IF EXISTS eav.{}", soft_unique_index(id))]
}

/// The columns a read returns: all, or those named in `only`, in the table's order.
pub fn read_columns<'a>(def: &'a TableDef, only: Option<&[String]>) -> Vec<&'a ColumnDef> {
    def.columns.iter().filter(|c| only.is_none_or(|o| o.iter().any(|n| n.eq_ignore_ascii_case(&c.name)))).collect()
}

/// The select list `read::RawRow::decode` reads: the promoted fields, the table's schema version
/// (a reader that validated against another reads again), then each column typed (a Decimal as
/// float8: the JSON number it is answered as).
pub fn select_list(def: &TableDef, only: Option<&[String]>) -> String {
    let mut out = format!(
        "id, code, display_value, is_active, sort_order, parent_row_id, version, extended_properties, created_at, updated_at, \
         (SELECT version FROM logical_tables WHERE id = '{}') AS schema_version",
        def.id
    );
    // Each aliased: a cast keeps its column's name, and ORDER BY would sort by the float8 output
    // column instead of walking the numeric column's index.
    for (j, c) in read_columns(def, only).into_iter().enumerate() {
        let cast = if c.ty == DataType::Decimal { "::float8" } else { "" };
        out.push_str(&format!(", {}{cast} AS v{j}", c.physical));
    }
    out
}

/// SQL text this module's functions built: identifiers the engine made, validated names quoted as
/// literals, and `$n` placeholders for every value. Nothing a client sent is spliced in unchecked.
pub fn trusted(sql: &str) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(sql.to_string())
}
