//! Governed-table benchmark: `cargo bench -p engine --bench eav [-- ROWS]` (default 1,000,000).
//!
//! Loads ROWS rows (10 typed columns with rules, a check, a unique code, extended properties)
//! through the batch path (`eav::rows::batch`, every rule checked), and the same data into a plain
//! indexed PostgreSQL table with the same indexes, in the same run. Prints, store vs plain:
//! - bulk load rows/s (the store through batch requests of 10,000 from two clients; the plain
//!   table through COPY, no rules: the ceiling of any load keeping these indexes);
//! - storage (table + indexes + TOAST);
//! - a query with 2 filters + sort + a page of 50, first page and a page 500,000 rows deep (keyset),
//!   p50/p95 and the ratio of medians (the store through `eav::query::query_rows`, whole path, and
//!   the same SQL on its physical table: the storage alone);
//! - get by id p50/p95.
//! Needs `DATABASE_URL` (a scratch database is made next to it and dropped after).

use std::time::{Duration, Instant};

mod common;

use engine::auth::{Password, Role, Username, create_user};
use engine::eav::schema::{columns, constraints, properties, tables};
use engine::eav::{
    BatchOperation, BatchRequest, CachePolicy, ConstraintType, DataType, Direction, Filter, MaskingRule, NewColumn, NewConstraint, NewLogicalTable,
    NewProperty, OnDelete, OnError, OperationType, Operator, RowInput, RowQuery, RuleType, Sort, Store, query, read, rows,
};
use serde_json::{Value, json};
use uuid::Uuid;

const CATEGORIES: [&str; 10] = ["food", "drink", "office", "travel", "energy", "software", "rent", "tax", "fees", "other"];
const CHUNK: usize = 10_000;
const SAMPLES: usize = 200;

/// Row `i` as the API would receive it.
fn input(i: usize) -> RowInput {
    let values = json!({
        "sku": format!("SKU-{:07}", i),
        "name": format!("Item {i} {}", CATEGORIES[i % 10]),
        "category": CATEGORIES[i * 7 % 10],
        "price": ((i * 7919) % 100_000) as f64 / 100.0,
        "qty": (i * 31 % 100) as i64,
        "weight": ((i * 13) % 5000) as f64 / 10.0,
        "since": format!("20{:02}-{:02}-{:02}", 10 + i % 15, 1 + i % 12, 1 + i % 28),
        "checked": format!("2024-{:02}-{:02}T{:02}:00:00Z", 1 + i % 12, 1 + i % 28, i % 24),
        "flag": i % 3 == 0,
        "supplier": format!("Supplier {}", i % 997),
    });
    RowInput {
        code: Some(format!("R{i:08}")),
        display_value: Some(format!("Row {i}")),
        is_active: Some(i % 20 != 0),
        sort_order: Some((i % 1000) as i32),
        column_values: values.as_object().cloned().unwrap_or_default(),
        extended_properties: json!({ "colour": (["red", "green", "blue"][i % 3]), "batch": i % 100 }).as_object().cloned().unwrap_or_default(),
        ..Default::default()
    }
}

