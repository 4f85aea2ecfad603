//! Changes to a governed table's schema after it holds rows, against real PostgreSQL: a column's
//! type changed where every value survives (and refused, naming the rows, where one would not),
//! and grid views saved per reader and shared.

mod support;

use engine::auth::{Password, Role, Username, create_user};
use engine::eav::schema::{columns, constraints, properties, tables};
use engine::eav::{
    CachePolicy, ColumnPatch, ConstraintType, DataType, Filter, MaskingRule, NewColumn, NewConstraint, NewLogicalTable, NewProperty, OnDelete, Operator,
    RowInput, RowQuery, ViewSpec, query, read, rows, views,
};
use engine::{EngineError, ErrorCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use support::{admin, eav_store as store};

fn column(name: &str, ty: DataType) -> NewColumn {
    NewColumn { column_name: name.into(), data_type: ty, description: String::new(), enum_values: vec![], reference_table_id: None, default_value: None, masking_rule: MaskingRule::None }
}

fn binding(t: uuid::Uuid, c: uuid::Uuid) -> NewProperty {
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

fn row(code: &str, field: &str, v: Value) -> RowInput {
    let mut column_values = serde_json::Map::new();
    column_values.insert(field.into(), v);
    RowInput { code: Some(code.into()), column_values, ..Default::default() }
}

fn retype(ty: DataType) -> ColumnPatch {
    ColumnPatch { data_type: Some(ty), ..Default::default() }
}

async fn value_of(s: &engine::eav::Store, u: &engine::auth::CurrentUser, id: uuid::Uuid, field: &str) -> anyhow::Result<Value> {
    Ok(read::get_row(s, u, "ITEMS", id).await?.column_values.get(field).cloned().unwrap_or(Value::Null))
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn a_column_changes_type_only_when_every_value_survives(pool: PgPool) -> anyhow::Result<()> {
    let s = store(&pool).await?;
    let u = admin(&pool).await?;
    let t = tables::create_table(&s, &u, &NewLogicalTable { table_name: "ITEMS".into(), description: String::new(), is_hierarchical: false, cache_policy: CachePolicy::None }).await?;
    let qty = columns::create_column(&s, &u, &column("qty", DataType::String)).await?;
    properties::create_property(&s, &u, &binding(t.id, qty.id)).await?;
    let a = rows::create_row(&s, &u, "ITEMS", row("A", "qty", json!(" 12 "))).await?;
    let b = rows::create_row(&s, &u, "ITEMS", row("B", "qty", json!("n/a"))).await?;
    rows::create_row(&s, &u, "ITEMS", RowInput { code: Some("C".into()), ..Default::default() }).await?;

    // Text to a number: "n/a" would not survive, so nothing changes and B is named.
    match columns::update_column(&s, &u, qty.id, &retype(DataType::Int)).await {
        Err(EngineError::Data(engine::eav::DataError::ValuesNotConvertible { count, examples, to, .. })) => {
            assert_eq!((count, to.as_str()), (1, "Int"));
            assert_eq!(examples.iter().map(|e| (e.code.as_str(), e.value.clone())).collect::<Vec<_>>(), vec![("B", json!("n/a"))]);
        }
        other => panic!("expected column_values_not_convertible, got {other:?}"),
    }
    assert_eq!(columns::get_column(&s, &u, qty.id).await?.data_type, DataType::String);
    assert_eq!(value_of(&s, &u, a.id, "qty").await?, json!(" 12 "));

    // Fixed, it goes through: the value is a number now, and numbers filter as numbers.
    rows::update_row(&s, &u, "ITEMS", b.id, engine::eav::RowPatch { version: b.version, fields: row("B", "qty", json!("7")) }).await?;
    let changed = columns::update_column(&s, &u, qty.id, &retype(DataType::Int)).await?;
    assert_eq!(changed.data_type, DataType::Int);
    assert_eq!(value_of(&s, &u, a.id, "qty").await?, json!(12));
    let big = RowQuery { filters: vec![Filter { field: "qty".into(), operator: Operator::Gt, value: json!(9) }], ..Default::default() };
    assert_eq!(query::query_rows(&s, &u, "ITEMS", &big).await?.rows.iter().map(|r| r.code.clone()).collect::<Vec<_>>(), vec!["A"]);
    let one = RowQuery { filters: vec![Filter { field: "id".into(), operator: Operator::Eq, value: json!(b.id.to_string()) }], ..Default::default() };
    assert_eq!(query::count_rows(&s, &u, "ITEMS", &one.filters, None).await?, 1, "a row found by its id (a Reference link)");
    assert_eq!(query::query_rows(&s, &u, "ITEMS", &one).await?.rows.iter().map(|r| r.code.clone()).collect::<Vec<_>>(), vec!["B"]);
    let bad = rows::create_row(&s, &u, "ITEMS", row("D", "qty", json!("many"))).await;
    assert!(matches!(bad, Err(EngineError::Data(_))), "a word is no Int any more: {bad:?}");

    // Widening needs no look at the rows; a time to a date would lose the time and is refused.
    assert_eq!(columns::update_column(&s, &u, qty.id, &retype(DataType::Decimal)).await?.data_type, DataType::Decimal);
    assert_eq!(columns::update_column(&s, &u, qty.id, &retype(DataType::String)).await?.data_type, DataType::String);
    assert_eq!(value_of(&s, &u, b.id, "qty").await?, json!("7"));
    let when = columns::create_column(&s, &u, &column("at", DataType::DateTime)).await?;
    properties::create_property(&s, &u, &binding(t.id, when.id)).await?;
    let e = columns::update_column(&s, &u, when.id, &retype(DataType::Date)).await.err().map(|e| e.code());
    assert_eq!(e, Some(ErrorCode::InvalidInput));

    // To an Enum: every value must be one of its values.
    let mut to_enum = retype(DataType::Enum);
    to_enum.enum_values = Some(vec!["12".into()]);
    let e = columns::update_column(&s, &u, qty.id, &to_enum).await.err().map(|e| e.code());
    assert_eq!(e, Some(ErrorCode::ColumnValuesNotConvertible));
    to_enum.enum_values = Some(vec!["12".into(), "7".into()]);
    assert_eq!(columns::update_column(&s, &u, qty.id, &to_enum).await?.enum_values, vec!["12", "7"]);

    // A check that reads the column would change meaning: refused until it goes.
    let check = NewConstraint {
        logical_table_id: t.id,
        constraint_name: "qty_known".into(),
        constraint_type: ConstraintType::Check,
        columns: vec![],
        json_paths: vec![],
        is_case_sensitive: true,
        on_delete: OnDelete::Restrict,
        check_expression: Some("qty is null or qty != 'x'".into()),
        error_message: Some("qty cannot be x".into()),
        is_active: true,
        soft: false,
    };
    constraints::create_constraint(&s, &u, &check).await?;
    let e = columns::update_column(&s, &u, qty.id, &retype(DataType::String)).await.err().map(|e| e.code());
    assert_eq!(e, Some(ErrorCode::SchemaInUse));
    let history = tables::table_history(&s, &u, t.id).await?;
    assert!(history.iter().filter(|h| h.entity == "column" && h.action == "update").count() >= 4, "each change is in the history");
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn grid_views_are_a_readers_own_unless_shared(pool: PgPool) -> anyhow::Result<()> {
    let s = store(&pool).await?;
    let ada = admin(&pool).await?;
    let name = Username::parse("bob.user")?;
    let bob = create_user(&pool, &name, &Password::parse("another long secret", &name)?, Role::Analyst).await?;
    tables::create_table(&s, &ada, &NewLogicalTable { table_name: "ITEMS".into(), description: String::new(), is_hierarchical: false, cache_policy: CachePolicy::None }).await?;
    let spec = ViewSpec { search: "tornillo".into(), ..Default::default() };
    views::save(&s, &ada, "ITEMS", "mine", &spec, false).await?;
    views::save(&s, &ada, "ITEMS", "team", &ViewSpec::default(), true).await?;
    // Saving a name again replaces it.
    views::save(&s, &ada, "ITEMS", "mine", &ViewSpec { search: "tuerca".into(), ..Default::default() }, false).await?;
    let own = views::list(&s, &ada, "ITEMS").await?;
    assert_eq!(own.iter().map(|v| (v.name.as_str(), v.mine, v.spec.search.as_str())).collect::<Vec<_>>(), vec![("mine", true, "tuerca"), ("team", true, "")]);
    let seen = views::list(&s, &bob, "ITEMS").await?;
    assert_eq!(seen.iter().map(|v| (v.name.as_str(), v.mine, v.owner.as_str())).collect::<Vec<_>>(), vec![("team", false, "ada.admin")]);
    // Bob removing "team" removes only a view of his own of that name: there is none.
    views::remove(&s, &bob, "ITEMS", "team").await?;
    assert_eq!(views::list(&s, &ada, "ITEMS").await?.len(), 2);
    let e = views::save(&s, &ada, "ITEMS", "   ", &ViewSpec::default(), false).await.err().map(|e| e.code());
    assert_eq!(e, Some(ErrorCode::InvalidInput));
    Ok(())
}
