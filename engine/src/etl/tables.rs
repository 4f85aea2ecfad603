//! The governed tables marketing runs land in, `ads_performance` and `crm_opportunities`: made
//! the first time a source needs them, with typed columns and the natural key as a unique
//! constraint (so even a write outside the ETL cannot double a record), and checked before every
//! run, since admins may change them like any other table.

use std::sync::Arc;

use serde_json::Value;

use super::error::EtlError;
use super::wire::SourceKind;
use crate::auth::CurrentUser;
use crate::eav::Store;
use crate::eav::def::TableDef;
use crate::eav::schema::{constraints, properties, tables};
use crate::eav::wire::{CachePolicy, ConstraintType, DataType, MaskingRule, NewColumn, NewConstraint, NewLogicalTable, NewProperty, OnDelete};
use crate::error::{EngineError, Resource, Result};

/// The governed column a record field is kept in. `created_at` and `updated_at` name every row's
/// own times, so the opportunity's are kept as `created_date` and `modified_date`.
pub fn column_of(field: &str) -> &str {
    match field {
        "created_at" => "created_date",
        "updated_at" => "modified_date",
        other => other,
    }
}

fn types(kind: SourceKind) -> &'static [(&'static str, DataType)] {
    match kind {
        SourceKind::Ads => &[
            ("date", DataType::Date),
            ("campaign_id", DataType::String),
            ("channel", DataType::String),
            ("clicks", DataType::Int),
            ("impressions", DataType::Int),
            ("cost", DataType::Decimal),
            ("leads", DataType::Int),
            ("utm_campaign", DataType::String),
            ("utm_source", DataType::String),
            ("utm_medium", DataType::String),
        ],
        SourceKind::Crm => &[
            ("opportunity_id", DataType::String),
            ("created_date", DataType::DateTime),
            ("stage", DataType::String),
            ("amount", DataType::Decimal),
            ("utm_campaign", DataType::String),
            ("utm_source", DataType::String),
            ("utm_medium", DataType::String),
            ("modified_date", DataType::DateTime),
        ],
    }
}

/// The natural key, as governed column names.
pub fn key(kind: SourceKind) -> Vec<String> {
    kind.required().iter().filter(|f| kind == SourceKind::Ads || **f == "opportunity_id").map(|f| column_of(f).to_string()).collect()
}

/// The table for `kind`, made if missing (by `user`, who needs `table:admin` for that), and
/// checked: every column there with its type, unmasked (the funnel reads them).
pub async fn ensure(store: &Store, user: &CurrentUser, kind: SourceKind) -> Result<Arc<TableDef>> {
    match store.table(kind.table()).await {
        Ok(def) => verify(kind, def),
        Err(EngineError::NotFound(Resource::LogicalTable)) => {
            if let Err(e) = create(store, user, kind).await {
                // Another admin's source made it meanwhile: use theirs.
                if store.table(kind.table()).await.is_err() {
                    return Err(e);
                }
            }
            verify(kind, store.table(kind.table()).await?)
        }
        Err(e) => Err(e),
    }
}

/// The table for `kind` as it is, checked; never made (a run does not change the schema).
pub async fn existing(store: &Store, kind: SourceKind) -> Result<Arc<TableDef>> {
    verify(kind, store.table(kind.table()).await?)
}

fn verify(kind: SourceKind, def: Arc<TableDef>) -> Result<Arc<TableDef>> {
    let conflict = |message: String| EngineError::from(EtlError::TableConflict { table: kind.table().into(), message });
    for (name, ty) in types(kind) {
        let c = def.column(name).ok_or_else(|| conflict(format!("it has no column {name}")))?;
        if c.ty != *ty {
            return Err(conflict(format!("{name} is {:?}, not {:?}", c.ty, ty)));
        }
        if c.masking != MaskingRule::None {
            return Err(conflict(format!("{name} is masked")));
        }
    }
    Ok(def)
}

async fn create(store: &Store, user: &CurrentUser, kind: SourceKind) -> Result<()> {
    let what = match kind {
        SourceKind::Ads => "Ad performance per day, campaign and channel, kept by the marketing sources",
        SourceKind::Crm => "CRM opportunities, kept by the marketing sources",
    };
    let table = tables::create_table(store, user, &NewLogicalTable { table_name: kind.table().into(), description: what.into(), is_hierarchical: false, cache_policy: CachePolicy::default() }).await?;
    let key = key(kind);
    for (i, (name, ty)) in types(kind).iter().enumerate() {
        let column = NewColumn { column_name: (*name).into(), data_type: *ty, description: String::new(), enum_values: vec![], reference_table_id: None, default_value: None, masking_rule: MaskingRule::None };
        let property = NewProperty {
            logical_table_id: table.id,
            column_definition_id: uuid::Uuid::nil(),
            display_order: i as i32,
            is_mandatory: key.iter().any(|k| k == name),
            is_value_unique: false,
            is_indexed: matches!(*name, "date" | "created_date" | "utm_campaign"),
            validation_rule_type: None,
            validation_parameters: Value::Null,
            soft: false,
        };
        let bound = properties::add_column(store, user, &column, property).await?;
        let def = store.table(kind.table()).await?;
        if def.column(name).is_some_and(|c| c.ty != *ty) {
            return Err(EtlError::TableConflict { table: kind.table().into(), message: format!("a column named {name} exists with another type (property {})", bound.id) }.into());
        }
    }
    constraints::create_constraint(
        store,
        user,
        &NewConstraint {
            logical_table_id: table.id,
            constraint_name: format!("{}_natural_key", kind.table()),
            constraint_type: ConstraintType::Unique,
            columns: key,
            json_paths: vec![],
            is_case_sensitive: true,
            on_delete: OnDelete::default(),
            check_expression: None,
            error_message: Some("this record is already kept (its natural key is taken)".into()),
            is_active: true,
            soft: false,
        },
    )
    .await?;
    Ok(())
}
