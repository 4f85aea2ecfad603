//! The query API (`POST /data/{table}/query`, `GET /data/{table}`): filters with the operators of
//! DESIGN §8 on promoted fields, columns and `ext.<path>`, sorting on several fields, keyset pages
//! with an opaque cursor. Field names are resolved against the table's definition to identifiers
//! the engine made; every value and every JSON path is a bound parameter.

use crate::eav::physical::trusted;
use base64::Engine as _;
use serde_json::Value;
use sqlx::postgres::PgArguments;
use sqlx::Arguments;

use super::def::{ColumnDef, TableDef};
use super::error::DataError;
use super::read::{RawRow, mask_for};
use super::values::typed;
use super::wire::{DataType, Direction, Filter, MaskingRule, Operator, RowData, RowPage, RowQuery, Sort};
use super::{Store, physical};
use crate::auth::{CurrentUser, Permission};
use crate::error::{EngineError, Result};

pub const MAX_PAGE: i64 = 1000;
const MAX_OFFSET: i64 = 10_000_000;
const MAX_FILTERS: usize = 50;
const MAX_LIST: usize = 1000;

/// A field a query names.
enum Target<'a> {
    /// A promoted field: its SQL, type, and whether it can be null.
    Promoted(&'static str, DataType, bool),
    Column(&'a ColumnDef),
    Ext(Vec<String>),
}

fn resolve<'a>(def: &'a TableDef, user: &CurrentUser, field: &str) -> Result<Target<'a>> {
    let promoted = match field.to_ascii_lowercase().as_str() {
        "id" => Some(("id", DataType::Reference, false)),
        "code" => Some(("code", DataType::String, false)),
        "display_value" => Some(("display_value", DataType::String, true)),
        "sort_order" => Some(("sort_order", DataType::Int, false)),
        "is_active" => Some(("is_active", DataType::Boolean, false)),
        "parent_row_id" => Some(("parent_row_id", DataType::Reference, true)),
        "version" => Some(("version", DataType::Int, false)),
        "created_at" => Some(("created_at", DataType::DateTime, false)),
        "updated_at" => Some(("updated_at", DataType::DateTime, false)),
        _ => None,
    };
    if let Some((sql, ty, nullable)) = promoted {
        return Ok(Target::Promoted(sql, ty, nullable));
    }
    if let Some(path) = field.strip_prefix("ext.") {
        let keys: Vec<String> = path.split('.').map(str::to_string).collect();
        if keys.iter().any(String::is_empty) || keys.len() > 16 {
            return Err(DataError::FieldUnknown(field.to_string()).into());
        }
        return Ok(Target::Ext(keys));
    }
    let c = def.column(field).ok_or_else(|| DataError::FieldUnknown(field.to_string()))?;
    // Filtering or sorting on a masked column would reveal it bit by bit.
    if c.masking != MaskingRule::None && !def.allows(user, Permission::TableUnmask) {
        return Err(EngineError::Forbidden(Permission::TableUnmask.name()));
    }
    Ok(Target::Column(c))
}

/// The SQL text of a target and the type its values are read as.
fn sql_of(t: &Target) -> (String, Option<DataType>, bool) {
    match t {
        Target::Promoted(sql, ty, nullable) => (sql.to_string(), Some(*ty), *nullable),
        Target::Column(c) => (c.physical.clone(), Some(c.ty), !c.mandatory || c.is_soft(super::wire::SoftRule::Mandatory)),
        Target::Ext(_) => (String::new(), None, true),
    }
}

struct Sql {
    args: PgArguments,
    n: usize,
}

impl Sql {
    fn bind<T>(&mut self, v: T) -> Result<String>
    where
        T: for<'q> sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send,
    {
        self.args.add(v).map_err(|e| EngineError::internal(format!("bind: {e}")))?;
        self.n += 1;
        Ok(format!("${}", self.n))
    }
}

