//! Sharing a dataset: the people it is shared with see it, its runs and samples, and act within their
//! own permissions; only its owner (or a dataset admin) deletes it or changes the shares.

mod support;

use engine::auth::{Password, Role, Username, create_user};
use engine::classify::runs::{create_run, execute_run, run_progress};
use engine::classify::{NewRun, RunOverrides};
use engine::clean::shares::{list_shares, share, unshare};
use engine::clean::{dataset_summary, delete_dataset, list_datasets};
use engine::review::samples::{create_sample, sample_summary};
use engine::review::NewSample;
use engine::ErrorCode;
use sqlx::PgPool;
use support::{analyst, context, dataset_of, lines, test_prompt};
use tokio_util::sync::CancellationToken;

fn code<T>(r: Result<T, engine::EngineError>) -> Option<ErrorCode> {
    r.err().map(|e| e.code())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn a_shared_dataset_is_seen_and_reviewed_but_not_deleted_by_others(pool: PgPool) -> anyhow::Result<()> {
    let owner = analyst(&pool).await?;
    let name = Username::parse("rita.reviewer")?;
    let other = create_user(&pool, &name, &Password::parse("another long secret", &name)?, Role::Analyst).await?;
    let version = test_prompt(&pool, &owner).await?;
    let dataset = dataset_of(&pool, &owner, &lines(120)).await?;
    let ctx = context(&pool, None).await?;
    let req = NewRun { dataset_id: dataset.id, prompt_id: None, prompt_version_id: Some(version), overrides: RunOverrides::default() };
    let run = create_run(&ctx, &owner, &req).await?;
    execute_run(&ctx, run, &CancellationToken::new()).await?;
    let sample_req = NewSample { run_id: run, confidence: None, margin: None, size: None, seed: Some(3), min_per_category: None, oversample_low: None };
    let sample = create_sample(&pool, &owner, &sample_req).await?;

    // Not shared: invisible (404, not 403), absent from the list.
    assert_eq!(code(dataset_summary(&pool, &other, dataset.id).await), Some(ErrorCode::DatasetNotFound));
    assert_eq!(code(run_progress(&pool, &other, run).await), Some(ErrorCode::RunNotFound));
    assert_eq!(code(sample_summary(&pool, &other, sample.id).await), Some(ErrorCode::SampleNotFound));
    assert!(list_datasets(&pool, &other).await?.is_empty());
    // Nor can a stranger share it or see its shares.
    assert_eq!(code(share(&pool, &other, dataset.id, "rita.reviewer").await), Some(ErrorCode::DatasetNotFound));

    // Shared: seen, listed, its run and sample readable, and a sample of one's own can be drawn.
    share(&pool, &owner, dataset.id, "Rita.Reviewer").await?;
    let shares = list_shares(&pool, &owner, dataset.id).await?;
    assert_eq!(shares.iter().map(|s| s.username.as_str()).collect::<Vec<_>>(), ["rita.reviewer"]);
    assert_eq!(dataset_summary(&pool, &other, dataset.id).await?.id, dataset.id);
    assert_eq!(list_datasets(&pool, &other).await?.len(), 1);
    assert_eq!(run_progress(&pool, &other, run).await?.total, 120);
    assert_eq!(sample_summary(&pool, &other, sample.id).await?.id, sample.id);
    let theirs = create_sample(&pool, &other, &NewSample { seed: Some(4), ..sample_req.clone() }).await?;
    assert_eq!(theirs.population, 120);

    // But it stays the owner's: no delete, no say over the shares.
    assert_eq!(code(delete_dataset(&pool, &other, dataset.id).await), Some(ErrorCode::Forbidden));
    assert_eq!(code(list_shares(&pool, &other, dataset.id).await), Some(ErrorCode::Forbidden));
    assert_eq!(code(unshare(&pool, &other, dataset.id, other.id).await), Some(ErrorCode::Forbidden));
    // A name nobody has is answered exactly like a real one, and changes nothing.
    share(&pool, &owner, dataset.id, "nobody-here").await?;
    assert_eq!(list_shares(&pool, &owner, dataset.id).await?.len(), 1);

    // Unshared: gone again.
    unshare(&pool, &owner, dataset.id, other.id).await?;
    assert_eq!(code(dataset_summary(&pool, &other, dataset.id).await), Some(ErrorCode::DatasetNotFound));
    assert_eq!(code(unshare(&pool, &owner, dataset.id, other.id).await), Some(ErrorCode::ShareNotFound));
    Ok(())
}
