//! Imports into governed tables against real PostgreSQL and Redis: a hand-made fixture through a
//! dry run and a job at both validation levels (every count checked against what is in the table),
//! STOP undoing its batch, a crash mid-import resumed with nothing lost or doubled, rollback that
//! restores the table exactly, and the dataset and classification-run sources (publishing).

mod support;

use engine::auth::CurrentUser;
use engine::classify::runs::{create_run, execute_run};
use engine::classify::{NewRun, RunOverrides};
use engine::eav::import::source::SourceRequest;
use engine::eav::import::{
    ConfigurationInput, ErrorStrategy, FieldMapping, JobStatus, MigrateRecordRequest, RecordAction, SourceType, StartBatchMigrationRequest, StorageType,
    TransformationType, ValidationLevel, config, dry_run, errors, execute, jobs, record, rollback,
};
use engine::eav::schema::{columns, constraints, properties, tables};
use engine::eav::{
    CachePolicy, ConstraintType, DataType, MaskingRule, NewColumn, NewConstraint, NewLogicalTable, NewProperty, OnDelete, RowData, RowInput, RowPatch, RuleType,
    Store, query, rows,
};
use engine::export::ExportOptions;
use engine::{EngineError, ErrorCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use support::{admin, context, dataset_of, eav_store as store, lines, test_prompt};

fn code_of<T: std::fmt::Debug>(r: Result<T, EngineError>) -> Option<ErrorCode> {
    r.err().map(|e| e.code())
}

/// PRODUCTS: price (Decimal, ≥ 0), active (Boolean), released (Date), family (Enum A|B), and a
/// check `price < 1000` with its message; `code` is unique.
async fn products(s: &Store, u: &CurrentUser) -> anyhow::Result<Uuid> {
    let t = tables::create_table(s, u, &NewLogicalTable { table_name: "PRODUCTS".into(), description: String::new(), is_hierarchical: false, cache_policy: CachePolicy::None })
        .await?;
    let cols = [
        ("price", DataType::Decimal, vec![], Some((RuleType::Range, json!({"min": 0})))),
        ("active", DataType::Boolean, vec![], None),
        ("released", DataType::Date, vec![], None),
        ("family", DataType::Enum, vec!["A".to_string(), "B".to_string()], None),
    ];
    for (name, ty, enum_values, rule) in cols {
        let c = columns::create_column(
            s,
            u,
            &NewColumn { column_name: name.into(), data_type: ty, description: String::new(), enum_values, reference_table_id: None, default_value: None, masking_rule: MaskingRule::None },
        )
        .await?;
        let (rule_type, params) = rule.map_or((None, Value::Null), |(r, p)| (Some(r), p));
        properties::create_property(
            s,
            u,
            &NewProperty {
                logical_table_id: t.id,
                column_definition_id: c.id,
                display_order: 0,
                is_mandatory: false,
                is_value_unique: false,
                is_indexed: false,
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
            constraint_name: "price_below_1000".into(),
            constraint_type: ConstraintType::Check,
            columns: vec![],
            json_paths: vec![],
            is_case_sensitive: true,
            on_delete: OnDelete::Restrict,
            check_expression: Some("price is null or price < 1000".into()),
            error_message: Some("a price must be below 1000".into()),
            is_active: true,
            soft: false,
        },
    )
    .await?;
    Ok(t.id)
}

fn map(source: &str, target: &str, ty: TransformationType, params: Value) -> FieldMapping {
    FieldMapping { source_field: source.into(), target_field: target.into(), transformation_type: ty, transformation_parameters: params, storage_type: StorageType::Column, is_required: false }
}

fn product_config(table: Uuid, name: &str, level: ValidationLevel, strategy: ErrorStrategy) -> ConfigurationInput {
    let mut sku = map("SKU", "code", TransformationType::ToString, json!({"trim": true, "case": "upper"}));
    sku.is_required = true;
    let mut note = map("Nota", "note", TransformationType::None, json!({}));
    note.storage_type = StorageType::Jsonb;
    ConfigurationInput {
        name: name.into(),
        description: String::new(),
        source_type: SourceType::Inline,
        source_id: None,
        sample_id: None,
        target_logical_table_id: table,
        validation_level: level,
        error_handling_strategy: strategy,
        upsert_key: vec!["code".into()],
        mappings: vec![
            sku,
            map("Nombre", "display_value", TransformationType::None, json!({"trim": true})),
            map("Precio", "price", TransformationType::ToNumber, json!({"decimal_separator": ","})),
            map("Activo", "active", TransformationType::ToBoolean, json!({})),
            map("Alta", "released", TransformationType::ToDate, json!({"format": "%d/%m/%Y"})),
            map("Familia", "family", TransformationType::ToString, json!({"trim": true, "case": "lower", "lookup": {"map": {"alfa": "A", "beta": "B"}}})),
            note,
        ],
        version: None,
    }
}

/// The hand-made fixture: what each record should do is in its comment.
fn fixture() -> Vec<Value> {
    vec![
        json!({"SKU": "p1", "Nombre": "Lápiz", "Precio": "10,00", "Activo": "sí", "Alta": "01/02/2024", "Familia": "alfa"}), // unchanged
        json!({"SKU": "P2", "Nombre": "Goma", "Precio": "25,50", "Activo": "sí", "Alta": "01/02/2024", "Familia": "alfa"}), // updated (price)
        json!({"SKU": "P3", "Nombre": "Regla", "Precio": "3,20", "Activo": "no", "Alta": "15/03/2024", "Familia": "beta", "Nota": "nueva"}), // inserted
        json!({"SKU": "P4", "Nombre": "Tijeras", "Precio": "caro", "Activo": "sí", "Alta": "15/03/2024", "Familia": "beta"}), // STRICT: rejected; LENIENT: inserted without price
        json!({"SKU": "P5", "Nombre": "Cola", "Precio": "-5", "Activo": "sí", "Alta": "15/03/2024", "Familia": "beta"}), // rule_violated
        json!({"Nombre": "Sin código", "Precio": "1"}), // MISSING_REQUIRED_FIELD
        json!({"SKU": "P6", "Nombre": "Mesa", "Precio": "5000", "Activo": "sí", "Alta": "15/03/2024", "Familia": "alfa"}), // check_failed
        json!({"SKU": "P7", "Nombre": "Silla", "Precio": "80", "Activo": "1", "Alta": "2024-03-15", "Familia": "alfa"}), // STRICT: rejected (date); LENIENT: inserted without date
        json!({"SKU": " p3 ", "Nombre": "Regla grande", "Precio": "4,00", "Activo": "no", "Alta": "15/03/2024", "Familia": "beta", "Nota": "nueva"}), // updated: P3 again in the same batch
        json!({"SKU": "P8", "Nombre": "Papel", "Precio": "1,5", "Activo": "x", "Alta": "31/12/2024", "Familia": "gamma"}), // value_invalid (enum)
    ]
}

async fn seed_rows(s: &Store, u: &CurrentUser) -> anyhow::Result<()> {
    for (code, name, price) in [("P1", "Lápiz", 10.0), ("P2", "Goma", 20.0)] {
        let input = RowInput {
            code: Some(code.into()),
            display_value: Some(name.into()),
            column_values: json!({"price": price, "active": true, "released": "2024-02-01", "family": "A"}).as_object().cloned().unwrap_or_default(),
            ..Default::default()
        };
        rows::create_row(s, u, "PRODUCTS", input).await?;
    }
    Ok(())
}

async fn all_rows(s: &Store, u: &CurrentUser, table: &str) -> anyhow::Result<Vec<RowData>> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = query::list_rows(s, u, table, Some(1000), cursor).await?;
        out.extend(page.rows);
        match page.next_key_set {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

/// Starts a job on `data` and runs it here to the end.
async fn import(s: &Store, u: &CurrentUser, configuration_id: Uuid, data: Vec<Value>, batch_size: i32) -> anyhow::Result<(Uuid, JobStatus)> {
    let req = StartBatchMigrationRequest { configuration_id, source_data: Some(data), source_file_id: None, source_dataset_id: None, source_run_id: None, source_sample_id: None, batch_size: Some(batch_size) };
    let started = jobs::start_batch(s, u, req).await?;
    assert_eq!(started.status, JobStatus::Pending);
    let claimed = execute::claim(&s.pool, execute::LEASE).await?;
    assert_eq!(claimed, Some(started.job_id));
    let status = execute::run_job(s, started.job_id, &CancellationToken::new()).await?;
    Ok((started.job_id, status))
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn a_dry_run_predicts_exactly_what_the_job_then_does_at_both_levels(pool: PgPool) -> anyhow::Result<()> {
    let (s, u) = (store(&pool).await?, admin(&pool).await?);
    let table = products(&s, &u).await?;
    seed_rows(&s, &u).await?;
    let strict = config::create_configuration(&s, &u, &product_config(table, "Productos estricto", ValidationLevel::Strict, ErrorStrategy::Continue)).await?;

    let before = all_rows(&s, &u, "PRODUCTS").await?;
    let source = SourceRequest { data: Some(fixture()), ..Default::default() };
    let dry = dry_run::dry_run(&s, &u, strict.id, source).await?;
    assert_eq!(
        (dry.total_records, dry.processed_records, dry.inserted_records, dry.updated_records, dry.unchanged_records, dry.error_records),
        (10, 10, 1, 2, 1, 6),
        "{dry:#?}"
    );
    // Nothing written: same rows, same versions, no job left behind.
    assert_eq!(all_rows(&s, &u, "PRODUCTS").await?, before);
    assert!(jobs::list_jobs(&s, &u, None).await?.is_empty());
    let reasons: Vec<(i32, &str, Option<&str>)> = dry.errors.iter().map(|e| (e.record_number, e.error_type.as_str(), e.field.as_deref())).collect();
    assert_eq!(
        reasons,
        vec![
            (4, "TRANSFORMATION_ERROR", Some("price")),
            (5, "rule_violated", Some("price")),
            (6, "MISSING_REQUIRED_FIELD", Some("code")),
            (7, "check_failed", Some("price_below_1000")),
            (8, "TRANSFORMATION_ERROR", Some("released")),
            (10, "value_invalid", Some("family")),
        ]
    );
    assert_eq!(dry.errors[3].error_message, "a price must be below 1000");

    // The job does what the dry run said, and the table shows it.
    let (job, status) = import(&s, &u, strict.id, fixture(), 1000).await?;
    assert_eq!(status, JobStatus::PartiallySucceeded);
    let st = jobs::job_status(&s, &u, job).await?;
    assert_eq!(
        (st.processed_records, st.success_records, st.error_records, st.inserted_records, st.updated_records, st.unchanged_records),
        (10, 4, 6, 1, 2, 1)
    );
    assert_eq!(st.processed_records, st.total_records);
    assert_eq!(st.progress, 1.0);
    let rows = all_rows(&s, &u, "PRODUCTS").await?;
    let by_code = |c: &str| rows.iter().find(|r| r.code == c).cloned();
    assert_eq!(rows.len(), 3);
    let p1 = by_code("P1").expect("P1");
    assert_eq!(p1.version, 1, "unchanged rows are not written");
    assert_eq!(by_code("P2").expect("P2").column_values["price"], json!(25.5));
    let p3 = by_code("P3").expect("P3");
    assert_eq!((p3.display_value.as_deref(), p3.version), (Some("Regla grande"), 2));
    assert_eq!(p3.column_values["price"], json!(4.0));
    assert_eq!(p3.column_values["active"], json!(false));
    assert_eq!(p3.column_values["released"], json!("2024-03-15"));
    assert_eq!(p3.column_values["family"], json!("B"));
    assert_eq!(p3.extended_properties["note"], json!("nueva"));

    let listed = errors::list_errors(&s, &u, job, Some("error"), 0, 100).await?;
    assert_eq!(listed.total, 6);
    assert_eq!(listed.errors.iter().map(|e| e.record_number).collect::<Vec<_>>(), vec![4, 5, 6, 7, 8, 10]);
    assert_eq!(listed.errors[0].record_identifier, "P4");
    assert_eq!(listed.errors[2].record_identifier, "#6");
    let csv = String::from_utf8(errors::errors_csv(&s, &u, job, ExportOptions::default()).await?)?;
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 7, "{csv}");
    assert!(lines[0].starts_with("registro;campo;error;mensaje;SKU;Nombre;Precio"), "{}", lines[0]);
    assert!(lines[1].starts_with("4;price;TRANSFORMATION_ERROR;"), "{}", lines[1]);
    assert!(lines[1].contains(";P4;Tijeras;caro;"), "{}", lines[1]);

    // LENIENT on the same source (now that P2 and P3 are in): the unmappable fields are left out with
    // a warning and those records go in; the table's own rules still refuse the rest.
    let lenient = config::create_configuration(&s, &u, &product_config(table, "Productos flexible", ValidationLevel::Lenient, ErrorStrategy::Continue)).await?;
    let dry = dry_run::dry_run(&s, &u, lenient.id, SourceRequest { data: Some(fixture()), ..Default::default() }).await?;
    assert_eq!((dry.inserted_records, dry.updated_records, dry.unchanged_records, dry.error_records, dry.warning_records), (2, 2, 2, 4, 2), "{dry:#?}");
    let (job, status) = import(&s, &u, lenient.id, fixture(), 3).await?;
    assert_eq!(status, JobStatus::PartiallySucceeded);
    let st = jobs::job_status(&s, &u, job).await?;
    assert_eq!((st.inserted_records, st.updated_records, st.unchanged_records, st.error_records, st.warning_records), (2, 2, 2, 4, 2));
    let rows = all_rows(&s, &u, "PRODUCTS").await?;
    assert_eq!(rows.len(), 5);
    let p4 = rows.iter().find(|r| r.code == "P4").expect("P4 imported leniently");
    assert_eq!(p4.column_values["price"], Value::Null);
    let warnings = errors::list_errors(&s, &u, job, Some("warning"), 0, 100).await?;
    assert_eq!(warnings.errors.iter().map(|e| (e.record_number, e.field.as_deref())).collect::<Vec<_>>(), vec![(4, Some("price")), (8, Some("released"))]);
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn stop_undoes_the_failing_batch_whole_and_keeps_the_batches_before_it(pool: PgPool) -> anyhow::Result<()> {
    let (s, u) = (store(&pool).await?, admin(&pool).await?);
    let table = products(&s, &u).await?;
    let cfg = config::create_configuration(&s, &u, &product_config(table, "Parar", ValidationLevel::Strict, ErrorStrategy::Stop)).await?;
    let mut data: Vec<Value> = (1..=9).map(|i| json!({"SKU": format!("S{i}"), "Precio": "1"})).collect();
    data[4] = json!({"SKU": "S5", "Precio": "-1"});
    let dry = dry_run::dry_run(&s, &u, cfg.id, SourceRequest { data: Some(data.clone()), ..Default::default() }).await?;
    assert!(dry.would_stop);
    assert_eq!((dry.inserted_records, dry.error_records), (8, 1), "a dry run lists every problem even with STOP");

    let (job, status) = import(&s, &u, cfg.id, data, 3).await?;
    assert_eq!(status, JobStatus::Failed);
    let st = jobs::job_status(&s, &u, job).await?;
    // Batch 1 (S1–S3) stays; batch 2 (S4–S6) is undone whole; batch 3 never runs.
    assert_eq!((st.total_records, st.processed_records, st.success_records, st.error_records), (9, 6, 3, 3));
    assert!(st.error.as_deref().unwrap_or_default().starts_with("stopped at record #5"), "{:?}", st.error);
    let codes: Vec<String> = all_rows(&s, &u, "PRODUCTS").await?.into_iter().map(|r| r.code).collect();
    assert_eq!(codes, vec!["S1", "S2", "S3"]);
    let listed = errors::list_errors(&s, &u, job, None, 0, 100).await?;
    let reasons: Vec<(i32, &str)> = listed.errors.iter().map(|e| (e.record_number, e.error_type.as_str())).collect();
    assert_eq!(reasons, vec![(4, "NOT_APPLIED"), (5, "rule_violated"), (6, "NOT_APPLIED")]);
    assert_eq!(listed.errors[1].record_data, json!({"SKU": "S5", "Precio": "-1"}));
    // Another writer of the table sees why, not the records of someone else's source.
    let other = support::analyst(&pool).await?;
    let seen = errors::list_errors(&s, &other, job, None, 0, 100).await?;
    assert_eq!(seen.errors.iter().map(|e| (e.record_number, e.error_type.as_str())).collect::<Vec<_>>(), reasons);
    assert!(seen.errors.iter().all(|e| e.record_data.is_null() && e.record_identifier == format!("#{}", e.record_number)));
    let csv = String::from_utf8(errors::errors_csv(&s, &other, job, ExportOptions::default()).await?)?;
    assert!(!csv.contains("S5") && csv.trim_start_matches('\u{feff}').starts_with("registro;campo;error;mensaje\n"), "{csv}");
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn a_crash_mid_import_resumes_with_nothing_lost_or_doubled(pool: PgPool) -> anyhow::Result<()> {
    let (s, u) = (store(&pool).await?, admin(&pool).await?);
    let table = products(&s, &u).await?;
    let cfg = config::create_configuration(&s, &u, &product_config(table, "Grande", ValidationLevel::Strict, ErrorStrategy::Continue)).await?;
    const N: usize = 6_000;
    // Every 100th record is refused (negative price): the counters must still add up after the crash.
    let data: Vec<Value> = (0..N).map(|i| json!({"SKU": format!("K{i:05}"), "Precio": if i % 100 == 7 { "-1".to_string() } else { format!("{},5", i % 900) }})).collect();
    let req = StartBatchMigrationRequest { configuration_id: cfg.id, source_data: Some(data), source_file_id: None, source_dataset_id: None, source_run_id: None, source_sample_id: None, batch_size: Some(200) };
    let job = jobs::start_batch(&s, &u, req).await?.job_id;

    // The "crashing" worker has its own connections, so killing them is like killing its process.
    let crash_pool = sqlx::postgres::PgPoolOptions::new().max_connections(2).connect_with((*pool.connect_options()).clone()).await?;
    let crash_store = Store::new(crash_pool.clone(), s.redis.clone());
    assert_eq!(execute::claim(&crash_pool, execute::LEASE).await?, Some(job));
    let worker = tokio::spawn(async move { execute::run_job(&crash_store, job, &CancellationToken::new()).await });
    loop {
        let st = jobs::job_status(&s, &u, job).await?;
        if st.processed_records >= 1_000 {
            break;
        }
        assert!(!worker.is_finished(), "the job ended before the crash: {st:?}");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    worker.abort();
    let _ = worker.await;
    crash_pool.close().await;
    let at_crash = jobs::job_status(&s, &u, job).await?;
    assert!(at_crash.processed_records < N as i32, "crashed too late to prove anything");
    assert_eq!(at_crash.status, JobStatus::Processing);
    // Its lease has not run out: nobody takes it yet; once it has, another worker does.
    assert_eq!(execute::claim(&pool, execute::LEASE).await?, None);
    assert_eq!(execute::claim(&pool, std::time::Duration::ZERO).await?, Some(job));
    assert_eq!(execute::run_job(&s, job, &CancellationToken::new()).await?, JobStatus::PartiallySucceeded);

    let st = jobs::job_status(&s, &u, job).await?;
    let errs = errors::list_errors(&s, &u, job, None, 20, 2).await?;
    assert_eq!(
        (st.total_records, st.processed_records, st.inserted_records, st.error_records),
        (N as i32, N as i32, (N - N / 100) as i32, (N / 100) as i32),
        "{errs:?}"
    );
    let rows = all_rows(&s, &u, "PRODUCTS").await?;
    assert_eq!(rows.len(), N - N / 100);
    let mut codes: Vec<&str> = rows.iter().map(|r| r.code.as_str()).collect();
    codes.dedup();
    assert_eq!(codes.len(), N - N / 100, "no row twice");
    let logged: i64 = sqlx::query_scalar("SELECT count(DISTINCT seq) FROM migration_errors WHERE migration_job_id = $1").bind(job).fetch_one(&pool).await?;
    assert_eq!(logged, (N / 100) as i64, "each rejection recorded once");
    let changes: i64 = sqlx::query_scalar("SELECT count(*) FROM migration_changes WHERE job_id = $1").bind(job).fetch_one(&pool).await?;
    assert_eq!(changes, (N - N / 100) as i64);
    Ok(())
}

/// Every row's content (not its version or times), in code order.
fn content(rows: &[RowData]) -> Vec<(String, Option<String>, bool, i32, Value, Value)> {
    rows.iter()
        .map(|r| (r.code.clone(), r.display_value.clone(), r.is_active, r.sort_order, Value::Object(r.column_values.clone()), Value::Object(r.extended_properties.clone())))
        .collect()
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn rollback_restores_the_table_exactly_or_touches_nothing(pool: PgPool) -> anyhow::Result<()> {
    let (s, u) = (store(&pool).await?, admin(&pool).await?);
    let table = products(&s, &u).await?;
    seed_rows(&s, &u).await?;
    let original = content(&all_rows(&s, &u, "PRODUCTS").await?);
    let cfg = config::create_configuration(&s, &u, &product_config(table, "Deshacer", ValidationLevel::Strict, ErrorStrategy::Continue)).await?;
    let data = vec![
        json!({"SKU": "P1", "Nombre": "Lápiz HB", "Precio": "11", "Nota": "añadida"}),
        json!({"SKU": "P2", "Precio": "20"}),
        json!({"SKU": "P9", "Nombre": "Nuevo", "Precio": "1"}),
        json!({"SKU": "P9", "Nombre": "Nuevo otra vez", "Precio": "2"}),
    ];
    let (job, _) = import(&s, &u, cfg.id, data.clone(), 1000).await?;
    assert_ne!(content(&all_rows(&s, &u, "PRODUCTS").await?), original);
    let undone = rollback::rollback_job(&s, &u, job).await?;
    assert_eq!((undone.deleted_rows, undone.restored_rows), (1, 1));
    assert_eq!(content(&all_rows(&s, &u, "PRODUCTS").await?), original);
    assert_eq!(jobs::job_status(&s, &u, job).await?.status, JobStatus::RolledBack);
    assert_eq!(code_of(rollback::rollback_job(&s, &u, job).await), Some(ErrorCode::MigrationRolledBack));

    // A row changed by someone after the import: the rollback refuses and changes nothing.
    let (job, _) = import(&s, &u, cfg.id, data, 1000).await?;
    let after_import = content(&all_rows(&s, &u, "PRODUCTS").await?);
    let p9 = all_rows(&s, &u, "PRODUCTS").await?.into_iter().find(|r| r.code == "P9").expect("P9");
    let patch = RowPatch { version: p9.version, fields: RowInput { display_value: Some("editado a mano".into()), ..Default::default() } };
    rows::update_row(&s, &u, "PRODUCTS", p9.id, patch).await?;
    let refused = rollback::rollback_job(&s, &u, job).await;
    assert_eq!(code_of(refused), Some(ErrorCode::MigrationRollbackConflict));
    let now = content(&all_rows(&s, &u, "PRODUCTS").await?);
    assert_eq!(now.len(), after_import.len());
    assert_eq!(now.iter().find(|r| r.0 == "P9").and_then(|r| r.1.clone()).as_deref(), Some("editado a mano"));
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn configurations_are_checked_against_their_table_and_single_records_go_in_at_once(pool: PgPool) -> anyhow::Result<()> {
    let (s, u) = (store(&pool).await?, admin(&pool).await?);
    let table = products(&s, &u).await?;
    let good = product_config(table, "Uno", ValidationLevel::Strict, ErrorStrategy::Continue);
    let mut unknown = good.clone();
    unknown.mappings.push(map("X", "no_such_column", TransformationType::None, json!({})));
    assert_eq!(code_of(config::create_configuration(&s, &u, &unknown).await), Some(ErrorCode::MappingInvalid));
    let mut bad_regex = good.clone();
    bad_regex.mappings[1].transformation_parameters = json!({"replace": [{"pattern": "(", "replacement": ""}]});
    assert_eq!(code_of(config::create_configuration(&s, &u, &bad_regex).await), Some(ErrorCode::MappingInvalid));
    let mut unmapped_key = good.clone();
    unmapped_key.upsert_key = vec!["released".into()];
    unmapped_key.mappings.retain(|m| m.target_field != "released");
    assert_eq!(code_of(config::create_configuration(&s, &u, &unmapped_key).await), Some(ErrorCode::MappingInvalid));

    let cfg = config::create_configuration(&s, &u, &good).await?;
    assert_eq!(code_of(config::create_configuration(&s, &u, &good).await), Some(ErrorCode::MigrationConfigurationExists));
    let mut changed = good.clone();
    changed.description = "otra".into();
    changed.version = Some(cfg.version);
    let saved = config::update_configuration(&s, &u, cfg.id, &changed).await?;
    assert_eq!(saved.version, cfg.version + 1);
    assert_eq!(code_of(config::update_configuration(&s, &u, cfg.id, &changed).await), Some(ErrorCode::MigrationConfigurationVersionConflict));

    let one = MigrateRecordRequest { configuration_id: cfg.id, record_data: json!({"SKU": "R1", "Precio": "2,5"}) };
    let done = record::migrate_record(&s, &u, &one).await?;
    assert!(done.success);
    assert_eq!(done.action, Some(RecordAction::Inserted));
    let again = record::migrate_record(&s, &u, &one).await?;
    assert_eq!((again.action, again.target_row_id), (Some(RecordAction::Unchanged), done.target_row_id));
    let refused = record::migrate_record(&s, &u, &MigrateRecordRequest { configuration_id: cfg.id, record_data: json!({"SKU": "R2", "Precio": "-3"}) }).await?;
    assert!(!refused.success && refused.target_row_id.is_none());
    assert_eq!(refused.errors[0].error_type, "rule_violated");
    assert_eq!(
        code_of(record::migrate_record(&s, &u, &MigrateRecordRequest { configuration_id: cfg.id, record_data: json!([1]) }).await),
        Some(ErrorCode::MalformedRequest)
    );
    let none = StartBatchMigrationRequest { configuration_id: cfg.id, source_data: None, source_file_id: None, source_dataset_id: None, source_run_id: None, source_sample_id: None, batch_size: None };
    assert_eq!(code_of(jobs::start_batch(&s, &u, none).await), Some(ErrorCode::MigrationSourceMissing));
    assert_eq!(code_of(jobs::job_status(&s, &u, Uuid::now_v7()).await), Some(ErrorCode::MigrationJobNotFound));
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn a_classification_run_is_published_to_a_table_with_its_categories(pool: PgPool) -> anyhow::Result<()> {
    let (s, u) = (store(&pool).await?, admin(&pool).await?);
    let version = test_prompt(&pool, &u).await?;
    let dataset = dataset_of(&pool, &u, &lines(40)).await?;
    let ctx = context(&pool, None).await?;
    let run = create_run(&ctx, &u, &NewRun { dataset_id: dataset.id, prompt_id: None, prompt_version_id: Some(version), overrides: RunOverrides::default() }).await?;
    execute_run(&ctx, run, &CancellationToken::new()).await?;

    let t = tables::create_table(&s, &u, &NewLogicalTable { table_name: "CLASSIFIED".into(), description: String::new(), is_hierarchical: false, cache_policy: CachePolicy::None })
        .await?;
    for name in ["category", "concepto"] {
        let c = columns::create_column(
            &s,
            &u,
            &NewColumn { column_name: format!("{name}_col"), data_type: DataType::String, description: String::new(), enum_values: vec![], reference_table_id: None, default_value: None, masking_rule: MaskingRule::None },
        )
        .await?;
        properties::create_property(
            &s,
            &u,
            &NewProperty { logical_table_id: t.id, column_definition_id: c.id, display_order: 0, is_mandatory: true, is_value_unique: false, is_indexed: false, validation_rule_type: None, validation_parameters: Value::Null, soft: false },
        )
        .await?;
    }
    let mut score = map("score", "score", TransformationType::ToNumber, json!({}));
    score.storage_type = StorageType::Jsonb;
    let mut final_category = map("final_category", "final_category", TransformationType::None, json!({}));
    final_category.storage_type = StorageType::Jsonb;
    let cfg = config::create_configuration(
        &s,
        &u,
        &ConfigurationInput {
            name: "Publicar".into(),
            description: String::new(),
            source_type: SourceType::Run,
            source_id: Some(run),
            sample_id: None,
            target_logical_table_id: t.id,
            validation_level: ValidationLevel::Strict,
            error_handling_strategy: ErrorStrategy::Continue,
            upsert_key: vec!["code".into()],
            mappings: vec![
                map("id", "code", TransformationType::ToString, json!({})),
                map("concepto", "concepto_col", TransformationType::None, json!({})),
                map("category", "category_col", TransformationType::None, json!({})),
                score,
                final_category,
            ],
            version: None,
        },
    )
    .await?;
    let req = StartBatchMigrationRequest { configuration_id: cfg.id, source_data: None, source_file_id: None, source_dataset_id: None, source_run_id: None, source_sample_id: None, batch_size: None };
    let started = jobs::start_batch(&s, &u, req).await?;
    assert_eq!(started.total_records, 40);
    execute::claim(&pool, execute::LEASE).await?;
    assert_eq!(execute::run_job(&s, started.job_id, &CancellationToken::new()).await?, JobStatus::Succeeded);
    let rows = all_rows(&s, &u, "CLASSIFIED").await?;
    assert_eq!(rows.len(), 40);
    for r in &rows {
        let concepto = r.column_values.get("concepto_col").and_then(Value::as_str).unwrap_or_default();
        let category = r.column_values.get("category_col").and_then(Value::as_str).unwrap_or_default();
        assert!(concepto.contains(" item "), "{concepto}");
        assert!(support::CATEGORIES.contains(&category), "{concepto} → {category}");
        assert_eq!(r.extended_properties.get("final_category"), Some(&json!(category)));
    }

    // The same run again from its dataset alone: every row is there already and unchanged.
    let dry = dry_run::dry_run(&s, &u, cfg.id, SourceRequest { run_id: Some(run), ..Default::default() }).await?;
    assert_eq!((dry.unchanged_records, dry.inserted_records, dry.error_records), (40, 0, 0));
    // From the dataset alone there is no category: the rows keep the one they have.
    let from_dataset = dry_run::dry_run(&s, &u, cfg.id, SourceRequest { dataset_id: Some(dataset.id), ..Default::default() }).await?;
    assert_eq!((from_dataset.unchanged_records, from_dataset.error_records), (40, 0));
    Ok(())
}