fn value_text(ty: DataType, c: &ColumnDef, field: &str, v: &Value) -> Result<Option<String>> {
    let cell = typed(ty, &c.enum_values, v).map_err(|message| DataError::ValueInvalid { column: field.to_string(), message })?;
    Ok(cell.sql_text())
}

fn as_column(ty: DataType) -> ColumnDef {
    ColumnDef {
        id: uuid::Uuid::nil(),
        property_id: uuid::Uuid::nil(),
        name: String::new(),
        ty,
        enum_values: Vec::new(),
        reference_table_id: None,
        default: None,
        masking: MaskingRule::None,
        mandatory: false,
        unique: false,
        indexed: false,
        rule: None,
        soft: Vec::new(),
        physical: String::new(),
    }
}

/// `%` and `_` in a searched text mean themselves.
fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// Each word of `search` in the code, the display value or a text column the reader may see.
fn search_condition(def: &TableDef, user: &CurrentUser, search: &str, sql: &mut Sql) -> Result<Option<String>> {
    let words: Vec<&str> = search.split_whitespace().take(8).collect();
    if words.is_empty() {
        return Ok(None);
    }
    if search.chars().count() > 200 {
        return Err(EngineError::invalid("search for at most 200 characters"));
    }
    let unmask = def.allows(user, Permission::TableUnmask);
    let mut places = vec!["code".to_string(), "coalesce(display_value, '')".to_string()];
    places.extend(
        def.columns
            .iter()
            .filter(|c| matches!(c.ty, DataType::String | DataType::Enum) && (c.masking == MaskingRule::None || unmask))
            .map(|c| format!("coalesce({}, '')", c.physical)),
    );
    let haystack = places.join(" || ' ' || ");
    let mut all = Vec::new();
    for w in words {
        let p = sql.bind(format!("%{}%", like_escape(w)))?;
        all.push(format!("({haystack}) ILIKE {p}"));
    }
    Ok(Some(format!("({})", all.join(" AND "))))
}

