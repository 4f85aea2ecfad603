//! One batch of records applied to the target table inside the caller's transaction: each record
//! mapped, found by its upsert key (rows locked), then inserted, updated or left unchanged through
//! the same row commands as every other write (`rows::apply`), so an import is held to every rule.
//! Records of one batch that share a key are applied in turn, so the later one sees the earlier.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use super::transform::{Mapped, Step, map_record};
use super::wire::{RecordAction, ValidationError, ValidationLevel};
use crate::auth::CurrentUser;
use crate::eav::def::TableDef;
use crate::eav::physical::{self, trusted};
use crate::eav::read::RawRow;
use crate::eav::rows::{self, Changes};
use crate::eav::validate::{prepare, row_cell};
use crate::eav::values::typed;
use crate::eav::wire::{BatchOperation, OnError, OperationType, RowData, RowInput};
use crate::eav::Store;
use crate::error::{EngineError, Result};

pub const MISSING_UPSERT_KEY: &str = "MISSING_UPSERT_KEY";
pub const AMBIGUOUS_UPSERT_KEY: &str = "AMBIGUOUS_UPSERT_KEY";
pub const NOT_APPLIED: &str = "NOT_APPLIED";

/// What an import applies: the table, the mappings read, the level and the upsert key.
pub struct Plan {
    pub def: Arc<TableDef>,
    pub steps: Vec<Step>,
    pub level: ValidationLevel,
    pub key: Vec<String>,
}

impl Plan {
    /// What names a record in error lists: its key's source values, else its code's, else its number.
    pub fn identify(&self, seq: i32, record: &Value) -> String {
        let fields: Vec<&str> = if self.key.is_empty() { vec!["code"] } else { self.key.iter().map(String::as_str).collect() };
        let parts: Vec<String> = fields
            .iter()
            .filter_map(|f| self.steps.iter().find(|s| s.mapping.target_field.eq_ignore_ascii_case(f)))
            .filter_map(|s| record.get(&s.mapping.source_field))
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect();
        if parts.is_empty() { format!("#{}", seq + 1) } else { parts.join(" · ") }
    }
}

/// What happened to one record.
#[derive(Debug, Clone)]
pub enum Outcome {
    Written { action: RecordAction, row_id: Uuid, version: i32, before: Option<Box<RowData>> },
    Rejected(Vec<ValidationError>),
}

#[derive(Debug, Clone)]
pub struct RecordResult {
    pub seq: i32,
    pub outcome: Outcome,
    /// LENIENT: the fields left out, the record imported without them.
    pub warnings: Vec<ValidationError>,
}

/// Applies `records` (`(seq, data)`) in `tx`; the caller commits with `changes` (events, caches).
pub(crate) async fn apply_records(
    tx: &mut PgConnection,
    store: &Store,
    actor: &CurrentUser,
    plan: &Plan,
    records: &[(i32, Value)],
    changes: &mut Changes,
) -> Result<Vec<RecordResult>> {
    let def = &plan.def;
    let mut results: Vec<RecordResult> = Vec::with_capacity(records.len());
    let mut inputs: Vec<Option<(RowInput, Option<Vec<String>>)>> = Vec::with_capacity(records.len());
    for (seq, data) in records {
        let Mapped { input, errors, missing } = map_record(&plan.steps, data);
        let rejected = !missing.is_empty() || (plan.level == ValidationLevel::Strict && !errors.is_empty());
        let warnings = if rejected { Vec::new() } else { errors.clone() };
        if rejected {
            let mut why = missing;
            why.extend(errors);
            results.push(RecordResult { seq: *seq, outcome: Outcome::Rejected(why), warnings });
            inputs.push(None);
            continue;
        }
        match key_of(def, &plan.key, &input) {
            Ok(key) => {
                results.push(RecordResult { seq: *seq, outcome: Outcome::Rejected(Vec::new()), warnings });
                inputs.push(Some((input, key)));
            }
            Err(e) => {
                results.push(RecordResult { seq: *seq, outcome: Outcome::Rejected(vec![e]), warnings });
                inputs.push(None);
            }
        }
    }
    let mut pending: Vec<usize> = (0..records.len()).filter(|i| inputs[*i].is_some()).collect();
    while !pending.is_empty() {
        // One record per key in a round; the others wait for the next round.
        let mut seen = std::collections::HashSet::new();
        let (round, later): (Vec<usize>, Vec<usize>) = pending.iter().partition(|i| match inputs[**i].as_ref().and_then(|(_, k)| k.clone()) {
            Some(k) => seen.insert(k),
            None => true,
        });
        let keys: Vec<Vec<String>> = round.iter().filter_map(|i| inputs[*i].as_ref().and_then(|(_, k)| k.clone())).collect();
        let existing = lookup(tx, def, &plan.key, &keys).await?;
        let (mut creates, mut updates): (Vec<(usize, BatchOperation)>, Vec<(usize, BatchOperation)>) = (Vec::new(), Vec::new());
        let mut befores: HashMap<usize, RowData> = HashMap::new();
        for i in round {
            let Some((input, key)) = inputs[i].take() else { continue };
            let found = key.as_ref().and_then(|k| existing.get(k));
            match found.map(Vec::as_slice) {
                Some([before]) => match prepare(def, Some(before), &input) {
                    Err(e) => results[i].outcome = Outcome::Rejected(vec![rejection(&EngineError::Data(e))]),
                    Ok(p) if same(def, &p, before) => {
                        results[i].outcome = Outcome::Written { action: RecordAction::Unchanged, row_id: before.id, version: before.version, before: None };
                    }
                    Ok(_) => {
                        updates.push((i, BatchOperation { op: OperationType::Update, row_id: Some(before.id), version: Some(before.version), fields: input }));
                        befores.insert(i, before.clone());
                    }
                },
                Some(_) => {
                    results[i].outcome = Outcome::Rejected(vec![ValidationError {
                        field: plan.key.join(" + "),
                        error_type: AMBIGUOUS_UPSERT_KEY.into(),
                        message: "more than one row of the table has this key; make the key unique".into(),
                    }]);
                }
                None => creates.push((i, BatchOperation { op: OperationType::Create, row_id: None, version: None, fields: input })),
            }
        }
        let (at, ops): (Vec<usize>, Vec<BatchOperation>) = creates.into_iter().chain(updates).unzip();
        if !ops.is_empty() {
            let outcomes = rows::apply(tx, store, actor, def, &ops, OnError::Continue, changes).await?;
            for (i, o) in at.into_iter().zip(outcomes) {
                results[i].outcome = match o {
                    Ok((row_id, version)) => match befores.remove(&i) {
                        Some(before) => Outcome::Written { action: RecordAction::Updated, row_id, version, before: Some(Box::new(before)) },
                        None => Outcome::Written { action: RecordAction::Inserted, row_id, version, before: None },
                    },
                    Err(e) => Outcome::Rejected(vec![rejection(&e)]),
                };
            }
        }
        pending = later;
    }
    Ok(results)
}

