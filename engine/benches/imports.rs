//! Import benchmark: `cargo bench -p engine --bench imports [-- ROWS]` (default 1,000,000).
//!
//! Writes ROWS records to a CSV file and reads it in as an upload (not timed). Then, in the same
//! run, times:
//! - the import: a job from that file into a governed table — staging, every mapping (trim, case,
//!   lookup, TO_NUMBER, TO_DATE, TO_BOOLEAN), every rule (types, range, regex, a check, the unique
//!   code through the upsert key), errors and rollback records — through `eav::import`;
//! - `psql \copy` of the same file into a plain table with the same indexes: no mapping, no rules,
//!   the ceiling of any load here.
//! Prints rows/s for both and the ratio. Needs `DATABASE_URL` and `psql` on the PATH.

use std::io::Write;
use std::time::Instant;

mod common;

use engine::auth::{Password, Role, Username, create_user};
use engine::eav::import::{
    ConfigurationInput, ErrorStrategy, FieldMapping, JobStatus, SourceType, StartBatchMigrationRequest, StorageType, TransformationType, ValidationLevel, config,
    execute, jobs,
};
use engine::eav::schema::{columns, constraints, properties, tables};
use engine::eav::{CachePolicy, ConstraintType, DataType, MaskingRule, NewColumn, NewConstraint, NewLogicalTable, NewProperty, OnDelete, RuleType, Store};
use engine::ingest::{NewUpload, ingest_upload};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

const FAMILIES: [&str; 4] = ["alfa", "beta", "gamma", "delta"];

fn write_csv(path: &std::path::Path, n: usize) -> anyhow::Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(f, "sku,name,price,qty,since,flag,family")?;
    for i in 0..n {
        writeln!(
            f,
            "sku-{i:08}, Item {i} ,{}.{:02},{},20{:02}-{:02}-{:02},{},{}",
            (i * 7919) % 100_000,
            i % 100,
            i * 31 % 1000,
            10 + i % 15,
            1 + i % 12,
            1 + i % 28,
            if i % 3 == 0 { "true" } else { "false" },
            FAMILIES[i % 4]
        )?;
    }
    f.flush()?;
    Ok(())
}

async fn schema(s: &Store, u: &engine::auth::CurrentUser) -> anyhow::Result<Uuid> {
    let t = tables::create_table(s, u, &NewLogicalTable { table_name: "IMPORTED".into(), description: String::new(), is_hierarchical: false, cache_policy: CachePolicy::None })
        .await?;
    let cols: [(&str, DataType, Vec<String>, bool, Option<(RuleType, Value)>); 5] = [
        ("price", DataType::Decimal, vec![], true, Some((RuleType::Range, json!({"min": 0, "max": 1000000})))),
        ("qty", DataType::Int, vec![], false, Some((RuleType::Range, json!({"min": 0})))),
        ("since", DataType::Date, vec![], false, Some((RuleType::DateRange, json!({"min": "2000-01-01"})))),
        ("flag", DataType::Boolean, vec![], false, None),
        ("family", DataType::Enum, vec!["A".into(), "B".into(), "G".into(), "D".into()], true, None),
    ];
    for (name, ty, enum_values, mandatory, rule) in cols {
        let c = columns::create_column(
            s,
            u,
            &NewColumn { column_name: name.into(), data_type: ty, description: String::new(), enum_values, reference_table_id: None, default_value: None, masking_rule: MaskingRule::None },
        )
        .await?;
        let (rule_type, params) = rule.map_or((None, Value::Null), |(r, p)| (Some(r), p));
        let p = NewProperty {
            logical_table_id: t.id,
            column_definition_id: c.id,
            display_order: 0,
            is_mandatory: mandatory,
            is_value_unique: false,
            is_indexed: false,
            validation_rule_type: rule_type,
            validation_parameters: params,
            soft: false,
        };
        properties::create_property(s, u, &p).await?;
    }
    let check = NewConstraint {
        logical_table_id: t.id,
        constraint_name: "qty_sane".into(),
        constraint_type: ConstraintType::Check,
        columns: vec![],
        json_paths: vec![],
        is_case_sensitive: true,
        on_delete: OnDelete::Restrict,
        check_expression: Some("qty is null or qty < price * 1000 + 1000".into()),
        error_message: Some("qty out of range".into()),
        is_active: true,
        soft: false,
    };
    constraints::create_constraint(s, u, &check).await?;
    Ok(t.id)
}

fn mapping(source: &str, target: &str, ty: TransformationType, params: Value) -> FieldMapping {
    FieldMapping { source_field: source.into(), target_field: target.into(), transformation_type: ty, transformation_parameters: params, storage_type: StorageType::Column, is_required: false }
}