fn condition(def: &TableDef, user: &CurrentUser, f: &Filter, sql: &mut Sql) -> Result<String> {
    let target = resolve(def, user, &f.field)?;
    let bad = |m: &str| -> EngineError { DataError::ValueInvalid { column: f.field.clone(), message: m.to_string() }.into() };
    if let Target::Ext(path) = &target {
        let p = sql.bind(path.clone())?;
        let json = format!("(extended_properties #> {p}::text[])");
        let text = format!("(extended_properties #>> {p}::text[])");
        return Ok(match f.operator {
            Operator::IsNull => {
                let want = f.value.as_bool().ok_or_else(|| bad("is_null takes true or false"))?;
                if want { format!("({json} IS NULL OR {json} = 'null'::jsonb)") } else { format!("({json} IS NOT NULL AND {json} <> 'null'::jsonb)") }
            }
            Operator::Contains | Operator::StartsWith => {
                let s = f.value.as_str().ok_or_else(|| bad("expected a text"))?;
                let pattern = if f.operator == Operator::Contains { format!("%{}%", like_escape(s)) } else { format!("{}%", like_escape(s)) };
                format!("{text} ILIKE {}", sql.bind(pattern)?)
            }
            Operator::In | Operator::NotIn => {
                let list = f.value.as_array().filter(|a| a.len() <= MAX_LIST).ok_or_else(|| bad("expected a list of at most 1000 values"))?;
                let v = sql.bind(list.iter().map(|x| x.to_string()).collect::<Vec<_>>())?;
                let any = format!("{json} = ANY({v}::jsonb[])");
                if f.operator == Operator::In { any } else { format!("NOT ({any})") }
            }
            Operator::Between => {
                let [lo, hi] = f.value.as_array().map(|a| a.as_slice()).unwrap_or_default() else { return Err(bad("between takes [low, high]")) };
                format!("({json} >= {}::jsonb AND {json} <= {}::jsonb)", sql.bind(lo.to_string())?, sql.bind(hi.to_string())?)
            }
            op => format!("{json} {} {}::jsonb", symbol(op), sql.bind(f.value.to_string())?),
        });
    }
    let (expr, ty, _) = sql_of(&target);
    let ty = ty.unwrap_or(DataType::String);
    let col = match &target {
        Target::Column(c) => (*c).clone(),
        _ => as_column(ty),
    };
    let cast = physical::sql_type(ty);
    let one = |v: &Value, sql: &mut Sql| -> Result<String> {
        let text = value_text(ty, &col, &f.field, v)?.ok_or_else(|| bad("a value is needed (use is_null for nulls)"))?;
        Ok(format!("{}::{cast}", sql.bind(text)?))
    };
    Ok(match f.operator {
        Operator::IsNull => {
            let want = f.value.as_bool().ok_or_else(|| bad("is_null takes true or false"))?;
            format!("{expr} IS {}NULL", if want { "" } else { "NOT " })
        }
        Operator::Contains | Operator::StartsWith => {
            if !matches!(ty, DataType::String | DataType::Enum) {
                return Err(bad("contains and starts_with work on texts"));
            }
            let s = f.value.as_str().ok_or_else(|| bad("expected a text"))?;
            if f.operator == Operator::Contains {
                format!("{expr} ILIKE {}", sql.bind(format!("%{}%", like_escape(s)))?)
            } else {
                format!("{expr} LIKE {}", sql.bind(format!("{}%", like_escape(s)))?)
            }
        }
        Operator::In | Operator::NotIn => {
            let list = f.value.as_array().filter(|a| a.len() <= MAX_LIST).ok_or_else(|| bad("expected a list of at most 1000 values"))?;
            let mut texts = Vec::with_capacity(list.len());
            for v in list {
                texts.push(value_text(ty, &col, &f.field, v)?);
            }
            let any = format!("{expr} = ANY({}::text[]::{cast}[])", sql.bind(texts)?);
            if f.operator == Operator::In { any } else { format!("({expr} IS NULL OR NOT ({any}))") }
        }
        Operator::Between => {
            let [lo, hi] = f.value.as_array().map(|a| a.as_slice()).unwrap_or_default() else { return Err(bad("between takes [low, high]")) };
            format!("{expr} BETWEEN {} AND {}", one(lo, sql)?, one(hi, sql)?)
        }
        op => format!("{expr} {} {}", symbol(op), one(&f.value, sql)?),
    })
}

fn symbol(op: Operator) -> &'static str {
    match op {
        Operator::Ne => "<>",
        Operator::Gt => ">",
        Operator::Gte => ">=",
        Operator::Lt => "<",
        Operator::Lte => "<=",
        _ => "=",
    }
}

/// One sort key: its SQL, cast, direction, nullability, and how to read it off a row for the cursor.
struct Key {
    expr: String,
    cast: &'static str,
    desc: bool,
    nullable: bool,
    field: String,
}

fn keys(def: &TableDef, user: &CurrentUser, sorting: &[Sort]) -> Result<Vec<Key>> {
    let mut out = Vec::new();
    for s in sorting.iter().take(8) {
        let target = resolve(def, user, &s.field)?;
        if matches!(target, Target::Ext(_)) {
            return Err(EngineError::invalid(format!("sorting on '{}' is not supported: sort on columns or promoted fields", s.field)));
        }
        let (expr, ty, nullable) = sql_of(&target);
        let field = match target {
            Target::Column(c) => c.name.clone(),
            _ => expr.clone(),
        };
        out.push(Key { expr, cast: physical::sql_type(ty.unwrap_or(DataType::String)), desc: s.direction == Direction::Desc, nullable, field });
    }
    if out.is_empty() {
        out.push(Key { expr: "code".into(), cast: "text", desc: false, nullable: false, field: "code".into() });
    }
    out.push(Key { expr: "id".into(), cast: "uuid", desc: false, nullable: false, field: "id".into() });
    Ok(out)
}

