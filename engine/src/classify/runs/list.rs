//! The runs a user can see, newest first: of one dataset (its page) or of all their datasets.

use sqlx::PgPool;
use uuid::Uuid;

use crate::auth::{CurrentUser, Permission};
use crate::classify::{ProviderKind, RunListItem, RunStatus};
use crate::error::{EngineError, Result};

/// With `dataset_id`, that dataset's runs (404 when the user cannot see it); without, the runs of
/// every dataset the user can see (the newest 500).
pub async fn list_runs(pool: &PgPool, user: &CurrentUser, dataset_id: Option<Uuid>) -> Result<Vec<RunListItem>> {
    user.require(Permission::DatasetRead)?;
    if let Some(id) = dataset_id {
        // Missing and not shared answer alike: `dataset_not_found`.
        crate::clean::dataset_summary(pool, user, id).await?;
    }
    let rows = sqlx::query!(
        r#"SELECT r.id, r.dataset_id, d.name AS dataset_name, r.status, r.provider, r.model, r.total,
                  p.name AS prompt_name, v.version AS prompt_version, r.prompt_version_id,
                  r.created_at, r.started_at, r.finished_at,
                  (SELECT count(*) FROM run_results rr WHERE rr.run_id = r.id) AS "done!",
                  (SELECT coalesce(sum(cardinality(c.line_idx)), 0) FROM run_chunks c
                    WHERE c.run_id = r.id AND c.status = 'failed')::bigint AS "failed!",
                  (SELECT count(*) FROM samples s WHERE s.run_id = r.id) AS "samples!"
           FROM runs r
           JOIN datasets d ON d.id = r.dataset_id
           JOIN prompt_versions v ON v.id = r.prompt_version_id
           JOIN prompts p ON p.id = v.prompt_id
           WHERE ($1::uuid IS NULL OR r.dataset_id = $1)
             AND ($2 OR d.owner_id = $3 OR EXISTS (SELECT 1 FROM dataset_shares ds WHERE ds.dataset_id = d.id AND ds.user_id = $3))
           ORDER BY r.created_at DESC, r.id
           LIMIT 500"#,
        dataset_id,
        user.can(Permission::DatasetAdmin),
        user.id
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(RunListItem {
                id: r.id,
                dataset_id: r.dataset_id,
                dataset_name: r.dataset_name,
                status: RunStatus::parse(&r.status).ok_or_else(|| EngineError::internal("unknown run status"))?,
                provider: ProviderKind::parse(&r.provider).unwrap_or_default(),
                model: r.model,
                prompt_name: r.prompt_name,
                prompt_version: r.prompt_version,
                prompt_version_id: r.prompt_version_id,
                total: i64::from(r.total),
                done: r.done,
                failed: r.failed,
                samples: r.samples,
                created_at: r.created_at,
                started_at: r.started_at,
                finished_at: r.finished_at,
            })
        })
        .collect()
}
