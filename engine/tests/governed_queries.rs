//! Reading governed tables: every filter operator against the same rows filtered in Rust, keyset
//! pages that cover every row once, SQL-injection attempts through every place a client names
//! something, hierarchy without cycles, the row cache across two "servers", and the outbox.

mod support;

use std::collections::BTreeSet;

use engine::auth::{CurrentUser, Password, Role, Username, create_user};
use engine::eav::schema::{columns, properties, tables};
use engine::eav::{
    CachePolicy, DataType, Direction, Filter, LogicalTablePatch, MaskingRule, NewColumn, NewLogicalTable, NewProperty, Operator, RowData, RowInput,
    RowPatch, RowQuery, Sort, Store, query, read, rows,
};
use engine::{EngineError, ErrorCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use support::{admin, eav_store as store};

async fn bind(s: &Store, u: &CurrentUser, t: uuid::Uuid, name: &str, ty: DataType, indexed: bool) -> anyhow::Result<()> {
    let col = NewColumn {
        column_name: name.into(),
        data_type: ty,
        description: String::new(),
        enum_values: vec![],
        reference_table_id: None,
        default_value: None,
        masking_rule: MaskingRule::None,
    };
    let c = columns::create_column(s, u, &col).await?;
    let p = NewProperty {
        logical_table_id: t,
        column_definition_id: c.id,
        display_order: 0,
        is_mandatory: false,
        is_value_unique: false,
        is_indexed: indexed,
        validation_rule_type: None,
        validation_parameters: Value::Null,
        soft: false,
    };
    properties::create_property(s, u, &p).await?;
    Ok(())
}

fn new_table(name: &str) -> NewLogicalTable {
    NewLogicalTable { table_name: name.into(), description: String::new(), is_hierarchical: false, cache_policy: CachePolicy::None }
}

/// 300 products: price 0.5..150 (every 7th has none), qty, a colour in ext, active but every 5th.
async fn products(s: &Store, u: &CurrentUser) -> anyhow::Result<()> {
    let t = tables::create_table(s, u, &new_table("PRODUCTS")).await?;
    bind(s, u, t.id, "price", DataType::Decimal, true).await?;
    bind(s, u, t.id, "qty", DataType::Int, false).await?;
    bind(s, u, t.id, "name", DataType::String, false).await?;
    bind(s, u, t.id, "since", DataType::Date, false).await?;
    let mut ops = Vec::new();
    for i in 0..300 {
        let mut values = json!({"qty": i % 13, "name": format!("Item {i} {}", ["chair", "table", "lamp"][i % 3]), "since": format!("2024-{:02}-{:02}", 1 + i % 12, 1 + i % 28)});
        if i % 7 != 0 {
            values["price"] = json!((i as f64) * 0.5);
        }
        let input = RowInput {
            code: Some(format!("P{i:04}")),
            is_active: Some(i % 5 != 0),
            column_values: values.as_object().cloned().unwrap_or_default(),
            extended_properties: json!({"colour": (["red", "green", "blue"][i % 3]), "size": i % 4}).as_object().cloned().unwrap_or_default(),
            ..Default::default()
        };
        ops.push(engine::eav::BatchOperation { op: engine::eav::OperationType::Create, row_id: None, version: None, fields: input });
    }
    let res = rows::batch(s, u, "PRODUCTS", &engine::eav::BatchRequest { operations: ops, on_error: engine::eav::OnError::Abort }).await?;
    assert_eq!(res.success_count, 300);
    Ok(())
}

/// Every page of the query, following `next_key_set`.
async fn all_pages(s: &Store, u: &CurrentUser, mut q: RowQuery) -> anyhow::Result<Vec<RowData>> {
    let mut out = Vec::new();
    for _ in 0..1000 {
        let page = query::query_rows(s, u, "PRODUCTS", &q).await?;
        out.extend(page.rows);
        match page.next_key_set {
            Some(k) => q.next_key_set = Some(k),
            None => return Ok(out),
        }
    }
    anyhow::bail!("more than 1000 pages")
}

fn f(field: &str, operator: Operator, value: Value) -> Filter {
    Filter { field: field.into(), operator, value }
}

fn price(r: &RowData) -> Option<f64> {
    r.column_values.get("price").and_then(Value::as_f64)
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn filters_match_the_same_rows_filtered_in_rust_and_pages_cover_them_once(pool: PgPool) -> anyhow::Result<()> {
    let (s, u) = (store(&pool).await?, admin(&pool).await?);
    products(&s, &u).await?;
    let everything = all_pages(&s, &u, RowQuery { page_size: Some(1000), ..Default::default() }).await?;
    assert_eq!(everything.len(), 300);
    type Pred = Box<dyn Fn(&RowData) -> bool>;
    let cases: Vec<(Vec<Filter>, Pred)> = vec![
        (vec![f("price", Operator::Gt, json!(100))], Box::new(|r| price(r).is_some_and(|p| p > 100.0))),
        (vec![f("price", Operator::Lte, json!(10))], Box::new(|r| price(r).is_some_and(|p| p <= 10.0))),
        (vec![f("price", Operator::IsNull, json!(true))], Box::new(|r| price(r).is_none())),
        (vec![f("price", Operator::Between, json!([20, 30]))], Box::new(|r| price(r).is_some_and(|p| (20.0..=30.0).contains(&p)))),
        (vec![f("qty", Operator::In, json!([1, 2, 3]))], Box::new(|r| [1, 2, 3].contains(&r.column_values["qty"].as_i64().unwrap_or(-1)))),
        (vec![f("qty", Operator::NotIn, json!([0]))], Box::new(|r| r.column_values["qty"].as_i64() != Some(0))),
        (vec![f("qty", Operator::Ne, json!(4)), f("is_active", Operator::Eq, json!(true))], Box::new(|r| r.column_values["qty"].as_i64() != Some(4) && r.is_active)),
        (vec![f("name", Operator::Contains, json!("LAMP"))], Box::new(|r| r.column_values["name"].as_str().is_some_and(|n| n.contains("lamp")))),
        (vec![f("name", Operator::StartsWith, json!("Item 1"))], Box::new(|r| r.column_values["name"].as_str().is_some_and(|n| n.starts_with("Item 1")))),
        (vec![f("code", Operator::Gte, json!("P0290"))], Box::new(|r| r.code.as_str() >= "P0290")),
        (vec![f("since", Operator::Lt, json!("2024-02-01"))], Box::new(|r| r.column_values["since"].as_str().is_some_and(|d| d < "2024-02-01"))),
        (vec![f("ext.colour", Operator::Eq, json!("red"))], Box::new(|r| r.extended_properties["colour"] == json!("red"))),
        (vec![f("ext.size", Operator::Gte, json!(2))], Box::new(|r| r.extended_properties["size"].as_i64().is_some_and(|x| x >= 2))),
        (vec![f("ext.colour", Operator::In, json!(["green", "blue"]))], Box::new(|r| r.extended_properties["colour"] != json!("red"))),
        (vec![f("ext.missing", Operator::IsNull, json!(true))], Box::new(|_| true)),
    ];
    for (filters, pred) in cases {
        let want: BTreeSet<String> = everything.iter().filter(|r| pred(r)).map(|r| r.code.clone()).collect();
        let got = all_pages(&s, &u, RowQuery { filters: filters.clone(), page_size: Some(17), ..Default::default() }).await?;
        let codes: Vec<String> = got.iter().map(|r| r.code.clone()).collect();
        assert_eq!(codes.iter().cloned().collect::<BTreeSet<_>>(), want, "{filters:?}");
        assert_eq!(codes.len(), want.len(), "no row twice: {filters:?}");
        assert!(!want.is_empty() || filters[0].field == "x", "{filters:?} matches something");
    }
    // Sorted on a nullable column, both ways, in pages of 7: the order is the sort's, every row once.
    for direction in [Direction::Asc, Direction::Desc] {
        let q = RowQuery { sorting: vec![Sort { field: "price".into(), direction }, Sort { field: "code".into(), direction: Direction::Desc }], page_size: Some(7), ..Default::default() };
        let got = all_pages(&s, &u, q).await?;
        assert_eq!(got.len(), 300, "{direction:?}");
        assert_eq!(got.iter().map(|r| r.code.clone()).collect::<BTreeSet<_>>().len(), 300);
        let prices: Vec<Option<f64>> = got.iter().map(price).collect();
        let mut sorted = prices.clone();
        // PostgreSQL: ascending puts nulls last, descending first.
        sorted.sort_by(|a, b| match (a, b) {
            (None, None) => std::cmp::Ordering::Equal,
            (None, _) => std::cmp::Ordering::Greater,
            (_, None) => std::cmp::Ordering::Less,
            (Some(x), Some(y)) => x.total_cmp(y),
        });
        if direction == Direction::Desc {
            sorted.reverse();
        }
        assert_eq!(prices, sorted, "{direction:?}");
    }
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn a_grid_jumps_by_offset_and_from_the_end_to_the_same_rows_the_pages_give(pool: PgPool) -> anyhow::Result<()> {
    let (s, u) = (store(&pool).await?, admin(&pool).await?);
    products(&s, &u).await?;
    // Sorted on a nullable column, descending then by code: nulls and ties included.
    let sorting = vec![Sort { field: "price".into(), direction: Direction::Desc }, Sort { field: "code".into(), direction: Direction::Asc }];
    let filters = vec![f("qty", Operator::Ne, json!(4))];
    let all = all_pages(&s, &u, RowQuery { filters: filters.clone(), sorting: sorting.clone(), page_size: Some(50), ..Default::default() }).await?;
    let codes = |rows: &[RowData]| rows.iter().map(|r| r.code.clone()).collect::<Vec<_>>();
    assert_eq!(query::count_rows(&s, &u, "PRODUCTS", &filters, None).await?, all.len() as i64);
    // Search: every word somewhere in the row's text, counted and paged alike.
    let lamps = all_pages(&s, &u, RowQuery { filters: filters.clone(), search: Some("lamp item".into()), page_size: Some(13), ..Default::default() }).await?;
    let want: Vec<String> = all.iter().filter(|r| r.column_values["name"].as_str().is_some_and(|n| n.to_lowercase().contains("lamp") && n.to_lowercase().contains("item"))).map(|r| r.code.clone()).collect();
    assert!(!want.is_empty());
    assert_eq!(codes(&lamps).into_iter().collect::<BTreeSet<_>>(), want.into_iter().collect::<BTreeSet<_>>());
    assert_eq!(query::count_rows(&s, &u, "PRODUCTS", &filters, Some("LAMP item")).await?, lamps.len() as i64);
    assert_eq!(query::count_rows(&s, &u, "PRODUCTS", &filters, Some("100%_")).await?, 0, "wildcards are literal");
    for offset in [0usize, 1, 37, 100, all.len() - 20] {
        let q = RowQuery { filters: filters.clone(), sorting: sorting.clone(), page_size: Some(20), offset: Some(offset as i64), ..Default::default() };
        let page = query::query_rows(&s, &u, "PRODUCTS", &q).await?;
        assert_eq!(codes(&page.rows), codes(&all[offset..(offset + 20).min(all.len())]), "offset {offset}");
        assert!(offset == 0 || page.next_key_set.is_none(), "no cursor for an offset page");
        let q = RowQuery { filters: filters.clone(), sorting: sorting.clone(), page_size: Some(20), offset: Some(offset as i64), from_end: true, ..Default::default() };
        let page = query::query_rows(&s, &u, "PRODUCTS", &q).await?;
        let end = all.len() - offset;
        assert_eq!(codes(&page.rows), codes(&all[end.saturating_sub(20)..end]), "from the end, offset {offset}");
    }
    let bad = RowQuery { offset: Some(-1), ..Default::default() };
    assert!(query::query_rows(&s, &u, "PRODUCTS", &bad).await.is_err());
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn injection_attempts_through_fields_values_paths_and_sorts_do_nothing(pool: PgPool) -> anyhow::Result<()> {
    let (s, u) = (store(&pool).await?, admin(&pool).await?);
    products(&s, &u).await?;
    let hostile = [
        "price; DROP TABLE users; --",
        "code) OR 1=1 --",
        "\"price\"",
        "price' OR '1'='1",
        "ext.colour') OR ('1'='1",
        "ext.x'}'; DELETE FROM users; --",
        "id = id OR true",
        "pg_sleep(5)",
    ];
    for field in hostile {
        let q = RowQuery { filters: vec![f(field, Operator::Eq, json!("x"))], ..Default::default() };
        match query::query_rows(&s, &u, "PRODUCTS", &q).await {
            Err(e) => assert!(matches!(e.code(), ErrorCode::FieldUnknown | ErrorCode::ValueInvalid), "{field}: {e:?}"),
            // An ext path is a bound parameter: it names a key nobody has, so nothing matches.
            Ok(page) => assert!(page.rows.is_empty() && field.starts_with("ext."), "{field}"),
        }
        let q = RowQuery { sorting: vec![Sort { field: field.into(), direction: Direction::Asc }], ..Default::default() };
        assert!(query::query_rows(&s, &u, "PRODUCTS", &q).await.is_err(), "sort {field}");
    }
    for value in [json!("' OR '1'='1"), json!("x'); DROP TABLE users; --"), json!(["a", "') OR 1=1 --"])] {
        for (field, op) in [("name", Operator::Eq), ("code", Operator::In), ("ext.colour", Operator::Eq), ("name", Operator::Contains)] {
            let v = if op == Operator::In { json!([value.clone()]) } else { value.clone() };
            let res = query::query_rows(&s, &u, "PRODUCTS", &RowQuery { filters: vec![f(field, op, v)], ..Default::default() }).await;
            assert!(res.map(|p| p.rows.is_empty()).unwrap_or(true), "{field} {op:?} {value}");
        }
    }
    let q = RowQuery { next_key_set: Some("KTsgRFJPUCBUQUJMRSB1c2VyczsgLS0".into()), ..Default::default() };
    assert_eq!(query::query_rows(&s, &u, "PRODUCTS", &q).await.err().map(|e| e.code()), Some(ErrorCode::InvalidInput));
    assert_eq!(read::get_row(&s, &u, "users", uuid::Uuid::now_v7()).await.err().map(|e| e.code()), Some(ErrorCode::LogicalTableNotFound));
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(&pool).await?;
    let products: i64 = query::list_rows(&s, &u, "PRODUCTS", Some(1000), None).await?.rows.len() as i64;
    assert_eq!((users, products), (1, 300), "nothing dropped or deleted");
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn a_hierarchy_has_parents_in_its_table_and_no_cycles(pool: PgPool) -> anyhow::Result<()> {
    let (s, u) = (store(&pool).await?, admin(&pool).await?);
    let t = tables::create_table(&s, &u, &NewLogicalTable { is_hierarchical: true, ..new_table("ACCOUNTS") }).await?;
    let root = rows::create_row(&s, &u, "ACCOUNTS", RowInput { code: Some("1".into()), ..Default::default() }).await?;
    let child = rows::create_row(&s, &u, "ACCOUNTS", RowInput { code: Some("10".into()), parent_row_id: Some(Some(root.id)), ..Default::default() }).await?;
    let grandchild = rows::create_row(&s, &u, "ACCOUNTS", RowInput { code: Some("100".into()), parent_row_id: Some(Some(child.id)), ..Default::default() }).await?;
    let cycle = RowPatch { version: root.version, fields: RowInput { parent_row_id: Some(Some(grandchild.id)), ..Default::default() } };
    assert_eq!(rows::update_row(&s, &u, "ACCOUNTS", root.id, cycle).await.err().map(|e| e.code()), Some(ErrorCode::ParentInvalid));
    let own = RowPatch { version: root.version, fields: RowInput { parent_row_id: Some(Some(root.id)), ..Default::default() } };
    assert_eq!(rows::update_row(&s, &u, "ACCOUNTS", root.id, own).await.err().map(|e| e.code()), Some(ErrorCode::ParentInvalid));
    let stranger = RowInput { code: Some("2".into()), parent_row_id: Some(Some(uuid::Uuid::now_v7())), ..Default::default() };
    assert_eq!(rows::create_row(&s, &u, "ACCOUNTS", stranger).await.err().map(|e| e.code()), Some(ErrorCode::ParentInvalid));
    assert_eq!(rows::delete_row(&s, &u, "ACCOUNTS", child.id, None).await.err().map(|e| e.code()), Some(ErrorCode::RowReferenced));
    rows::delete_row(&s, &u, "ACCOUNTS", grandchild.id, None).await?;
    rows::delete_row(&s, &u, "ACCOUNTS", child.id, None).await?;
    let flat = LogicalTablePatch { is_hierarchical: Some(false), ..Default::default() };
    tables::update_table(&s, &u, t.id, &flat).await?;
    let parented = RowInput { code: Some("3".into()), parent_row_id: Some(Some(root.id)), ..Default::default() };
    assert_eq!(rows::create_row(&s, &u, "ACCOUNTS", parented).await.err().map(|e| e.code()), Some(ErrorCode::ParentInvalid));
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn a_read_after_a_write_through_another_server_is_never_stale(pool: PgPool) -> anyhow::Result<()> {
    let u = admin(&pool).await?;
    // Two processes: separate definition caches, the same Redis.
    let (a, b) = (store(&pool).await?, store(&pool).await?);
    let t = tables::create_table(&a, &u, &NewLogicalTable { cache_policy: CachePolicy::IndividualRows, ..new_table("RATES") }).await?;
    bind(&a, &u, t.id, "rate", DataType::Decimal, false).await?;
    let r = rows::create_row(&a, &u, "RATES", RowInput { code: Some("EUR".into()), column_values: json!({"rate": 1.1}).as_object().cloned().unwrap_or_default(), ..Default::default() }).await?;
    for i in 0..20 {
        // Warm both caches, write through A, read through B.
        let seen_a = read::get_row(&a, &u, "RATES", r.id).await?;
        read::get_row(&b, &u, "RATES", r.id).await?;
        let rate = 1.0 + i as f64 / 100.0;
        let patch = RowPatch { version: seen_a.version, fields: RowInput { column_values: json!({"rate": rate}).as_object().cloned().unwrap_or_default(), ..Default::default() } };
        rows::update_row(&a, &u, "RATES", r.id, patch).await?;
        let seen_b = read::get_row(&b, &u, "RATES", r.id).await?;
        assert_eq!(seen_b.column_values["rate"].as_f64(), Some(rate), "round {i}");
    }
    // A schema change through A is seen by B's next write.
    bind(&a, &u, t.id, "source", DataType::String, false).await?;
    let current = read::get_row(&b, &u, "RATES", r.id).await?;
    let patch = RowPatch { version: current.version, fields: RowInput { column_values: json!({"source": "ECB"}).as_object().cloned().unwrap_or_default(), ..Default::default() } };
    let written = rows::update_row(&b, &u, "RATES", r.id, patch).await?;
    assert_eq!(written.column_values.get("source"), Some(&json!("ECB")), "B knows the new column");
    // The outbox holds one event per change, and processing takes them all.
    let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM domain_events WHERE processed_at IS NULL").fetch_one(&pool).await?;
    assert_eq!(pending, 22, "one create, twenty updates and one more update");
    let redis = support::redis().await?;
    assert_eq!(engine::events::outbox::process(&pool, Some(&redis)).await?, 22, "one table's events in one round");
    assert_eq!(engine::events::outbox::process(&pool, Some(&redis)).await?, 0);
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn readers_without_the_permission_or_a_grant_are_refused(pool: PgPool) -> anyhow::Result<()> {
    let (s, u) = (store(&pool).await?, admin(&pool).await?);
    let t = tables::create_table(&s, &u, &new_table("SECRET")).await?;
    sqlx::query("INSERT INTO roles (name, description) VALUES ('outsider', 'no global table rights')").execute(&pool).await?;
    let name = Username::parse("otto.outsider")?;
    let otto = create_user(&pool, &name, &Password::parse("a long enough secret", &name)?, Role::Viewer).await?;
    sqlx::query("DELETE FROM role_assignments WHERE user_id = $1").bind(otto.id).execute(&pool).await?;
    sqlx::query("INSERT INTO role_assignments (user_id, role) VALUES ($1, 'outsider')").bind(otto.id).execute(&pool).await?;
    let otto = engine::auth::rbac::load_user(&pool, otto.id).await?.ok_or_else(|| anyhow::anyhow!("otto"))?;
    let r = rows::create_row(&s, &u, "SECRET", RowInput { code: Some("S1".into()), ..Default::default() }).await?;
    assert!(matches!(read::get_row(&s, &otto, "SECRET", r.id).await, Err(EngineError::Forbidden(_))));
    assert!(tables::list_tables(&s, &otto).await?.is_empty());
    tables::grant(&s, &u, t.id, &engine::eav::TableGrant { role: "outsider".into(), permission: "table:read".into() }).await?;
    assert_eq!(read::get_row(&s, &otto, "SECRET", r.id).await?.code, "S1");
    assert_eq!(tables::list_tables(&s, &otto).await?.len(), 1);
    assert!(matches!(rows::create_row(&s, &otto, "SECRET", RowInput { code: Some("S2".into()), ..Default::default() }).await, Err(EngineError::Forbidden(_))));
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn a_full_table_cache_serves_pages_until_any_server_writes(pool: PgPool) -> anyhow::Result<()> {
    let u = admin(&pool).await?;
    let (a, b) = (store(&pool).await?, store(&pool).await?);
    tables::create_table(&a, &u, &NewLogicalTable { cache_policy: CachePolicy::FullTable, ..new_table("COUNTRIES") }).await?;
    for code in ["ES", "FR", "PT"] {
        rows::create_row(&a, &u, "COUNTRIES", RowInput { code: Some(code.into()), ..Default::default() }).await?;
    }
    let codes = |p: engine::eav::RowPage| p.rows.into_iter().map(|r| r.code).collect::<Vec<_>>();
    assert_eq!(codes(query::list_rows(&a, &u, "COUNTRIES", Some(10), None).await?), ["ES", "FR", "PT"]);
    // Cached now: a row written behind the store's back (not through it) is not seen…
    sqlx::query(sql(&format!("UPDATE {} SET code = 'XX' WHERE code = 'PT'", a.table("COUNTRIES").await?.physical()))).execute(&pool).await?;
    assert_eq!(codes(query::list_rows(&b, &u, "COUNTRIES", Some(10), None).await?), ["ES", "FR", "PT"], "served from the cache");
    // …until a write through any server raises the generation.
    rows::create_row(&b, &u, "COUNTRIES", RowInput { code: Some("IT".into()), ..Default::default() }).await?;
    assert_eq!(codes(query::list_rows(&a, &u, "COUNTRIES", Some(10), None).await?), ["ES", "FR", "IT", "XX"]);
    Ok(())
}

/// Test-made SQL (a table name from its id).
fn sql(s: &str) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(s.to_string())
}