fn cursor_value(row: &RowData, field: &str) -> Option<String> {
    let v = match field {
        "id" => return Some(row.id.to_string()),
        "code" => return Some(row.code.clone()),
        "display_value" => return row.display_value.clone(),
        "sort_order" => return Some(row.sort_order.to_string()),
        "is_active" => return Some(row.is_active.to_string()),
        "parent_row_id" => return row.parent_row_id.map(|p| p.to_string()),
        "version" => return Some(row.version.to_string()),
        "created_at" => return Some(row.created_at.to_rfc3339()),
        "updated_at" => return Some(row.updated_at.to_rfc3339()),
        name => row.column_values.get(name)?,
    };
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Rows after the cursor's row in the sort order: a row comparison when every key is non-null and
/// runs the same way (so an index on the keys serves it), the expanded form otherwise.
fn after(keys: &[Key], values: &[Option<String>], sql: &mut Sql) -> Result<String> {
    let same_way = keys.iter().all(|k| k.desc == keys[0].desc);
    if same_way && keys.iter().all(|k| !k.nullable) && values.iter().all(Option::is_some) {
        let lhs: Vec<&str> = keys.iter().map(|k| k.expr.as_str()).collect();
        let mut rhs = Vec::new();
        for (k, v) in keys.iter().zip(values) {
            rhs.push(format!("{}::{}", sql.bind(v.clone())?, k.cast));
        }
        return Ok(format!("({}) {} ({})", lhs.join(", "), if keys[0].desc { "<" } else { ">" }, rhs.join(", ")));
    }
    let mut ors = Vec::new();
    let mut equal: Vec<String> = Vec::new();
    for (k, v) in keys.iter().zip(values) {
        let (gt, eq) = match v {
            Some(v) => {
                let p = format!("{}::{}", sql.bind(v.clone())?, k.cast);
                let beyond = if k.desc { format!("{} < {p}", k.expr) } else { format!("({} > {p} OR {} IS NULL)", k.expr, k.expr) };
                (Some(beyond), format!("{} = {p}", k.expr))
            }
            // Ascending puts nulls last (nothing after them); descending puts them first.
            None => (k.desc.then(|| format!("{} IS NOT NULL", k.expr)), format!("{} IS NULL", k.expr)),
        };
        if let Some(gt) = gt {
            let mut parts = equal.clone();
            parts.push(gt);
            ors.push(format!("({})", parts.join(" AND ")));
        }
        equal.push(eq);
    }
    Ok(if ors.is_empty() { "FALSE".into() } else { format!("({})", ors.join(" OR ")) })
}

fn encode_cursor(values: &[Option<String>]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(values).unwrap_or_default())
}

fn decode_cursor(s: &str, len: usize) -> Result<Vec<Option<String>>> {
    let bad = || EngineError::invalid("next_key_set is not one this query gave");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s.trim()).map_err(|_| bad())?;
    let values: Vec<Option<String>> = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if values.len() != len { Err(bad()) } else { Ok(values) }
}

/// `POST /data/{table}/query`.
pub async fn query_rows(store: &Store, user: &CurrentUser, table: &str, q: &RowQuery) -> Result<RowPage> {
    let def = store.table_for_read(table).await?;
    let first = match query_with(store, user, &def, q).await {
        // A field added a moment ago on another server: the definition may be the older one.
        Err(EngineError::Data(DataError::FieldUnknown(_))) => None,
        other => other?,
    };
    match first {
        Some(page) => Ok(page),
        None => {
            store.defs.forget(def.id);
            let def = store.table(table).await?;
            query_with(store, user, &def, q).await?.ok_or_else(|| EngineError::internal("the schema keeps changing"))
        }
    }
}