async fn schema(s: &Store, u: &engine::auth::CurrentUser) -> anyhow::Result<()> {
    let t = tables::create_table(s, u, &NewLogicalTable { table_name: "BENCH".into(), description: String::new(), is_hierarchical: false, cache_policy: CachePolicy::None }).await?;
    let cols: [(&str, DataType, bool, bool, Option<(RuleType, Value)>); 10] = [
        ("sku", DataType::String, false, false, Some((RuleType::Regex, json!({"pattern": "^SKU-\\d{7}$"})))),
        ("name", DataType::String, false, true, Some((RuleType::Length, json!({"min": 1, "max": 200})))),
        ("category", DataType::Enum, false, true, None),
        ("price", DataType::Decimal, true, true, Some((RuleType::Range, json!({"min": 0, "max": 100000})))),
        ("qty", DataType::Int, false, false, Some((RuleType::Range, json!({"min": 0})))),
        ("weight", DataType::Decimal, false, false, None),
        ("since", DataType::Date, false, false, Some((RuleType::DateRange, json!({"min": "2000-01-01"})))),
        ("checked", DataType::DateTime, false, false, None),
        ("flag", DataType::Boolean, false, false, None),
        ("supplier", DataType::String, false, false, None),
    ];
    for (i, (name, ty, indexed, mandatory, rule)) in cols.into_iter().enumerate() {
        let c = columns::create_column(
            s,
            u,
            &NewColumn {
                column_name: name.into(),
                data_type: ty,
                description: String::new(),
                enum_values: if ty == DataType::Enum { CATEGORIES.iter().map(|c| c.to_string()).collect() } else { vec![] },
                reference_table_id: None,
                default_value: None,
                masking_rule: MaskingRule::None,
            },
        )
        .await?;
        let (rule_type, params) = match rule {
            Some((r, p)) => (Some(r), p),
            None => (None, Value::Null),
        };
        properties::create_property(
            s,
            u,
            &NewProperty {
                logical_table_id: t.id,
                column_definition_id: c.id,
                display_order: i as i32,
                is_mandatory: mandatory,
                is_value_unique: false,
                is_indexed: indexed,
                validation_rule_type: rule_type,
                validation_parameters: params,
                soft: false,
            },
        )
        .await?;
    }
    constraints::create_constraint(
        s,
        u,
        &NewConstraint {
            logical_table_id: t.id,
            constraint_name: "weight_sane".into(),
            constraint_type: ConstraintType::Check,
            columns: vec![],
            json_paths: vec![],
            is_case_sensitive: true,
            on_delete: OnDelete::Restrict,
            check_expression: Some("weight is null or (weight >= 0 and weight < price * 1000 + 1000)".into()),
            error_message: Some("weight out of range".into()),
            is_active: true,
            soft: false,
        },
    )
    .await?;
    Ok(())
}

const PLAIN: &str = "CREATE TABLE plain (
    id UUID PRIMARY KEY, code TEXT NOT NULL UNIQUE, display_value TEXT, sort_order INTEGER NOT NULL, is_active BOOLEAN NOT NULL,
    sku TEXT, name TEXT NOT NULL, category TEXT NOT NULL, price NUMERIC NOT NULL, qty BIGINT, weight NUMERIC, since DATE,
    checked TIMESTAMPTZ, flag BOOLEAN, supplier TEXT, extended_properties JSONB NOT NULL);
    CREATE INDEX plain_price ON plain (price, id);";

/// The same rows into the plain table through COPY: the fastest way into PostgreSQL, so the
/// ceiling of any load with these indexes on this machine.
async fn load_plain(pool: &sqlx::PgPool, n: usize) -> anyhow::Result<Duration> {
    for stmt in PLAIN.split(';').filter(|s| !s.trim().is_empty()) {
        sqlx::query(sqlx::AssertSqlSafe(stmt.to_string())).execute(pool).await?;
    }
    let mut elapsed = Duration::ZERO;
    for lo in (0..n).step_by(CHUNK) {
        let mut buf = Vec::with_capacity(CHUNK * 300);
        for i in lo..(lo + CHUNK).min(n) {
            let r = input(i);
            let text = |k: &str| r.column_values.get(k).map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string));
            let fields: Vec<Option<String>> = vec![
                Some(Uuid::now_v7().to_string()),
                r.code.clone(),
                r.display_value.clone(),
                r.sort_order.map(|x| x.to_string()),
                r.is_active.map(|x| x.to_string()),
                text("sku"), text("name"), text("category"), text("price"), text("qty"), text("weight"), text("since"), text("checked"), text("flag"), text("supplier"),
                Some(Value::Object(r.extended_properties.clone()).to_string()),
            ];
            for (j, f) in fields.iter().enumerate() {
                if j > 0 {
                    buf.push(b'\t');
                }
                match f {
                    Some(v) => engine::store::copy_escape(&mut buf, v),
                    None => buf.extend_from_slice(b"\\N"),
                }
            }
            buf.push(b'\n');
        }
        let start = Instant::now();
        let mut conn = pool.acquire().await?;
        let mut copy = conn.copy_in_raw("COPY plain FROM STDIN").await?;
        copy.send(buf).await?;
        copy.finish().await?;
        elapsed += start.elapsed();
    }
    Ok(elapsed)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct Timing {
    p50: Duration,
    p95: Duration,
}

