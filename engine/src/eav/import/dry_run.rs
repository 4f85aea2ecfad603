//! What an import would do, found by doing it in a transaction that is rolled back: the counts of
//! inserted, updated, unchanged and rejected records and every reason, exactly as the job would
//! meet them (uniques against rows earlier in the same file included), with nothing written.

use uuid::Uuid;

use super::apply::{Outcome, apply_records};
use super::config::get_configuration;
use super::execute::{next_records, plan_of};
use super::source::{SourceRequest, resolve, stage};
use super::wire::{DryRunReport, ErrorStrategy, RecordAction, RecordError};
use crate::auth::CurrentUser;
use crate::eav::Store;
use crate::eav::rows::Changes;
use crate::error::{EngineError, Result};

/// Reasons a report lists (the counts cover every record).
pub const MAX_LISTED: usize = 1_000;
const BATCH: i32 = 1_000;

/// `POST /migration/configurations/{id}/dry_run`.
pub async fn dry_run(store: &Store, user: &CurrentUser, configuration_id: Uuid, source: SourceRequest) -> Result<DryRunReport> {
    let cfg = get_configuration(store, user, configuration_id).await?;
    let plan = plan_of(store, &cfg).await?;
    let source = resolve(store, user, source, (cfg.source_type, cfg.source_id, cfg.sample_id)).await?;
    let mut tx = store.pool.begin().await?;
    let job_id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO migration_jobs (id, migration_configuration_id, configuration, source_description, status, batch_size, total_records)
         VALUES ($1, $2, '{}', 'dry run', 'PROCESSING', 1000, 0)",
    )
    .bind(job_id)
    .bind(cfg.id)
    .execute(&mut *tx)
    .await?;
    let total = stage(&store.pool, &mut tx, job_id, &source).await?;
    let mut report = DryRunReport {
        total_records: i32::try_from(total).map_err(EngineError::internal)?,
        processed_records: 0,
        inserted_records: 0,
        updated_records: 0,
        unchanged_records: 0,
        error_records: 0,
        warning_records: 0,
        would_stop: false,
        errors: Vec::new(),
    };
    let mut next = 0i32;
    loop {
        let records = next_records(&mut tx, job_id, next, BATCH).await?;
        let Some(last) = records.last().map(|r| r.0) else { break };
        let mut changes = Changes::default();
        let results = apply_records(&mut tx, store, user, &plan, &records, &mut changes).await?;
        for (r, (seq, data)) in results.iter().zip(&records) {
            report.processed_records += 1;
            let listed = |severity: &str, e: &super::wire::ValidationError| RecordError {
                record_number: seq + 1,
                record_identifier: plan.identify(*seq, data),
                severity: severity.into(),
                field: Some(e.field.clone()).filter(|f| !f.is_empty()),
                error_type: e.error_type.clone(),
                error_message: e.message.clone(),
                record_data: data.clone(),
            };
            match &r.outcome {
                Outcome::Written { action: RecordAction::Inserted, .. } => report.inserted_records += 1,
                Outcome::Written { action: RecordAction::Updated, .. } => report.updated_records += 1,
                Outcome::Written { action: RecordAction::Unchanged, .. } => report.unchanged_records += 1,
                Outcome::Rejected(errors) => {
                    report.error_records += 1;
                    for e in errors {
                        if report.errors.len() < MAX_LISTED {
                            report.errors.push(listed("error", e));
                        }
                    }
                }
            }
            if !r.warnings.is_empty() {
                report.warning_records += 1;
                for e in &r.warnings {
                    if report.errors.len() < MAX_LISTED {
                        report.errors.push(listed("warning", e));
                    }
                }
            }
        }
        next = last + 1;
    }
    report.would_stop = cfg.error_handling_strategy == ErrorStrategy::Stop && report.error_records > 0;
    tx.rollback().await?;
    Ok(report)
}