/// The page, or `None` when `def` is not the table's current definition.
async fn query_with(store: &Store, user: &CurrentUser, def: &TableDef, q: &RowQuery) -> Result<Option<RowPage>> {
    def.require(user, Permission::TableRead)?;
    // Filters and sorts on masked columns are refused for this reader before anything runs.
    for name in q.filters.iter().map(|f| &f.field).chain(q.sorting.iter().map(|s| &s.field)) {
        resolve(def, user, name)?;
    }
    let Some(page) = page_of(store, def, q, user).await? else { return Ok(None) };
    Ok(Some(RowPage { rows: page.rows.into_iter().map(|r| mask_for(def, user, r)).collect(), next_key_set: page.next_key_set }))
}

/// A page's statement as the database will get it: its text, its binds and its sort keys (for the
/// next cursor). Pure, so the filter language can be fuzzed without a database.
pub struct Statement {
    pub text: String,
    /// How many `$n` binds the text holds.
    pub binds: usize,
    args: PgArguments,
    keys: Vec<Key>,
}

/// The statement of one page of `q` on `def`; `reader` bounds the search to what they may see.
pub fn statement(def: &TableDef, q: &RowQuery, reader: &CurrentUser) -> Result<Statement> {
    let user = &unmasking();
    if q.filters.len() > MAX_FILTERS {
        return Err(EngineError::invalid(format!("at most {MAX_FILTERS} filters")));
    }
    let page_size = q.page_size.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&page_size) {
        return Err(EngineError::invalid(format!("page_size must be between 1 and {MAX_PAGE}")));
    }
    if let Some(fields) = &q.fields {
        for f in fields {
            def.column(f).ok_or_else(|| DataError::FieldUnknown(f.clone()))?;
        }
    }
    let mut sql = Sql { args: PgArguments::default(), n: 0 };
    let mut conds = Vec::new();
    for f in &q.filters {
        conds.push(condition(def, user, f, &mut sql)?);
    }
    if let Some(found) = q.search.as_deref().map(|s| search_condition(def, reader, s, &mut sql)).transpose()?.flatten() {
        conds.push(found);
    }
    let keys = keys(def, user, &q.sorting)?;
    if let Some(cursor) = &q.next_key_set {
        let values = decode_cursor(cursor, keys.len())?;
        conds.push(after(&keys, &values, &mut sql)?);
    }
    let offset = q.offset.unwrap_or(0);
    if !(0..=MAX_OFFSET).contains(&offset) || (offset > 0 && q.next_key_set.is_some()) {
        return Err(EngineError::invalid(format!("offset must be between 0 and {MAX_OFFSET}, and not with next_key_set")));
    }
    if q.from_end && q.next_key_set.is_some() {
        return Err(EngineError::invalid("from_end cannot be used with next_key_set"));
    }
    // From the end: the reverse order read, the page turned back afterwards (nulls stay where
    // the forward order puts them).
    let order: Vec<String> = keys
        .iter()
        .map(|k| match (k.desc != q.from_end, q.from_end) {
            (true, false) => format!("{} DESC", k.expr),
            (false, false) => format!("{} ASC", k.expr),
            (true, true) => format!("{} DESC NULLS FIRST", k.expr),
            (false, true) => format!("{} ASC NULLS LAST", k.expr),
        })
        .collect();
    // Literals, not parameters: a generic plan that does not know the limit may pick a sort over
    // the index walk a page needs (both are checked integers).
    let text = format!(
        "SELECT {} FROM {}{} ORDER BY {} LIMIT {page_size}{}",
        physical::select_list(def, q.fields.as_deref()),
        def.physical(),
        if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) },
        order.join(", "),
        if offset > 0 { format!(" OFFSET {offset}") } else { String::new() }
    );
    Ok(Statement { text, binds: sql.n, args: sql.args, keys })
}

