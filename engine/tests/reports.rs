//! Reports against real PostgreSQL and Redis: ratio-of-sums metrics and date buckets on a fixture
//! computed by hand, SQL injection through every value, parameter, field, sort and formula, report
//! permissions and versions, and shared links that refuse alike when expired, revoked, rotated or
//! given a wrong password.

mod support;

use engine::auth::{CurrentUser, Password, Role, Username, create_user};
use engine::eav::schema::{columns, properties, tables};
use engine::eav::{CachePolicy, DataType, MaskingRule, NewColumn, NewLogicalTable, NewProperty, RowInput, Store, rows};
use engine::reports::execute::{Runner, execute};
use engine::reports::{
    Aggregate, AggregateFn, Bucket, Derived, ExecuteRequest, FilterMode, GroupBy, NewLink, NewReport, Operator, Pagination, ReportFilter, ReportGrant,
    ReportSort, ReportSpec, SortDirection, Source, links, store,
};
use engine::{EngineError, ErrorCode};
use serde_json::{Map, Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use support::{admin, eav_store};

async fn sales(s: &Store, u: &CurrentUser) -> anyhow::Result<()> {
    let t = tables::create_table(s, u, &NewLogicalTable { table_name: "SALES".into(), description: String::new(), is_hierarchical: false, cache_policy: CachePolicy::None }).await?;
    for (name, ty, masking) in [
        ("day", DataType::Date, MaskingRule::None),
        ("channel", DataType::String, MaskingRule::None),
        ("cost", DataType::Decimal, MaskingRule::None),
        ("revenue", DataType::Decimal, MaskingRule::None),
        ("leads", DataType::Int, MaskingRule::None),
        ("iban", DataType::String, MaskingRule::Last4),
    ] {
        let c = columns::create_column(s, u, &NewColumn { column_name: name.into(), data_type: ty, description: String::new(), enum_values: vec![], reference_table_id: None, default_value: None, masking_rule: masking }).await?;
        let p = NewProperty { logical_table_id: t.id, column_definition_id: c.id, display_order: 0, is_mandatory: false, is_value_unique: false, is_indexed: false, validation_rule_type: None, validation_parameters: Value::Null, soft: false };
        properties::create_property(s, u, &p).await?;
    }
    // January: ratios 3.0 and 1.0, but revenue over cost is 60 / 40 = 1.5 (a ratio of sums, not
    // the 2.0 an average of ratios would give).
    let lines = [
        ("S1", "2026-01-05", "search", 10.0, 30.0, 2),
        ("S2", "2026-01-20", "search", 30.0, 30.0, 0),
        ("S3", "2026-02-03", "social", 20.0, 0.0, 4),
        ("S4", "2026-02-10", "search", 0.0, 0.0, 0),
        ("S5", "2026-04-01", "social", 40.0, 20.0, 1),
    ];
    for (code, day, channel, cost, revenue, leads) in lines {
        let mut v = Map::new();
        v.insert("day".into(), json!(day));
        v.insert("channel".into(), json!(channel));
        v.insert("cost".into(), json!(cost));
        v.insert("revenue".into(), json!(revenue));
        v.insert("leads".into(), json!(leads));
        v.insert("iban".into(), json!("ES7620770024003102575766"));
        rows::create_row(s, u, "SALES", RowInput { code: Some(code.into()), column_values: v, ..Default::default() }).await?;
    }
    Ok(())
}

fn agg(func: AggregateFn, field: Option<&str>, alias: &str) -> Aggregate {
    Aggregate { func, field: field.map(str::to_string), alias: alias.into() }
}

fn by_month() -> ReportSpec {
    ReportSpec {
        source: Source::Table { table: "SALES".into() },
        columns: vec![],
        filters: vec![],
        group_by: vec![GroupBy { field: "day".into(), bucket: Some(Bucket::Month) }],
        aggregates: vec![
            agg(AggregateFn::Sum, Some("cost"), "cost"),
            agg(AggregateFn::Sum, Some("revenue"), "revenue"),
            agg(AggregateFn::Count, None, "n"),
            agg(AggregateFn::Share, None, "share"),
        ],
        derived: vec![Derived { alias: "roas".into(), formula: "revenue / cost".into() }],
        sort: vec![],
        limit: None,
        chart: None,
    }
}

fn run(id: Uuid, params: Value) -> ExecuteRequest {
    ExecuteRequest {
        report_id: id,
        version: None,
        parameters: params.as_object().cloned().unwrap_or_default(),
        fields: vec![],
        pagination: Pagination { page_size: 100, page_number: None, cursor: None },
        sorting: vec![],
    }
}

/// The answer's rows as (key, numbers) for comparing with the hand-made figures.
fn table(data: &[Map<String, Value>], key: &str, cols: &[&str]) -> Vec<(String, Vec<Option<f64>>)> {
    data.iter().map(|r| (r[key].as_str().unwrap_or_default().to_string(), cols.iter().map(|c| r.get(*c).and_then(Value::as_f64)).collect())).collect()
}

fn close(a: &[(String, Vec<Option<f64>>)], b: &[(&str, Vec<Option<f64>>)]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|((ka, va), (kb, vb))| {
            ka == kb && va.len() == vb.len() && va.iter().zip(vb).all(|(x, y)| match (x, y) {
                (Some(x), Some(y)) => (x - y).abs() < 1e-9,
                (None, None) => true,
                _ => false,
            })
        })
}