async fn time<F, Fut>(mut f: F) -> anyhow::Result<Timing>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    for _ in 0..10 {
        f().await?;
    }
    let mut t = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let s = Instant::now();
        f().await?;
        t.push(s.elapsed());
    }
    t.sort();
    Ok(Timing { p50: percentile(&t, 0.5), p95: percentile(&t, 0.95) })
}

fn line(what: &str, store: &Timing, plain: &Timing) {
    println!(
        "{what:<34} store p50 {:>7.2} ms p95 {:>7.2} ms | plain p50 {:>7.2} ms p95 {:>7.2} ms | ratio (p50) {:.2}x",
        ms(store.p50),
        ms(store.p95),
        ms(plain.p50),
        ms(plain.p95),
        store.p50.as_secs_f64() / plain.p50.as_secs_f64().max(1e-9)
    );
}

#[derive(sqlx::FromRow)]
#[allow(dead_code)]
struct PlainRow {
    id: Uuid,
    code: String,
    display_value: Option<String>,
    sort_order: i32,
    is_active: bool,
    sku: Option<String>,
    name: String,
    category: String,
    price: f64,
    qty: Option<i64>,
    weight: Option<f64>,
    since: Option<chrono::NaiveDate>,
    checked: Option<chrono::DateTime<chrono::Utc>>,
    flag: Option<bool>,
    supplier: Option<String>,
    extended_properties: Value,
}

/// The plain table's select list over the store's physical table (its columns renamed).
fn physical_select(def: &engine::eav::def::TableDef) -> String {
    let col = |n: &str| def.column(n).map(|c| c.physical.clone()).unwrap_or_default();
    format!(
        "SELECT id, code, display_value, sort_order, is_active, {} AS sku, {} AS name, {} AS category, {}::float8 AS price, {} AS qty, {}::float8 AS weight, {} AS since, {} AS checked, {} AS flag, {} AS supplier, extended_properties FROM {}",
        col("sku"), col("name"), col("category"), col("price"), col("qty"), col("weight"), col("since"), col("checked"), col("flag"), col("supplier"), def.physical()
    )
}