const PLAIN: &str = "CREATE TABLE plain (id UUID PRIMARY KEY DEFAULT gen_random_uuid(), sku TEXT NOT NULL UNIQUE, name TEXT, price NUMERIC NOT NULL,
    qty BIGINT, since DATE, flag BOOLEAN, family TEXT NOT NULL)";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(1_000_000);
    let db = common::ScratchDb::create("dgs_bench_imports", 8).await?;
    let dir = tempfile::tempdir()?;
    let csv = dir.path().join("records.csv");
    write_csv(&csv, n)?;
    let size = std::fs::metadata(&csv)?.len();
    println!("import benchmark: {n} records, {:.1} MB CSV", size as f64 / 1e6);

    // Baseline: psql \copy of the file into a plain table with the same indexes.
    sqlx::query(PLAIN).execute(&db.pool).await?;
    let start = Instant::now();
    let out = std::process::Command::new("psql")
        .arg(&db.url)
        .arg("-v")
        .arg("ON_ERROR_STOP=1")
        .arg("-c")
        .arg(format!("\\copy plain (sku, name, price, qty, since, flag, family) FROM '{}' WITH (FORMAT csv, HEADER true)", csv.display()))
        .output()?;
    let copy_secs = start.elapsed().as_secs_f64();
    anyhow::ensure!(out.status.success(), "psql \\copy failed: {}", String::from_utf8_lossy(&out.stderr));
    let copied: i64 = sqlx::query_scalar("SELECT count(*) FROM plain").fetch_one(&db.pool).await?;
    anyhow::ensure!(copied == n as i64, "psql copied {copied} rows");

    let name = Username::parse("bench.admin")?;
    let user = create_user(&db.pool, &name, &Password::parse("a long enough secret", &name)?, Role::Admin).await?;
    let upload = NewUpload { id: Uuid::new_v4(), name: "records.csv", path: &csv, size_bytes: size as i64 };
    let upload = ingest_upload(&db.pool, &user, upload, &Default::default(), &Default::default()).await?;
    let store = Store::new(db.pool.clone(), None);
    let table = schema(&store, &user).await?;
    let mut sku = mapping("sku", "code", TransformationType::ToString, json!({"trim": true, "case": "upper"}));
    sku.is_required = true;
    let input = ConfigurationInput {
        name: "bench".into(),
        description: String::new(),
        source_type: SourceType::File,
        source_id: Some(upload.id),
        sample_id: None,
        target_logical_table_id: table,
        validation_level: ValidationLevel::Strict,
        error_handling_strategy: ErrorStrategy::Continue,
        upsert_key: vec!["code".into()],
        mappings: vec![
            sku,
            mapping("name", "display_value", TransformationType::None, json!({"trim": true})),
            mapping("price", "price", TransformationType::ToNumber, json!({})),
            mapping("qty", "qty", TransformationType::ToNumber, json!({})),
            mapping("since", "since", TransformationType::ToDate, json!({"format": "%Y-%m-%d"})),
            mapping("flag", "flag", TransformationType::ToBoolean, json!({})),
            mapping("family", "family", TransformationType::ToString, json!({"lookup": {"map": {"alfa": "A", "beta": "B", "gamma": "G", "delta": "D"}}})),
        ],
        version: None,
    };
    let cfg = config::create_configuration(&store, &user, &input).await?;

    let start = Instant::now();
    let req = StartBatchMigrationRequest { configuration_id: cfg.id, source_data: None, source_file_id: None, source_dataset_id: None, source_run_id: None, source_sample_id: None, batch_size: Some(5_000) };
    let job = jobs::start_batch(&store, &user, req).await?.job_id;
    let staged = start.elapsed().as_secs_f64();
    execute::claim(&db.pool, execute::LEASE).await?;
    let status = execute::run_job(&store, job, &CancellationToken::new()).await?;
    let import_secs = start.elapsed().as_secs_f64();
    let st = jobs::job_status(&store, &user, job).await?;
    anyhow::ensure!(status == JobStatus::Succeeded && st.inserted_records == n as i32, "import ended {status:?}: {st:?}");
    let imported: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM eav.t_{}", table.simple()))).fetch_one(&db.pool).await?;
    anyhow::ensure!(imported == n as i64, "the table holds {imported} rows");

    let (import_rate, copy_rate) = (n as f64 / import_secs, n as f64 / copy_secs);
    println!("import (job, every mapping and rule)  {import_rate:>9.0} rows/s  ({import_secs:.1} s, of which staging {staged:.1} s)");
    println!("psql \\copy (plain table, no rules)    {copy_rate:>9.0} rows/s  ({copy_secs:.1} s)");
    println!("ratio copy/import                      {:>9.2}x", copy_rate / import_rate);
    if std::env::var("IMPORT_BENCH_KEEP").is_err() {
        db.drop().await?;
    }
    Ok(())
}
