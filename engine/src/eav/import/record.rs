//! `POST /migration/record` (seed §19.3.2): one record through a configuration, in its own
//! transaction, answered with what happened to it.

use super::apply::{Outcome, apply_records};
use super::config::get_configuration;
use super::execute::plan_of;
use super::wire::{MigrateRecordRequest, MigrateRecordResponse};
use crate::auth::CurrentUser;
use crate::eav::Store;
use crate::eav::rows::{self, Changes};
use crate::error::{EngineError, Result};

pub async fn migrate_record(store: &Store, user: &CurrentUser, req: &MigrateRecordRequest) -> Result<MigrateRecordResponse> {
    let cfg = get_configuration(store, user, req.configuration_id).await?;
    if !req.record_data.is_object() {
        return Err(EngineError::Malformed("record_data must be a JSON object".into()));
    }
    let plan = plan_of(store, &cfg).await?;
    let mut tx = store.pool.begin().await?;
    let mut changes = Changes::default();
    let mut results = apply_records(&mut tx, store, user, &plan, &[(0, req.record_data.clone())], &mut changes).await?;
    let r = results.pop().ok_or_else(|| EngineError::internal("a record without an outcome"))?;
    match r.outcome {
        Outcome::Written { action, row_id, .. } => {
            rows::commit(store, tx, &plan.def, changes).await?;
            Ok(MigrateRecordResponse { success: r.warnings.is_empty(), target_row_id: Some(row_id), action: Some(action), errors: r.warnings })
        }
        Outcome::Rejected(errors) => {
            tx.rollback().await?;
            Ok(MigrateRecordResponse { success: false, target_row_id: None, action: None, errors })
        }
    }
}