async fn new_report(s: &Store, u: &CurrentUser, name: &str, spec: ReportSpec) -> anyhow::Result<Uuid> {
    Ok(store::create(s, u, &NewReport { name: name.into(), description: String::new(), spec, change_description: None }).await?.id)
}

fn code<T: std::fmt::Debug>(r: Result<T, EngineError>) -> Option<ErrorCode> {
    r.err().map(|e| e.code())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn ratios_of_sums_and_date_buckets_match_the_figures_worked_by_hand(pool: PgPool) -> anyhow::Result<()> {
    let s = eav_store(&pool).await?;
    let u = admin(&pool).await?;
    sales(&s, &u).await?;
    let me = Runner::User(u.clone());

    let id = new_report(&s, &u, "By month", by_month()).await?;
    let got = execute(&s, &me, &run(id, json!({}))).await?;
    let want = [
        ("2026-01-01", vec![Some(40.0), Some(60.0), Some(2.0), Some(0.4), Some(1.5)]),
        ("2026-02-01", vec![Some(20.0), Some(0.0), Some(2.0), Some(0.4), Some(0.0)]),
        ("2026-04-01", vec![Some(40.0), Some(20.0), Some(1.0), Some(0.2), Some(0.5)]),
    ];
    let seen = table(&got.data, "day", &["cost", "revenue", "n", "share", "roas"]);
    assert!(close(&seen, &want), "{seen:?}");
    assert_eq!(got.metadata.total_rows, 3);
    assert_eq!(got.metadata.fields.iter().map(|f| (f.name.as_str(), f.ty.as_str())).collect::<Vec<_>>()[..2], [("day", "date"), ("cost", "number")]);

    // Quarters and ISO weeks (Monday first); a zero denominator is null, never NaN or infinity.
    let mut q = by_month();
    q.group_by[0].bucket = Some(Bucket::Quarter);
    let id = new_report(&s, &u, "By quarter", q).await?;
    let seen = table(&execute(&s, &me, &run(id, json!({}))).await?.data, "day", &["cost", "revenue", "roas"]);
    assert!(close(&seen, &[("2026-01-01", vec![Some(60.0), Some(60.0), Some(1.0)]), ("2026-04-01", vec![Some(40.0), Some(20.0), Some(0.5)])]), "{seen:?}");
    let mut w = by_month();
    w.group_by[0].bucket = Some(Bucket::Week);
    w.filters = vec![ReportFilter { field: "day".into(), operator: Operator::Between, value: json!(["2026-01-01", "2026-02-28"]), mode: FilterMode::Fixed }];
    let id = new_report(&s, &u, "By week", w).await?;
    let seen = table(&execute(&s, &me, &run(id, json!({}))).await?.data, "day", &["cost", "roas"]);
    let want = [
        ("2026-01-05", vec![Some(10.0), Some(3.0)]),
        ("2026-01-19", vec![Some(30.0), Some(1.0)]),
        ("2026-02-02", vec![Some(20.0), Some(0.0)]),
        ("2026-02-09", vec![Some(0.0), None]),
    ];
    assert!(close(&seen, &want), "{seen:?}");

    // By channel with a parameter; share of a field's sum; sorted by a metric.
    let by_channel = ReportSpec {
        group_by: vec![GroupBy { field: "channel".into(), bucket: None }],
        aggregates: vec![agg(AggregateFn::Sum, Some("cost"), "cost"), agg(AggregateFn::Share, Some("cost"), "cost_share"), agg(AggregateFn::CountDistinct, Some("day"), "days")],
        derived: vec![Derived { alias: "cpl".into(), formula: "cost / leads_total".into() }],
        sort: vec![ReportSort { field: "cost".into(), direction: SortDirection::Desc }],
        filters: vec![ReportFilter { field: "leads".into(), operator: Operator::Gte, value: Value::Null, mode: FilterMode::Parameter }],
        ..by_month()
    };
    let mut by_channel = by_channel;
    by_channel.aggregates.push(agg(AggregateFn::Sum, Some("leads"), "leads_total"));
    let id = new_report(&s, &u, "By channel", by_channel).await?;
    let seen = table(&execute(&s, &me, &run(id, json!({}))).await?.data, "channel", &["cost", "cost_share", "days", "cpl"]);
    assert!(close(&seen, &[("social", vec![Some(60.0), Some(0.6), Some(2.0), Some(12.0)]), ("search", vec![Some(40.0), Some(0.4), Some(3.0), Some(20.0)])]), "{seen:?}");
    let seen = table(&execute(&s, &me, &run(id, json!({ "leads": 1 }))).await?.data, "channel", &["cost", "cost_share"]);
    assert!(close(&seen, &[("social", vec![Some(60.0), Some(60.0 / 70.0)]), ("search", vec![Some(10.0), Some(10.0 / 70.0)])]), "{seen:?}");

    // A second version; the first stays runnable by number; a version never made is 400.
    let mut v2 = by_month();
    v2.derived.clear();
    store::update(&s, &u, id, &NewReport { name: "By channel".into(), description: String::new(), spec: v2, change_description: Some("by month".into()) }).await?;
    let mut old = run(id, json!({}));
    old.version = Some(1);
    assert_eq!(execute(&s, &me, &old).await?.metadata.version, 1);
    assert_eq!(execute(&s, &me, &run(id, json!({}))).await?.metadata.version, 2);
    old.version = Some(9);
    assert_eq!(code(execute(&s, &me, &old).await), Some(ErrorCode::ReportVersionInvalid));

    // A masked column is refused in any part of a spec.
    let mut masked = by_month();
    masked.aggregates.push(agg(AggregateFn::CountDistinct, Some("iban"), "accounts"));
    let r = store::create(&s, &u, &NewReport { name: "x".into(), description: String::new(), spec: masked, change_description: None }).await;
    assert_eq!(code(r), Some(ErrorCode::ReportFieldMasked));
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn injection_through_values_parameters_fields_sorts_and_formulas_does_nothing(pool: PgPool) -> anyhow::Result<()> {
    let s = eav_store(&pool).await?;
    let u = admin(&pool).await?;
    sales(&s, &u).await?;
    let me = Runner::User(u.clone());
    let attacks = ["x'; DROP TABLE users; --", "' OR '1'='1", "\"; DELETE FROM reports; --", "search') OR ('a'='a", "1); SELECT pg_sleep(5); --"];
    let mut spec = by_month();
    spec.filters = vec![
        ReportFilter { field: "channel".into(), operator: Operator::Eq, value: Value::Null, mode: FilterMode::Parameter },
        ReportFilter { field: "channel".into(), operator: Operator::Ne, value: json!("x' OR 1=1 --"), mode: FilterMode::Fixed },
    ];
    let id = new_report(&s, &u, "Guarded", spec.clone()).await?;
    for a in attacks {
        let got = execute(&s, &me, &run(id, json!({ "channel": a }))).await?;
        assert_eq!(got.data.len(), 0, "{a} matched rows");
        let got = execute(&s, &me, &run(id, json!({ "channel": [a] }))).await;
        assert!(got.is_err() || got.is_ok_and(|g| g.data.is_empty()), "{a} as a list");
        // Every name: field, group-by, alias, sort, formula, sorting and fields of a run.
        let mut bad = spec.clone();
        bad.group_by[0].field = a.into();
        assert_eq!(code(store::create(&s, &u, &NewReport { name: "g".into(), description: String::new(), spec: bad, change_description: None }).await), Some(ErrorCode::ReportSpecInvalid));
        let mut bad = spec.clone();
        bad.aggregates[0].alias = a.into();
        assert_eq!(code(store::create(&s, &u, &NewReport { name: "a".into(), description: String::new(), spec: bad, change_description: None }).await), Some(ErrorCode::ReportSpecInvalid));
        let mut bad = spec.clone();
        bad.sort = vec![ReportSort { field: a.into(), direction: SortDirection::Asc }];
        assert_eq!(code(store::create(&s, &u, &NewReport { name: "s".into(), description: String::new(), spec: bad, change_description: None }).await), Some(ErrorCode::ReportSpecInvalid));
        let mut bad = spec.clone();
        bad.derived[0].formula = format!("revenue / cost {a}");
        assert_eq!(code(store::create(&s, &u, &NewReport { name: "f".into(), description: String::new(), spec: bad, change_description: None }).await), Some(ErrorCode::ReportSpecInvalid));
        let mut req = run(id, json!({}));
        req.sorting = vec![ReportSort { field: a.into(), direction: SortDirection::Asc }];
        assert_eq!(code(execute(&s, &me, &req).await), Some(ErrorCode::ReportParameterInvalid));
        let mut req = run(id, json!({}));
        req.fields = vec![a.into()];
        assert_eq!(code(execute(&s, &me, &req).await), Some(ErrorCode::ReportParameterInvalid));
        assert_eq!(code(execute(&s, &me, &run(id, json!({ a: "search" }))).await), Some(ErrorCode::ReportParameterInvalid));
    }
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(&pool).await?;
    let reports: i64 = sqlx::query_scalar("SELECT count(*) FROM reports").fetch_one(&pool).await?;
    assert_eq!((users, reports), (1, 1), "nothing was dropped or deleted");
    assert_eq!(execute(&s, &me, &run(id, json!({ "channel": "search" }))).await?.metadata.total_rows, 2, "the report still answers");
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn reports_are_their_owners_until_granted_and_links_refuse_alike(pool: PgPool) -> anyhow::Result<()> {
    let s = eav_store(&pool).await?;
    let u = admin(&pool).await?;
    sales(&s, &u).await?;
    let name = Username::parse("vera.viewer")?;
    let vera = create_user(&pool, &name, &Password::parse("another long secret", &name)?, Role::Viewer).await?;
    let mut spec = by_month();
    spec.group_by = vec![GroupBy { field: "channel".into(), bucket: None }];
    spec.filters = vec![ReportFilter { field: "channel".into(), operator: Operator::In, value: Value::Null, mode: FilterMode::Parameter }];
    let id = new_report(&s, &u, "Channels", spec).await?;
    assert_eq!(code(execute(&s, &Runner::User(vera.clone()), &run(id, json!({}))).await), Some(ErrorCode::Forbidden));
    assert_eq!(code(execute(&s, &Runner::User(vera.clone()), &run(Uuid::now_v7(), json!({}))).await), Some(ErrorCode::ReportNotFound));
    store::set_grants(&pool, &u, id, &[ReportGrant { role: "viewer".into(), can_edit: false }]).await?;
    assert_eq!(execute(&s, &Runner::User(vera.clone()), &run(id, json!({}))).await?.data.len(), 2);
    assert_eq!(code(links::create(&s, &vera, id, &NewLink::default()).await), Some(ErrorCode::Forbidden), "running is not sharing");

    // A link with a password and a locked channel.
    let mut locked = Map::new();
    locked.insert("channel".into(), json!(["social"]));
    let made = links::create(&s, &u, id, &NewLink { password: Some("open sesame".into()), locked, allow_export: false, expires_at: None }).await?;
    assert!(made.url.ends_with(&made.token));
    assert_eq!(code(links::open(&pool, &made.token, None).await), Some(ErrorCode::LinkPasswordRequired));
    assert_eq!(code(links::unlock(&pool, &made.token, "wrong one").await), Some(ErrorCode::LinkNotFound));
    let key = links::unlock(&pool, &made.token, "open sesame").await?;
    let open = links::open(&pool, &made.token, Some(&key.unlock)).await?;
    let viewer = Runner::Link { id: open.id, locked: open.locked.clone() };
    let got = execute(&s, &viewer, &run(open.report_id, json!({}))).await?;
    assert_eq!(got.data.iter().map(|r| r["channel"].clone()).collect::<Vec<_>>(), vec![json!("social")], "only the locked value");
    assert_eq!(code(execute(&s, &viewer, &run(open.report_id, json!({ "channel": ["search"] }))).await), Some(ErrorCode::ReportParameterInvalid));

    // Rotate: the old token and its unlock are dead at once; the new one asks for the password again.
    let fresh = links::rotate(&pool, &u, open.id).await?;
    let refusals = |r: Result<links::OpenLink, EngineError>| r.err().map(|e| (e.code(), e.to_body(None).message));
    let unknown = refusals(links::open(&pool, "dgs_l_never-issued", None).await);
    assert_eq!(unknown.as_ref().map(|u| u.0), Some(ErrorCode::LinkNotFound));
    assert_eq!(refusals(links::open(&pool, &made.token, Some(&key.unlock)).await), unknown, "rotated away: as unknown");
    assert_eq!(code(links::open(&pool, &fresh.token, Some(&key.unlock)).await), Some(ErrorCode::LinkPasswordRequired));
    // Five wrong passwords lock it: then even the right one is answered as unknown.
    for _ in 0..5 {
        assert_eq!(code(links::unlock(&pool, &fresh.token, "guess guess").await), Some(ErrorCode::LinkNotFound));
    }
    assert_eq!(code(links::unlock(&pool, &fresh.token, "open sesame").await), Some(ErrorCode::LinkNotFound));
    // Expired, and revoked: as unknown.
    let other = links::create(&s, &u, id, &NewLink::default()).await?;
    assert!(links::open(&pool, &other.token, None).await.is_ok());
    sqlx::query("UPDATE report_links SET expires_at = now() - interval '1 second' WHERE id = $1").bind(other.id).execute(&pool).await?;
    assert_eq!(refusals(links::open(&pool, &other.token, None).await), unknown);
    let third = links::create(&s, &u, id, &NewLink::default()).await?;
    links::revoke(&pool, &u, third.id).await?;
    assert_eq!(refusals(links::open(&pool, &third.token, None).await), unknown);
    // A link fixes only parameters of its report.
    let mut bad = Map::new();
    bad.insert("revenue".into(), json!(1));
    assert_eq!(code(links::create(&s, &u, id, &NewLink { locked: bad, ..Default::default() }).await), Some(ErrorCode::ReportParameterInvalid));
    let listed = links::list(&pool, &u, id).await?;
    assert_eq!(listed.iter().filter(|l| l.active).count(), 1, "the rotated link is live; expired and revoked are not");
    assert_eq!(listed.len(), 3);
    Ok(())
}

fn sql_report(sql: &str) -> ReportSpec {
    let def: engine::reports::sql::SqlDefinition = serde_json::from_value(json!({
        "sql": sql,
        "parameters": [{ "name": "since", "type": "date", "default": "2026-01-01", "validation_rule_type": "date_range", "validation_parameters": { "min": "2020-01-01" } }],
        "fields": [{ "field_name": "channel", "field_type": "text" }, { "field_name": "revenue", "field_type": "number", "field_alias": "income" }, { "field_name": "n", "field_type": "number" }]
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    ReportSpec { source: Source::Sql(def), columns: vec![], filters: vec![], group_by: vec![], aggregates: vec![], derived: vec![], sort: vec![], limit: None, chart: None }
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn sql_reports_read_their_views_and_nothing_else(pool: PgPool) -> anyhow::Result<()> {
    let s = eav_store(&pool).await?.with_report_reader(support::report_reader(&pool).await?);
    let u = admin(&pool).await?;
    sales(&s, &u).await?;
    let me = Runner::User(u.clone());
    let good = "SELECT channel, sum(revenue) AS revenue, count(*) AS n FROM report_views.sales WHERE day >= :since GROUP BY channel";
    let id = new_report(&s, &u, "By channel, in SQL", sql_report(good)).await?;
    let seen = table(&execute(&s, &me, &run(id, json!({}))).await?.data, "channel", &["income", "n"]);
    assert!(close(&seen, &[("search", vec![Some(60.0), Some(3.0)]), ("social", vec![Some(20.0), Some(2.0)])]), "{seen:?}");
    let seen = table(&execute(&s, &me, &run(id, json!({ "since": "2026-02-01" }))).await?.data, "channel", &["income", "n"]);
    assert!(close(&seen, &[("search", vec![Some(0.0), Some(1.0)]), ("social", vec![Some(20.0), Some(2.0)])]), "{seen:?}");
    assert_eq!(code(execute(&s, &me, &run(id, json!({ "since": "2019-12-31" }))).await), Some(ErrorCode::ReportParameterInvalid), "the parameter's rule");
    assert_eq!(code(execute(&s, &me, &run(id, json!({ "since": "'; DROP TABLE users; --" }))).await), Some(ErrorCode::ReportParameterInvalid));

    // The reader role reads its views only: accounts, sessions, links, the physical tables, a masked
    // column, the server's files and other roles are all out of reach.
    let t: Uuid = sqlx::query_scalar("SELECT id FROM logical_tables WHERE table_name = 'SALES'").fetch_one(&pool).await?;
    let physical = format!("SELECT code AS channel, 0 AS revenue, 0 AS n FROM eav.t_{}", t.simple());
    let attempts = [
        "SELECT username AS channel, 0 AS revenue, 0 AS n FROM users",
        "SELECT password_hash AS channel, 0 AS revenue, 0 AS n FROM users",
        "SELECT id::text AS channel, 0 AS revenue, 0 AS n FROM auth_sessions",
        "SELECT token_hash::text AS channel, 0 AS revenue, 0 AS n FROM report_links",
        physical.as_str(),
        "SELECT iban AS channel, 0 AS revenue, 0 AS n FROM report_views.sales",
        "SELECT pg_read_file('/etc/passwd') AS channel, 0 AS revenue, 0 AS n",
        "WITH gone AS (DELETE FROM reports RETURNING name) SELECT name AS channel, 0 AS revenue, 0 AS n FROM gone",
        "SELECT channel, 0 AS revenue, 0 AS n FROM report_views.sales; DROP TABLE users",
        "DELETE FROM users",
    ];
    for sql in attempts {
        let r = store::create(&s, &u, &NewReport { name: "probe".into(), description: String::new(), spec: sql_report(sql), change_description: None }).await;
        assert_eq!(code(r), Some(ErrorCode::ReportSpecInvalid), "{sql}");
    }
    // Taking another role's powers is refused when it runs.
    let sneaky = new_report(&s, &u, "role", sql_report("SELECT set_config('role', 'postgres', true) AS channel, 0 AS revenue, 0 AS n")).await?;
    assert_eq!(code(execute(&s, &me, &run(sneaky, json!({}))).await), Some(ErrorCode::ReportSpecInvalid));
    let counts: (i64, i64) = sqlx::query_as("SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM reports)").fetch_one(&pool).await?;
    assert_eq!(counts, (1, 2), "nothing was read out, changed or deleted");
    // Only admins write SQL.
    let name = Username::parse("ana.analyst")?;
    let ana = create_user(&pool, &name, &Password::parse("another long secret", &name)?, Role::Analyst).await?;
    let r = store::create(&s, &ana, &NewReport { name: "mine".into(), description: String::new(), spec: sql_report(good), change_description: None }).await;
    assert_eq!(code(r), Some(ErrorCode::Forbidden));
    // The view follows the schema: a new column is there at once.
    let c = columns::create_column(&s, &u, &NewColumn { column_name: "units".into(), data_type: DataType::Int, description: String::new(), enum_values: vec![], reference_table_id: None, default_value: None, masking_rule: MaskingRule::None }).await?;
    properties::create_property(&s, &u, &NewProperty { logical_table_id: t, column_definition_id: c.id, display_order: 9, is_mandatory: false, is_value_unique: false, is_indexed: false, validation_rule_type: None, validation_parameters: Value::Null, soft: false }).await?;
    new_report(&s, &u, "units", sql_report("SELECT channel, sum(units) AS revenue, count(*) AS n FROM report_views.sales WHERE day >= :since GROUP BY channel")).await?;
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn a_reviewed_sample_reports_accuracy_with_its_interval_and_the_confused_pairs(pool: PgPool) -> anyhow::Result<()> {
    use engine::classify::runs::{create_run, execute_run};
    use engine::classify::{NewRun, RunOverrides};
    use engine::review::samples::create_sample;
    use engine::review::verdicts::{put_verdict, sample_items};
    use engine::review::{NewSample, Verdict, VerdictInput};
    let s = eav_store(&pool).await?;
    let user = support::analyst(&pool).await?;
    let version = support::test_prompt(&pool, &user).await?;
    let text: Vec<String> = support::lines(120).into_iter().enumerate().map(|(i, l)| if i % 6 == 5 { format!("Hotel reserva {i}") } else { l }).collect();
    let dataset = support::dataset_of(&pool, &user, &text).await?;
    let ctx = support::context(&pool, None).await?;
    let run_id = create_run(&ctx, &user, &NewRun { dataset_id: dataset.id, prompt_id: None, prompt_version_id: Some(version), overrides: RunOverrides::default() }).await?;
    execute_run(&ctx, run_id, &tokio_util::sync::CancellationToken::new()).await?;
    let sample = create_sample(&pool, &user, &NewSample { run_id, confidence: None, margin: None, size: Some(40), seed: Some(7), min_per_category: None, oversample_low: None }).await?;
    // The truth of a generated line is the category it names; hotels are travel.
    let (mut correct, mut reviewed) = (0i64, 0i64);
    let mut confused: std::collections::BTreeMap<(String, String), i64> = Default::default();
    for item in sample_items(&pool, &user, sample.id).await? {
        let truth = if item.line.starts_with("Hotel") { "Viajes".to_string() } else { item.line.split(' ').next().unwrap_or_default().to_string() };
        reviewed += 1;
        let input = if truth == item.category {
            correct += 1;
            VerdictInput { verdict: Verdict::Correct, corrected_category: None, note: None }
        } else {
            *confused.entry((truth.clone(), item.category.clone())).or_default() += 1;
            VerdictInput { verdict: Verdict::Incorrect, corrected_category: Some(truth), note: None }
        };
        put_verdict(&pool, &user, sample.id, item.id, &input).await?;
    }
    assert!(correct > 0 && correct < reviewed, "a sample with both kinds: {correct} of {reviewed}");
    let me = Runner::User(user.clone());
    let accuracy = ReportSpec {
        source: Source::Sample { sample_id: sample.id },
        columns: vec![],
        filters: vec![],
        group_by: vec![GroupBy { field: "prompt_version".into(), bucket: None }],
        aggregates: vec![agg(AggregateFn::Count, None, "lines"), agg(AggregateFn::Avg, Some("correct"), "accuracy")],
        derived: vec![
            Derived { alias: "low".into(), formula: "accuracy - 1.96 * sqrt(accuracy * (1 - accuracy) / lines)".into() },
            Derived { alias: "high".into(), formula: "accuracy + 1.96 * sqrt(accuracy * (1 - accuracy) / lines)".into() },
        ],
        sort: vec![],
        limit: None,
        chart: None,
    };
    let id = new_report(&s, &user, "Accuracy", accuracy).await?;
    let got = execute(&s, &me, &run(id, json!({}))).await?;
    assert_eq!(got.data.len(), 1, "one iteration: the sampled run");
    let row = &got.data[0];
    let p = correct as f64 / reviewed as f64;
    let half = 1.96 * (p * (1.0 - p) / reviewed as f64).sqrt();
    let num = |k: &str| row.get(k).and_then(Value::as_f64).unwrap_or(f64::NAN);
    assert_eq!(num("lines"), reviewed as f64);
    assert!((num("accuracy") - p).abs() < 1e-9 && (num("low") - (p - half)).abs() < 1e-9 && (num("high") - (p + half)).abs() < 1e-9, "{row:?}");
    // The confused pairs, counted by hand.
    let pairs = ReportSpec {
        source: Source::Sample { sample_id: sample.id },
        columns: vec![],
        filters: vec![ReportFilter { field: "correct".into(), operator: Operator::Eq, value: json!(0), mode: FilterMode::Locked }],
        group_by: vec![GroupBy { field: "truth".into(), bucket: None }, GroupBy { field: "predicted".into(), bucket: None }],
        aggregates: vec![agg(AggregateFn::Count, None, "lines")],
        derived: vec![],
        sort: vec![],
        limit: None,
        chart: None,
    };
    let id = new_report(&s, &user, "Confused", pairs).await?;
    let got = execute(&s, &me, &run(id, json!({}))).await?;
    let seen: std::collections::BTreeMap<(String, String), i64> = got
        .data
        .iter()
        .map(|r| ((r["truth"].as_str().unwrap_or_default().to_string(), r["predicted"].as_str().unwrap_or_default().to_string()), r["lines"].as_i64().unwrap_or(-1)))
        .collect();
    assert_eq!(seen, confused);
    Ok(())
}