/// The record's upsert key as text (each value typed by its column first), `None` without a key.
fn key_of(def: &TableDef, key: &[String], input: &RowInput) -> std::result::Result<Option<Vec<String>>, ValidationError> {
    if key.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(key.len());
    for field in key {
        let missing = || ValidationError {
            field: field.clone(),
            error_type: MISSING_UPSERT_KEY.into(),
            message: format!("'{field}' is part of the upsert key and has no value"),
        };
        let text = if field == "code" {
            input.code.as_ref().map(|c| c.trim().to_string()).filter(|c| !c.is_empty())
        } else {
            let c = def.column(field).ok_or_else(missing)?;
            let v = input.column_values.iter().find(|(k, _)| k.eq_ignore_ascii_case(&c.name)).map(|(_, v)| v);
            match v {
                Some(v) => typed(c.ty, &c.enum_values, v)
                    .map_err(|message| ValidationError { field: c.name.clone(), error_type: "value_invalid".into(), message })?
                    .sql_text(),
                None => None,
            }
        };
        out.push(text.ok_or_else(missing)?);
    }
    Ok(Some(out))
}

/// The rows with these keys, locked, by key.
async fn lookup(tx: &mut PgConnection, def: &TableDef, key: &[String], keys: &[Vec<String>]) -> Result<HashMap<Vec<String>, Vec<RowData>>> {
    let mut out: HashMap<Vec<String>, Vec<RowData>> = HashMap::new();
    if key.is_empty() || keys.is_empty() {
        return Ok(out);
    }
    let typed_keys: Vec<(String, &str)> = key
        .iter()
        .map(|field| match def.column(field) {
            Some(c) if field != "code" => (c.physical.clone(), physical::sql_type(c.ty)),
            _ => ("code".to_string(), "text"),
        })
        .collect();
    // One key column: `= ANY`, which the planner answers from the index; `IN (subquery)` would
    // hash-join the whole table.
    let wanted = match typed_keys.as_slice() {
        [(expr, ty)] => format!("{expr} = ANY($1::text[]::{ty}[])"),
        _ => {
            let exprs: Vec<&str> = typed_keys.iter().map(|(e, _)| e.as_str()).collect();
            let casts: Vec<String> = typed_keys.iter().enumerate().map(|(j, (_, ty))| format!("u.k{j}::{ty}")).collect();
            let params: Vec<String> = (1..=key.len()).map(|j| format!("${j}::text[]")).collect();
            let names: Vec<String> = (0..key.len()).map(|j| format!("k{j}")).collect();
            format!("({}) IN (SELECT {} FROM unnest({}) AS u({}))", exprs.join(", "), casts.join(", "), params.join(", "), names.join(", "))
        }
    };
    let sql = format!("SELECT {} FROM {} WHERE {wanted} FOR UPDATE", physical::select_list(def, None), def.physical());
    let mut q = sqlx::query(trusted(&sql));
    for j in 0..key.len() {
        let column: Vec<String> = keys.iter().map(|k| k[j].clone()).collect();
        q = q.bind(column);
    }
    for r in q.fetch_all(&mut *tx).await? {
        let row = RawRow::decode(def, None, &r)?.data;
        let k: Option<Vec<String>> = key
            .iter()
            .map(|field| match def.column(field) {
                Some(c) if field != "code" => row_cell(c, &row).sql_text(),
                _ => Some(row.code.clone()),
            })
            .collect();
        if let Some(k) = k {
            out.entry(k).or_default().push(row);
        }
    }
    Ok(out)
}

/// Whether writing `p` over `before` would change nothing.
fn same(def: &TableDef, p: &crate::eav::validate::Prepared, before: &RowData) -> bool {
    p.code == before.code
        && p.display_value == before.display_value
        && p.is_active == before.is_active
        && p.sort_order == before.sort_order
        && p.parent_row_id == before.parent_row_id
        && p.ext == before.extended_properties
        && def.columns.iter().zip(&p.cells).all(|(c, cell)| *cell == row_cell(c, before))
}

/// A refusal as one validation error: the column or constraint it is about, the code, the message.
pub fn rejection(e: &EngineError) -> ValidationError {
    let field = match e {
        EngineError::Data(d) => {
            let details = d.details();
            details
                .get("column")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| details.get("columns").and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" + ")))
                .or_else(|| details.get("constraint").and_then(Value::as_str).map(str::to_string))
                .unwrap_or_default()
        }
        _ => String::new(),
    };
    ValidationError { field, error_type: e.code().as_str().to_string(), message: e.to_string() }
}