const PLAIN_SELECT: &str = "SELECT id, code, display_value, sort_order, is_active, sku, name, category, price::float8 AS price, qty,
    weight::float8 AS weight, since, checked, flag, supplier, extended_properties FROM plain";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args().skip(1).find(|a| !a.starts_with('-')).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let db = common::ScratchDb::create("dgs_bench_eav", 8).await?;
    let name = Username::parse("bench.admin")?;
    let u = create_user(&db.pool, &name, &Password::parse("a long enough secret", &name)?, Role::Admin).await?;
    let store = Store::new(db.pool.clone(), None);
    schema(&store, &u).await?;
    println!("governed tables, {n} rows (10 typed columns, rules on 6, a check, unique code, extended properties)");

    // Two clients sending batches at once (a loader with two workers), fed by a third that makes
    // the requests; wall time from the first request to the last answer.
    let (tx, rx) = tokio::sync::mpsc::channel::<BatchRequest>(4);
    let producer = tokio::task::spawn_blocking(move || {
        for lo in (0..n).step_by(CHUNK) {
            let ops = (lo..(lo + CHUNK).min(n)).map(|i| BatchOperation { op: OperationType::Create, row_id: None, version: None, fields: input(i) }).collect();
            if tx.blocking_send(BatchRequest { operations: ops, on_error: OnError::Abort }).is_err() {
                break;
            }
        }
    });
    let rx = std::sync::Arc::new(tokio::sync::Mutex::new(rx));
    let start = Instant::now();
    let mut loaders = Vec::new();
    for _ in 0..2 {
        let (rx, store, u) = (rx.clone(), store.clone(), u.clone());
        loaders.push(tokio::spawn(async move {
            loop {
                let next = rx.lock().await.recv().await;
                let Some(req) = next else { return anyhow::Ok(()) };
                let res = rows::batch(&store, &u, "BENCH", &req).await?;
                anyhow::ensure!(res.error_count == 0, "batch refused rows: {:?}", res.results.iter().find(|r| r.error.is_some()));
            }
        }));
    }
    for l in loaders {
        l.await??;
    }
    producer.await?;
    let store_load = start.elapsed();
    let plain_load = load_plain(&db.pool, n).await?;
    sqlx::query("VACUUM ANALYZE").execute(&db.pool).await?;
    println!(
        "bulk load                          store {:>9.0} rows/s (batch, 2 clients, every rule checked) | plain {:>9.0} rows/s (COPY, no rules) | ratio {:.2}x",
        n as f64 / store_load.as_secs_f64(),
        n as f64 / plain_load.as_secs_f64(),
        store_load.as_secs_f64() / plain_load.as_secs_f64()
    );

    let def = store.table("BENCH").await?;
    let physical = def.physical();
    let size = |rel: String| {
        let pool = db.pool.clone();
        async move {
            let bytes: i64 = sqlx::query_scalar("SELECT pg_total_relation_size($1::regclass)").bind(rel).fetch_one(&pool).await?;
            anyhow::Ok(bytes)
        }
    };
    let (store_bytes, plain_bytes) = (size(physical.clone()).await?, size("plain".into()).await?);
    println!(
        "storage (table + indexes)          store {:>9.1} MB | plain {:>9.1} MB | ratio {:.2}x",
        store_bytes as f64 / 1e6,
        plain_bytes as f64 / 1e6,
        store_bytes as f64 / plain_bytes as f64
    );

    // 2 filters + sort + a page of 50: active rows with qty >= 1, by price.
    let filters = vec![
        Filter { field: "is_active".into(), operator: Operator::Eq, value: json!(true) },
        Filter { field: "qty".into(), operator: Operator::Gte, value: json!(1) },
    ];
    let sorting = vec![Sort { field: "price".into(), direction: Direction::Asc }];
    let first = RowQuery { filters: filters.clone(), sorting: sorting.clone(), page_size: Some(50), ..Default::default() };
    let plain_first = format!("{PLAIN_SELECT} WHERE is_active = $1 AND qty >= $2 ORDER BY plain.price, plain.id LIMIT 50");
    let (st, us, pool) = (&store, &u, &db.pool);
    let q = &first;
    let store_t = time(|| async move { anyhow::ensure!(query::query_rows(st, us, "BENCH", q).await?.rows.len() == 50); Ok(()) }).await?;
    let sql = &plain_first;
    let plain_t = time(|| async move {
        let r: Vec<PlainRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(true).bind(1i64).fetch_all(pool).await?;
        anyhow::ensure!(r.len() == 50);
        Ok(())
    })
    .await?;
    line("2 filters + sort, first page", &store_t, &plain_t);
    // The storage alone: the same SQL on the store's physical table, decoded the same way.
    let (pc, qc) = (def.column("price").map(|c| c.physical.clone()).unwrap_or_default(), def.column("qty").map(|c| c.physical.clone()).unwrap_or_default());
    let physical_select = physical_select(&def);
    let raw_first = format!("{physical_select} WHERE is_active = $1 AND {qc} >= $2 ORDER BY {pc}, id LIMIT 50");
    let sql = &raw_first;
    let raw_t = time(|| async move {
        let r: Vec<PlainRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(true).bind(1i64).fetch_all(pool).await?;
        anyhow::ensure!(r.len() == 50);
        Ok(())
    })
    .await?;
    line("  the same SQL on the store's table", &raw_t, &plain_t);

    // The same query 500,000 rows deep: the key set of the row at that depth, then one page.
    let depth = (n / 2).min(500_000);
    let (price, id): (f64, Uuid) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT price::float8, id FROM plain WHERE is_active AND qty >= 1 ORDER BY price, id OFFSET {depth} LIMIT 1"
    )))
    .fetch_one(&db.pool)
    .await?;
    let store_row: (f64, Uuid) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {}::float8, id FROM {physical} WHERE is_active AND {} >= 1 ORDER BY {}, id OFFSET {depth} LIMIT 1",
        def.column("price").map(|c| c.physical.clone()).unwrap_or_default(),
        def.column("qty").map(|c| c.physical.clone()).unwrap_or_default(),
        def.column("price").map(|c| c.physical.clone()).unwrap_or_default(),
    )))
    .fetch_one(&db.pool)
    .await?;
    // A page ends on the row before the one wanted: take the store's own cursor from that page.
    let mut deep = first.clone();
    deep.next_key_set = {
        let before = RowQuery { filters: filters.clone(), sorting: sorting.clone(), page_size: Some(1), ..Default::default() };
        let mut probe = before.clone();
        probe.filters.push(Filter { field: "price".into(), operator: Operator::Gte, value: json!(store_row.0) });
        query::query_rows(&store, &u, "BENCH", &probe).await?.next_key_set
    };
    anyhow::ensure!(deep.next_key_set.is_some(), "no key set at depth {depth}");
    let plain_deep = format!("{PLAIN_SELECT} WHERE is_active = $1 AND qty >= $2 AND (price, id) > ($3::float8::numeric, $4) ORDER BY plain.price, plain.id LIMIT 50");
    let q = &deep;
    let store_t = time(|| async move { anyhow::ensure!(query::query_rows(st, us, "BENCH", q).await?.rows.len() == 50); Ok(()) }).await?;
    let sql = &plain_deep;
    let plain_t = time(|| async move {
        let r: Vec<PlainRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(true).bind(1i64).bind(price).bind(id).fetch_all(pool).await?;
        anyhow::ensure!(r.len() == 50);
        Ok(())
    })
    .await?;
    line(&format!("2 filters + sort, {depth} rows deep"), &store_t, &plain_t);
    let raw_deep = format!("{physical_select} WHERE is_active = $1 AND {qc} >= $2 AND ({pc}, id) > ($3::float8::numeric, $4) ORDER BY {pc}, id LIMIT 50");
    let sql = &raw_deep;
    let (sp, sid) = store_row;
    let raw_t = time(|| async move {
        let r: Vec<PlainRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(true).bind(1i64).bind(sp).bind(sid).fetch_all(pool).await?;
        anyhow::ensure!(r.len() == 50);
        Ok(())
    })
    .await?;
    line("  the same SQL on the store's table", &raw_t, &plain_t);

    // Get by id, over a spread of rows.
    let ids: Vec<Uuid> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT id FROM {physical} TABLESAMPLE SYSTEM (1) LIMIT 500"))).fetch_all(&db.pool).await?;
    let plain_ids: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM plain TABLESAMPLE SYSTEM (1) LIMIT 500").fetch_all(&db.pool).await?;
    let mut k = 0usize;
    let store_t = time(|| {
        k += 1;
        let id = ids[k % ids.len()];
        let (store, u) = (&store, &u);
        async move {
            read::get_row(store, u, "BENCH", id).await?;
            Ok(())
        }
    })
    .await?;
    let mut k = 0usize;
    let plain_get = format!("{PLAIN_SELECT} WHERE id = $1");
    let plain_t = time(|| {
        k += 1;
        let id = plain_ids[k % plain_ids.len()];
        let (pool, sql) = (&db.pool, &plain_get);
        async move {
            let _: PlainRow = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_one(pool).await?;
            Ok(())
        }
    })
    .await?;
    line("get by id", &store_t, &plain_t);
    // EAV_BENCH_KEEP=1 leaves the scratch database for EXPLAIN.
    if std::env::var_os("EAV_BENCH_KEEP").is_none() {
        db.drop().await?;
    }
    Ok(())
}
