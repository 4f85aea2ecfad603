//! Governed tables against real PostgreSQL and Redis: every rule type and constraint kind through
//! the single-row commands and through batch, every on-delete action, existing rows that break a
//! new rule (refused, or kept soft and listed), optimistic concurrency, masking, hierarchy, the
//! cache across two "servers", and the outbox.

mod support;

use engine::auth::{CurrentUser, Password, Role, Username, create_user};
use engine::eav::schema::{columns, constraints, properties, tables};
use engine::eav::{
    BatchOperation, BatchRequest, CachePolicy, ColumnInfo, ConstraintType, DataType, LogicalTableInfo, MaskingRule, NewColumn, NewConstraint,
    NewLogicalTable, NewProperty, OnDelete, OnError, OperationType, PropertyPatch, RowInput, RowPatch, RuleType, Store, read, rows,
};
use engine::{EngineError, ErrorCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use support::{admin, eav_store as store};

async fn table(s: &Store, u: &CurrentUser, name: &str) -> anyhow::Result<LogicalTableInfo> {
    let req = NewLogicalTable { table_name: name.into(), description: String::new(), is_hierarchical: false, cache_policy: CachePolicy::None };
    Ok(tables::create_table(s, u, &req).await?)
}

fn new_column(name: &str, ty: DataType) -> NewColumn {
    NewColumn {
        column_name: name.into(),
        data_type: ty,
        description: String::new(),
        enum_values: vec![],
        reference_table_id: None,
        default_value: None,
        masking_rule: MaskingRule::None,
    }
}

fn property(t: Uuid, c: Uuid) -> NewProperty {
    NewProperty {
        logical_table_id: t,
        column_definition_id: c,
        display_order: 0,
        is_mandatory: false,
        is_value_unique: false,
        is_indexed: false,
        validation_rule_type: None,
        validation_parameters: Value::Null,
        soft: false,
    }
}

/// Defines a column and binds it to `t` with `tune` applied to the property.
async fn bind(s: &Store, u: &CurrentUser, t: Uuid, col: NewColumn, tune: impl FnOnce(&mut NewProperty)) -> anyhow::Result<ColumnInfo> {
    let c = columns::create_column(s, u, &col).await?;
    let mut p = property(t, c.id);
    tune(&mut p);
    properties::create_property(s, u, &p).await?;
    Ok(c)
}

fn row(code: &str, values: Value) -> RowInput {
    let column_values = match values {
        Value::Object(m) => m,
        _ => Default::default(),
    };
    RowInput { code: Some(code.into()), column_values, ..Default::default() }
}

fn code_of<T: std::fmt::Debug>(r: Result<T, EngineError>) -> Option<ErrorCode> {
    r.err().map(|e| e.code())
}

fn create_op(input: RowInput) -> BatchOperation {
    BatchOperation { op: OperationType::Create, row_id: None, version: None, fields: input }
}

/// The same row refused through the single-row path and through batch, with the same code.
async fn refused_both_ways(s: &Store, u: &CurrentUser, t: &str, input: RowInput, want: ErrorCode) -> anyhow::Result<()> {
    assert_eq!(code_of(rows::create_row(s, u, t, input.clone()).await), Some(want), "single: {input:?}");
    for on_error in [OnError::Abort, OnError::Continue] {
        let res = rows::batch(s, u, t, &BatchRequest { operations: vec![create_op(input.clone())], on_error }).await?;
        assert_eq!(res.error_count, 1, "batch {on_error:?}: {input:?}");
        assert_eq!(res.results[0].error.as_ref().map(|e| e.code), Some(want), "batch {on_error:?}: {input:?}");
    }
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn the_seeds_products_table_keeps_a_decimal_price(pool: PgPool) -> anyhow::Result<()> {
    let (s, u) = (store(&pool).await?, admin(&pool).await?);
    let t = table(&s, &u, "PRODUCTS").await?;
    bind(&s, &u, t.id, new_column("price", DataType::Decimal), |p| p.is_mandatory = true).await?;
    let created = rows::create_row(&s, &u, "PRODUCTS", RowInput { display_value: Some("Test Product".into()), ..row("PROD-001", json!({"price": 29.99, "colour": "red"})) }).await?;
    let got = read::get_row(&s, &u, "products", created.id).await?;
    assert_eq!(got.column_values.get("price"), Some(&json!(29.99)));
    assert_eq!(got.extended_properties.get("colour"), Some(&json!("red")), "an undefined name goes to extended_properties");
    assert_eq!((got.code.as_str(), got.display_value.as_deref(), got.is_active, got.version), ("PROD-001", Some("Test Product"), true, 1));
    refused_both_ways(&s, &u, "PRODUCTS", row("PROD-002", json!({})), ErrorCode::ValueRequired).await?;
    refused_both_ways(&s, &u, "PRODUCTS", row("PROD-003", json!({"price": "cheap"})), ErrorCode::ValueInvalid).await?;
    assert_eq!(code_of(read::get_row(&s, &u, "NOPE", created.id).await), Some(ErrorCode::LogicalTableNotFound));
    assert_eq!(code_of(read::get_row(&s, &u, "PRODUCTS", Uuid::now_v7()).await), Some(ErrorCode::RowNotFound));
    let dup = NewLogicalTable { table_name: "products".into(), description: String::new(), is_hierarchical: false, cache_policy: CachePolicy::None };
    assert_eq!(code_of(tables::create_table(&s, &u, &dup).await), Some(ErrorCode::LogicalTableExists));
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn every_rule_type_refuses_on_the_single_path_and_in_batch(pool: PgPool) -> anyhow::Result<()> {
    let (s, u) = (store(&pool).await?, admin(&pool).await?);
    let t = table(&s, &u, "RULES").await?;
    let rule = |rt: RuleType, params: Value| move |p: &mut NewProperty| {
        p.validation_rule_type = Some(rt);
        p.validation_parameters = params;
    };
    bind(&s, &u, t.id, new_column("sku", DataType::String), rule(RuleType::Regex, json!({"pattern": "^[A-Z]{3}-\\d{3}$"}))).await?;
    bind(&s, &u, t.id, new_column("name", DataType::String), rule(RuleType::Length, json!({"min": 2, "max": 10}))).await?;
    bind(&s, &u, t.id, new_column("qty", DataType::Int), rule(RuleType::Range, json!({"min": 0, "max": 100}))).await?;
    bind(&s, &u, t.id, new_column("size", DataType::String), rule(RuleType::Enum, json!({"values": ["S", "M", "L"]}))).await?;
    bind(&s, &u, t.id, new_column("mail", DataType::String), rule(RuleType::Email, json!({}))).await?;
    bind(&s, &u, t.id, new_column("site", DataType::String), rule(RuleType::Url, json!({}))).await?;
    bind(&s, &u, t.id, new_column("since", DataType::Date), rule(RuleType::DateRange, json!({"min": "2020-01-01", "max": "2030-12-31"}))).await?;
    let good = json!({"sku": "ABC-123", "name": "Chair", "qty": 5, "size": "M", "mail": "a@b.co", "site": "https://x.org", "since": "2024-05-01"});
    rows::create_row(&s, &u, "RULES", row("OK-1", good.clone())).await?;
    let bad = [
        ("sku", json!("abc")),
        ("name", json!("X")),
        ("qty", json!(101)),
        ("size", json!("XL")),
        ("mail", json!("not-an-email")),
        ("site", json!("ftp://x.org")),
        ("since", json!("2019-12-31")),
    ];
    for (i, (col, v)) in bad.into_iter().enumerate() {
        let mut values = good.clone();
        values[col] = v;
        refused_both_ways(&s, &u, "RULES", row(&format!("BAD-{i}"), values.clone()), ErrorCode::RuleViolated).await?;
        match rows::create_row(&s, &u, "RULES", row("BAD", values)).await {
            Err(EngineError::Data(engine::eav::DataError::RuleViolated { column, .. })) => assert_eq!(column, col),
            other => panic!("{col}: {other:?}"),
        }
    }
    // A bad parameter is refused when the rule is set, not when rows are written.
    let c = columns::create_column(&s, &u, &new_column("broken", DataType::String)).await?;
    let mut p = property(t.id, c.id);
    p.validation_rule_type = Some(RuleType::Regex);
    p.validation_parameters = json!({"pattern": "(["});
    assert_eq!(code_of(properties::create_property(&s, &u, &p).await), Some(ErrorCode::InvalidInput));
    Ok(())
}

async fn unique_constraint(s: &Store, u: &CurrentUser, t: Uuid, name: &str, columns: &[&str], paths: &[&str], case_sensitive: bool) -> anyhow::Result<()> {
    let req = NewConstraint {
        logical_table_id: t,
        constraint_name: name.into(),
        constraint_type: ConstraintType::Unique,
        columns: columns.iter().map(|c| c.to_string()).collect(),
        json_paths: paths.iter().map(|c| c.to_string()).collect(),
        is_case_sensitive: case_sensitive,
        on_delete: OnDelete::Restrict,
        check_expression: None,
        error_message: None,
        is_active: true,
        soft: false,
    };
    constraints::create_constraint(s, u, &req).await?;
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn uniques_hold_case_insensitively_composite_and_on_json_paths(pool: PgPool) -> anyhow::Result<()> {
    let (s, u) = (store(&pool).await?, admin(&pool).await?);
    let t = table(&s, &u, "CUSTOMERS").await?;
    bind(&s, &u, t.id, new_column("email", DataType::String), |_| {}).await?;
    bind(&s, &u, t.id, new_column("country", DataType::String), |_| {}).await?;
    bind(&s, &u, t.id, new_column("tax_id", DataType::String), |_| {}).await?;
    bind(&s, &u, t.id, new_column("nick", DataType::String), |p| p.is_value_unique = true).await?;
    unique_constraint(&s, &u, t.id, "email_ci", &["email"], &[], false).await?;
    unique_constraint(&s, &u, t.id, "country_tax", &["country", "tax_id"], &[], true).await?;
    unique_constraint(&s, &u, t.id, "crm_id", &[], &["ext.crm.id"], true).await?;
    let first = RowInput {
        extended_properties: json!({"crm": {"id": "C-1"}}).as_object().cloned().unwrap_or_default(),
        ..row("C1", json!({"email": "Jane@Example.com", "country": "ES", "tax_id": "B1", "nick": "jj"}))
    };
    rows::create_row(&s, &u, "CUSTOMERS", first).await?;
    refused_both_ways(&s, &u, "CUSTOMERS", row("C2", json!({"email": "jane@example.COM"})), ErrorCode::UniqueViolated).await?;
    refused_both_ways(&s, &u, "CUSTOMERS", row("C3", json!({"country": "ES", "tax_id": "B1"})), ErrorCode::UniqueViolated).await?;
    rows::create_row(&s, &u, "CUSTOMERS", row("C4", json!({"country": "PT", "tax_id": "B1"}))).await?;
    let same_crm = RowInput { extended_properties: json!({"crm": {"id": "C-1"}}).as_object().cloned().unwrap_or_default(), ..row("C5", json!({})) };
    refused_both_ways(&s, &u, "CUSTOMERS", same_crm, ErrorCode::UniqueViolated).await?;
    refused_both_ways(&s, &u, "CUSTOMERS", row("C6", json!({"nick": "jj"})), ErrorCode::UniqueViolated).await?;
    refused_both_ways(&s, &u, "CUSTOMERS", row("C1", json!({})), ErrorCode::UniqueViolated).await?;
    // Two rows of one batch that clash with each other: continue keeps the first, reports the second.
    let ops = vec![create_op(row("D1", json!({"email": "dup@x.org"}))), create_op(row("D2", json!({"email": "DUP@x.org"})))];
    let res = rows::batch(&s, &u, "CUSTOMERS", &BatchRequest { operations: ops.clone(), on_error: OnError::Continue }).await?;
    assert_eq!((res.success_count, res.error_count), (1, 1));
    assert_eq!(res.results[1].error.as_ref().map(|e| e.code), Some(ErrorCode::UniqueViolated));
    let res = rows::batch(&s, &u, "CUSTOMERS", &BatchRequest { operations: vec![create_op(row("E1", json!({}))), ops[1].clone()], on_error: OnError::Abort }).await?;
    assert_eq!((res.success_count, res.error_count), (0, 1), "abort applies nothing");
    assert_eq!(res.results[0].status, "not_applied");
    let count: i64 = sqlx::query_scalar(sql(&format!("SELECT count(*) FROM eav.t_{}", t.id.simple()))).fetch_one(&pool).await?;
    assert_eq!(count, 3, "C1, C4, D1");
    // A unique that existing rows break is refused with the rows, or kept soft and listed.
    rows::create_row(&s, &u, "CUSTOMERS", row("F1", json!({"tax_id": "SAME"}))).await?;
    rows::create_row(&s, &u, "CUSTOMERS", row("F2", json!({"tax_id": "same"}))).await?;
    let mut req = NewConstraint {
        logical_table_id: t.id,
        constraint_name: "tax_ci".into(),
        constraint_type: ConstraintType::Unique,
        columns: vec!["tax_id".into()],
        json_paths: vec![],
        is_case_sensitive: false,
        on_delete: OnDelete::Restrict,
        check_expression: None,
        error_message: None,
        is_active: true,
        soft: false,
    };
    match constraints::create_constraint(&s, &u, &req).await {
        Err(EngineError::Data(engine::eav::DataError::RowsViolateRule { count, examples, .. })) => {
            // b1 (C1 and C4 share it in another country) and same/SAME.
            assert_eq!(count, 4);
            assert_eq!(examples.iter().map(|e| e.code.as_str()).collect::<Vec<_>>(), ["C1", "C4", "F1", "F2"]);
        }
        other => panic!("expected 409 with the rows: {other:?}"),
    }
    req.soft = true;
    let soft = constraints::create_constraint(&s, &u, &req).await?;
    assert!(soft.is_soft);
    let listed = tables::violations(&s, &u, t.id).await?;
    assert_eq!(listed.iter().find(|v| v.rule == "tax_ci").map(|v| v.count), Some(4));
    // New values may not break a soft rule.
    refused_both_ways(&s, &u, "CUSTOMERS", row("F3", json!({"tax_id": "Same"})), ErrorCode::UniqueViolated).await?;
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn checks_are_evaluated_in_rust_with_their_authors_message(pool: PgPool) -> anyhow::Result<()> {
    let (s, u) = (store(&pool).await?, admin(&pool).await?);
    let t = table(&s, &u, "OFFERS").await?;
    bind(&s, &u, t.id, new_column("price", DataType::Decimal), |_| {}).await?;
    bind(&s, &u, t.id, new_column("cost", DataType::Decimal), |_| {}).await?;
    let mut req = NewConstraint {
        logical_table_id: t.id,
        constraint_name: "margin".into(),
        constraint_type: ConstraintType::Check,
        columns: vec![],
        json_paths: vec![],
        is_case_sensitive: true,
        on_delete: OnDelete::Restrict,
        check_expression: Some("price >= cost * 1.1 and code like 'OF-%'".into()),
        error_message: Some("El precio debe superar el coste en un 10 %".into()),
        is_active: true,
        soft: false,
    };
    constraints::create_constraint(&s, &u, &req).await?;
    rows::create_row(&s, &u, "OFFERS", row("OF-1", json!({"price": 11, "cost": 10}))).await?;
    refused_both_ways(&s, &u, "OFFERS", row("OF-2", json!({"price": 10.5, "cost": 10})), ErrorCode::CheckFailed).await?;
    match rows::create_row(&s, &u, "OFFERS", row("XX-1", json!({"price": 100, "cost": 1}))).await {
        Err(e) => assert_eq!(e.to_body(None).message, "El precio debe superar el coste en un 10 %"),
        Ok(r) => panic!("accepted {r:?}"),
    }
    req.constraint_name = "bad".into();
    req.check_expression = Some("price > (select 1)".into());
    assert_eq!(code_of(constraints::create_constraint(&s, &u, &req).await), Some(ErrorCode::ExpressionInvalid));
    req.check_expression = Some("nope > 1".into());
    assert_eq!(code_of(constraints::create_constraint(&s, &u, &req).await), Some(ErrorCode::FieldUnknown));
    Ok(())
}

/// A PARENT table referenced by CHILD.parent with `action`; deleting the parent row does what the
/// action says, through the single delete and through batch.
async fn on_delete_case(pool: &PgPool, action: OnDelete, via_batch: bool) -> anyhow::Result<(Option<ErrorCode>, i64, Option<Value>)> {
    let (s, u) = (store(pool).await?, admin(pool).await?);
    let parent = table(&s, &u, "PARENT").await?;
    let child = table(&s, &u, "CHILD").await?;
    let fallback = rows::create_row(&s, &u, "PARENT", row("FALLBACK", json!({}))).await?;
    let mut col = new_column("parent", DataType::Reference);
    col.reference_table_id = Some(parent.id);
    col.default_value = Some(json!(fallback.id.to_string()));
    bind(&s, &u, child.id, col, |_| {}).await?;
    let req = NewConstraint {
        logical_table_id: child.id,
        constraint_name: "child_parent".into(),
        constraint_type: ConstraintType::ForeignKey,
        columns: vec!["parent".into()],
        json_paths: vec![],
        is_case_sensitive: true,
        on_delete: action,
        check_expression: None,
        error_message: None,
        is_active: true,
        soft: false,
    };
    constraints::create_constraint(&s, &u, &req).await?;
    let p = rows::create_row(&s, &u, "PARENT", row("P1", json!({}))).await?;
    let c = rows::create_row(&s, &u, "CHILD", row("C1", json!({"parent": p.id.to_string()}))).await?;
    refused_both_ways(&s, &u, "CHILD", row("C2", json!({"parent": Uuid::now_v7().to_string()})), ErrorCode::ReferenceMissing).await?;
    let code = if via_batch {
        let op = BatchOperation { op: OperationType::Delete, row_id: Some(p.id), version: None, fields: RowInput::default() };
        let res = rows::batch(&s, &u, "PARENT", &BatchRequest { operations: vec![op], on_error: OnError::Continue }).await?;
        res.results[0].error.as_ref().map(|e| e.code)
    } else {
        code_of(rows::delete_row(&s, &u, "PARENT", p.id, None).await)
    };
    let children: i64 = sqlx::query_scalar(sql(&format!("SELECT count(*) FROM eav.t_{}", child.id.simple()))).fetch_one(pool).await?;
    let value = read::get_row(&s, &u, "CHILD", c.id).await.ok().and_then(|r| r.column_values.get("parent").cloned());
    Ok((code, children, value))
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn on_delete_restrict_single(pool: PgPool) -> anyhow::Result<()> {
    assert_eq!(on_delete_case(&pool, OnDelete::Restrict, false).await?.0, Some(ErrorCode::RowReferenced));
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn on_delete_restrict_batch(pool: PgPool) -> anyhow::Result<()> {
    assert_eq!(on_delete_case(&pool, OnDelete::Restrict, true).await?.0, Some(ErrorCode::RowReferenced));
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn on_delete_no_action_single_and_batch(pool: PgPool) -> anyhow::Result<()> {
    assert_eq!(on_delete_case(&pool, OnDelete::NoAction, false).await?.0, Some(ErrorCode::RowReferenced));
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn on_delete_no_action_batch(pool: PgPool) -> anyhow::Result<()> {
    assert_eq!(on_delete_case(&pool, OnDelete::NoAction, true).await?.0, Some(ErrorCode::RowReferenced));
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn on_delete_cascade_single(pool: PgPool) -> anyhow::Result<()> {
    assert_eq!(on_delete_case(&pool, OnDelete::Cascade, false).await?, (None, 0, None));
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn on_delete_cascade_batch(pool: PgPool) -> anyhow::Result<()> {
    assert_eq!(on_delete_case(&pool, OnDelete::Cascade, true).await?, (None, 0, None));
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn on_delete_set_null_single_and_batch(pool: PgPool) -> anyhow::Result<()> {
    assert_eq!(on_delete_case(&pool, OnDelete::SetNull, false).await?, (None, 1, Some(Value::Null)));
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn on_delete_set_null_batch(pool: PgPool) -> anyhow::Result<()> {
    assert_eq!(on_delete_case(&pool, OnDelete::SetNull, true).await?, (None, 1, Some(Value::Null)));
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn on_delete_set_default_single(pool: PgPool) -> anyhow::Result<()> {
    let (code, children, value) = on_delete_case(&pool, OnDelete::SetDefault, false).await?;
    assert_eq!((code, children), (None, 1));
    assert!(value.as_ref().and_then(Value::as_str).is_some_and(|v| !v.is_empty()), "points at the default row: {value:?}");
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn on_delete_set_default_batch(pool: PgPool) -> anyhow::Result<()> {
    let (code, children, value) = on_delete_case(&pool, OnDelete::SetDefault, true).await?;
    assert_eq!((code, children), (None, 1));
    assert!(value.as_ref().and_then(Value::as_str).is_some_and(|v| !v.is_empty()), "points at the default row: {value:?}");
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn a_mandatory_rule_existing_rows_break_is_refused_or_soft(pool: PgPool) -> anyhow::Result<()> {
    let (s, u) = (store(&pool).await?, admin(&pool).await?);
    let t = table(&s, &u, "ITEMS").await?;
    let c = bind(&s, &u, t.id, new_column("weight", DataType::Int), |_| {}).await?;
    for i in 0..25 {
        rows::create_row(&s, &u, "ITEMS", row(&format!("I{i:02}"), if i < 3 { json!({"weight": i}) } else { json!({}) })).await?;
    }
    let detail = tables::table_detail(&s, &u, t.id).await?;
    let prop = detail.properties.iter().find(|p| p.column_definition_id == c.id).map(|p| p.id).unwrap_or_default();
    let harden = PropertyPatch { is_mandatory: Some(true), ..Default::default() };
    match properties::update_property(&s, &u, prop, &harden).await {
        Err(EngineError::Data(engine::eav::DataError::RowsViolateRule { count, examples, .. })) => {
            assert_eq!(count, 22);
            assert_eq!(examples.len(), 20, "at most 20 examples");
        }
        other => panic!("expected 409: {other:?}"),
    }
    let soft = PropertyPatch { is_mandatory: Some(true), soft: Some(true), ..Default::default() };
    let p = properties::update_property(&s, &u, prop, &soft).await?;
    assert_eq!(p.soft_rules, vec![engine::eav::SoftRule::Mandatory]);
    // An old row stays as it is when something else changes; a new or changed value must comply.
    let old = engine::eav::query::list_rows(&s, &u, "ITEMS", Some(50), None).await?.rows.into_iter().find(|r| r.code == "I10").ok_or_else(|| anyhow::anyhow!("I10"))?;
    let touched = rows::update_row(&s, &u, "ITEMS", old.id, RowPatch { version: old.version, fields: RowInput { display_value: Some("renamed".into()), ..Default::default() } }).await?;
    assert_eq!(touched.version, 2);
    refused_both_ways(&s, &u, "ITEMS", row("NEW", json!({})), ErrorCode::ValueRequired).await?;
    let history = tables::table_history(&s, &u, t.id).await?;
    assert!(history.iter().any(|h| h.entity == "property" && h.action == "update" && h.before.is_some() && h.after.is_some()));
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn two_concurrent_updates_of_one_row_one_wins(pool: PgPool) -> anyhow::Result<()> {
    let (s, u) = (store(&pool).await?, admin(&pool).await?);
    let t = table(&s, &u, "COUNTERS").await?;
    bind(&s, &u, t.id, new_column("n", DataType::Int), |_| {}).await?;
    let r = rows::create_row(&s, &u, "COUNTERS", row("X", json!({"n": 0}))).await?;
    for round in 0..10 {
        let current = read::get_row(&s, &u, "COUNTERS", r.id).await?;
        let patch = |n: i64| RowPatch { version: current.version, fields: row("X", json!({"n": n})) };
        let (a, b) = tokio::join!(rows::update_row(&s, &u, "COUNTERS", r.id, patch(round * 2 + 1)), rows::update_row(&s, &u, "COUNTERS", r.id, patch(round * 2 + 2)));
        let codes = [code_of(a), code_of(b)];
        assert_eq!(codes.iter().filter(|c| c.is_none()).count(), 1, "round {round}: {codes:?}");
        assert!(codes.contains(&Some(ErrorCode::RowVersionConflict)));
    }
    assert_eq!(read::get_row(&s, &u, "COUNTERS", r.id).await?.version, 11);
    let stale = rows::update_row(&s, &u, "COUNTERS", r.id, RowPatch { version: 1, fields: RowInput::default() }).await;
    match stale {
        Err(EngineError::Data(engine::eav::DataError::RowVersionConflict { current, .. })) => assert_eq!(current.version, 11),
        other => panic!("{other:?}"),
    }
    let history: i64 = sqlx::query_scalar("SELECT count(*) FROM row_history WHERE row_id = $1").bind(r.id).fetch_one(&pool).await?;
    assert_eq!(history, 10, "one history entry per applied update");
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn masked_columns_are_masked_without_unmask_on_every_read(pool: PgPool) -> anyhow::Result<()> {
    let (s, u) = (store(&pool).await?, admin(&pool).await?);
    let t = table(&s, &u, "CARDS").await?;
    let mut col = new_column("card", DataType::String);
    col.masking_rule = MaskingRule::Last4;
    bind(&s, &u, t.id, col, |_| {}).await?;
    let r = rows::create_row(&s, &u, "CARDS", row("K1", json!({"card": "4111111111111111"}))).await?;
    let name = Username::parse("vic.viewer")?;
    let viewer = create_user(&pool, &name, &Password::parse("a long enough secret", &name)?, Role::Viewer).await?;
    assert_eq!(read::get_row(&s, &u, "CARDS", r.id).await?.column_values["card"], json!("4111111111111111"));
    assert_eq!(read::get_row(&s, &viewer, "CARDS", r.id).await?.column_values["card"], json!("****1111"));
    let page = engine::eav::query::list_rows(&s, &viewer, "CARDS", None, None).await?;
    assert_eq!(page.rows[0].column_values["card"], json!("****1111"));
    // Filtering on a masked column would reveal it: refused.
    let q = engine::eav::RowQuery { filters: vec![engine::eav::Filter { field: "card".into(), operator: engine::eav::Operator::StartsWith, value: json!("4") }], ..Default::default() };
    assert_eq!(code_of(engine::eav::query::query_rows(&s, &viewer, "CARDS", &q).await), Some(ErrorCode::Forbidden));
    assert_eq!(code_of(rows::create_row(&s, &viewer, "CARDS", row("K2", json!({}))).await), Some(ErrorCode::Forbidden));
    Ok(())
}

/// Test-made SQL (table names from ids).
fn sql(s: &str) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(s.to_string())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn a_rule_or_check_existing_rows_break_is_refused_then_kept_soft_and_listed(pool: PgPool) -> anyhow::Result<()> {
    let (s, u) = (store(&pool).await?, admin(&pool).await?);
    let t = table(&s, &u, "SKUS").await?;
    let c = bind(&s, &u, t.id, new_column("sku", DataType::String), |_| {}).await?;
    for (i, sku) in ["ABC-001", "abc-2", "XYZ-003", "bad"].iter().enumerate() {
        rows::create_row(&s, &u, "SKUS", row(&format!("S{i}"), json!({ "sku": sku }))).await?;
    }
    let prop = tables::table_detail(&s, &u, t.id).await?.properties.into_iter().find(|p| p.column_definition_id == c.id).map(|p| p.id).unwrap_or_default();
    let regex = PropertyPatch { validation_rule_type: Some(Some(RuleType::Regex)), validation_parameters: Some(json!({"pattern": "^[A-Z]{3}-\\d{3}$"})), ..Default::default() };
    match properties::update_property(&s, &u, prop, &regex).await {
        Err(EngineError::Data(engine::eav::DataError::RowsViolateRule { count, examples, rule })) => {
            assert_eq!((count, rule.as_str()), (2, "sku: regex"));
            assert_eq!(examples.iter().map(|e| e.value.clone()).collect::<Vec<_>>(), [json!("abc-2"), json!("bad")]);
        }
        other => panic!("expected 409: {other:?}"),
    }
    properties::update_property(&s, &u, prop, &PropertyPatch { soft: Some(true), ..regex.clone() }).await?;
    refused_both_ways(&s, &u, "SKUS", row("S9", json!({"sku": "nope"})), ErrorCode::RuleViolated).await?;
    let check = NewConstraint {
        logical_table_id: t.id,
        constraint_name: "sku_not_xyz".into(),
        constraint_type: ConstraintType::Check,
        columns: vec![],
        json_paths: vec![],
        is_case_sensitive: true,
        on_delete: OnDelete::Restrict,
        check_expression: Some("sku not like 'XYZ%'".into()),
        error_message: Some("XYZ products are discontinued".into()),
        is_active: true,
        soft: false,
    };
    match constraints::create_constraint(&s, &u, &check).await {
        Err(EngineError::Data(engine::eav::DataError::RowsViolateRule { count, examples, .. })) => {
            assert_eq!(count, 1);
            assert_eq!(examples[0].code, "S2");
        }
        other => panic!("expected 409: {other:?}"),
    }
    let soft = constraints::create_constraint(&s, &u, &NewConstraint { soft: true, ..check }).await?;
    let listed = tables::violations(&s, &u, t.id).await?;
    let counts: Vec<(String, i64)> = listed.iter().map(|v| (v.rule.clone(), v.count)).collect();
    assert_eq!(counts, [("sku: regex".to_string(), 2), ("sku_not_xyz".to_string(), 1)]);
    refused_both_ways(&s, &u, "SKUS", row("S8", json!({"sku": "XYZ-009"})), ErrorCode::CheckFailed).await?;
    // Deactivated, a check no longer applies; reactivated while rows break it, it is refused unless soft.
    let off = constraints::update_constraint(&s, &u, soft.id, &engine::eav::ConstraintPatch { is_active: Some(false), ..Default::default() }).await?;
    assert!(!off.is_active);
    rows::create_row(&s, &u, "SKUS", row("S8", json!({"sku": "XYZ-009"}))).await?;
    let hard = engine::eav::ConstraintPatch { is_active: Some(true), soft: Some(false), ..Default::default() };
    assert_eq!(code_of(constraints::update_constraint(&s, &u, soft.id, &hard).await), Some(ErrorCode::RowsViolateRule));
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn redis_being_down_is_a_cache_miss_not_a_failed_read(pool: PgPool) -> anyhow::Result<()> {
    let u = admin(&pool).await?;
    // A client for a port nothing listens on: every command fails.
    let dead = fred::clients::Client::new(fred::types::config::Config::from_url("redis://127.0.0.1:1")?, None, None, None);
    let s = Store::new(pool.clone(), Some(dead));
    let req = NewLogicalTable { table_name: "CACHED".into(), description: String::new(), is_hierarchical: false, cache_policy: CachePolicy::IndividualRows };
    tables::create_table(&s, &u, &req).await?;
    let started = std::time::Instant::now();
    let r = rows::create_row(&s, &u, "CACHED", row("A", json!({}))).await?;
    let got = read::get_row(&s, &u, "CACHED", r.id).await?;
    let changed = rows::update_row(&s, &u, "CACHED", r.id, RowPatch { version: got.version, fields: RowInput { display_value: Some("x".into()), ..Default::default() } }).await?;
    assert_eq!(read::get_row(&s, &u, "CACHED", r.id).await?.display_value, changed.display_value);
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "no waiting on the dead cache: {:?}", started.elapsed());
    // The outbox keeps the events until the cache takes them.
    let dead = fred::clients::Client::new(fred::types::config::Config::from_url("redis://127.0.0.1:1")?, None, None, None);
    assert_eq!(engine::events::outbox::process(&pool, Some(&dead)).await?, 0);
    let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM domain_events WHERE processed_at IS NULL").fetch_one(&pool).await?;
    assert_eq!(pending, 2);
    assert_eq!(engine::events::outbox::process(&pool, Some(&support::redis().await?)).await?, 2, "both, in order, in one round");
    Ok(())
}