/// One page, unmasked (the caller masks it for its reader); `None` when the table's schema is no
/// longer the one `def` describes.
async fn page_of(store: &Store, def: &TableDef, q: &RowQuery, reader: &CurrentUser) -> Result<Option<RowPage>> {
    let Statement { text, args, keys, .. } = statement(def, q, reader)?;
    let page_size = q.page_size.unwrap_or(50);
    let offset = q.offset.unwrap_or(0);
    let raw: Vec<RawRow> = match sqlx::query_with(trusted(&text), args).fetch_all(&store.pool).await {
        Ok(rows) => rows.iter().map(|r| RawRow::decode(def, q.fields.as_deref(), r)).collect::<std::result::Result<_, _>>()?,
        Err(sqlx::Error::Database(d)) if matches!(d.code().as_deref(), Some("42703") | Some("42P01")) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if raw.iter().any(|r| r.schema_version != Some(def.version)) {
        return Ok(None);
    }
    let mut rows: Vec<RowData> = raw.into_iter().map(RowData::from).collect();
    if q.from_end {
        rows.reverse();
        return Ok(Some(RowPage { rows, next_key_set: None }));
    }
    let next_key_set = (rows.len() as i64 == page_size && offset == 0)
        .then(|| rows.last().map(|last| encode_cursor(&keys.iter().map(|k| cursor_value(last, &k.field)).collect::<Vec<_>>())))
        .flatten();
    Ok(Some(RowPage { rows, next_key_set }))
}

/// How many rows `filters` keep (exact): what a grid sizes its scrollbar by.
pub async fn count_rows(store: &Store, user: &CurrentUser, table: &str, filters: &[Filter], search: Option<&str>) -> Result<i64> {
    let def = store.table_for_read(table).await?;
    def.require(user, Permission::TableRead)?;
    if filters.len() > MAX_FILTERS {
        return Err(EngineError::invalid(format!("at most {MAX_FILTERS} filters")));
    }
    let mut sql = Sql { args: PgArguments::default(), n: 0 };
    let mut conds = Vec::new();
    for f in filters {
        conds.push(condition(&def, user, f, &mut sql)?);
    }
    if let Some(found) = search.map(|s| search_condition(&def, user, s, &mut sql)).transpose()?.flatten() {
        conds.push(found);
    }
    let text = format!(
        "SELECT count(*) FROM {}{}",
        def.physical(),
        if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) }
    );
    Ok(sqlx::query_scalar_with::<_, i64, _>(trusted(&text), sql.args).fetch_one(&store.pool).await?)
}

/// The reader `page_of` resolves fields as: masking is the caller's, after the page is read (the
/// caller already refused masked filters to readers who may not unmask).
fn unmasking() -> CurrentUser {
    CurrentUser { id: uuid::Uuid::nil(), username: String::new(), roles: vec![], permissions: vec![Permission::TableUnmask], must_change_password: false }
}

/// `GET /data/{table}?pageSize=&cursor=`: the rows in code order. A `FullTable` table's pages come
/// from the cache (stored unmasked, masked per reader).
pub async fn list_rows(store: &Store, user: &CurrentUser, table: &str, page_size: Option<i64>, cursor: Option<String>) -> Result<RowPage> {
    let q = RowQuery { page_size, next_key_set: cursor, ..Default::default() };
    let def = store.table_for_read(table).await?;
    def.require(user, Permission::TableRead)?;
    let Some(redis) = store.redis.as_ref().filter(|_| def.cache_policy == super::wire::CachePolicy::FullTable) else {
        return query_rows(store, user, table, &q).await;
    };
    let page_key = format!("{}:{}", q.page_size.unwrap_or(50), q.next_key_set.as_deref().unwrap_or(""));
    let (hit, generation) = super::cache::get_page(redis, def.id, &page_key).await;
    let page = match hit {
        Some(page) => page,
        None => {
            let Some(page) = page_of(store, &def, &q, user).await? else { return query_rows(store, user, table, &q).await };
            if let Some(g) = generation {
                super::cache::put_page(redis, def.id, g, &page_key, &page).await;
            }
            page
        }
    };
    Ok(RowPage { rows: page.rows.into_iter().map(|r| mask_for(&def, user, r)).collect(), next_key_set: page.next_key_set })
}
