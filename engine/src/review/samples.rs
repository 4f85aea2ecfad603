//! Drawing a sample from a finished run: the size from confidence and margin (or fixed), allocated
//! across predicted categories with a minimum each, drawn with a seed (the same seed draws the same
//! items), optionally leaning on low scores. Items are shuffled so one category does not come in a
//! block, and frozen: later prompt versions are scored on exactly these lines.

use std::collections::BTreeMap;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use sqlx::PgPool;
use uuid::Uuid;

use super::stats::{allocate, cochran};
use super::{NewSample, SampleSummary, StratumInfo};
use crate::auth::{CurrentUser, Permission};
use crate::classify::runs::run_progress;
use crate::error::{Conflict, EngineError, Field, Resource, Result};

pub async fn create_sample(pool: &PgPool, user: &CurrentUser, req: &NewSample) -> Result<SampleSummary> {
    user.require(Permission::SampleReview)?;
    let run = run_progress(pool, user, req.run_id).await?;
    if !run.status.is_terminal() {
        return Err(EngineError::Conflict(Conflict::RunActive));
    }
    let confidence = req.confidence.unwrap_or(0.95);
    let margin = req.margin.unwrap_or(0.05);
    let out = |field: Field, min: f64, max: f64| EngineError::OutOfRange { field, min, max };
    if !(0.5..1.0).contains(&confidence) {
        return Err(out(Field::Confidence, 0.5, 0.999));
    }
    if !(margin > 0.0 && margin < 0.5) {
        return Err(out(Field::Margin, 0.001, 0.499));
    }
    let min_per = req.min_per_category.unwrap_or(5);
    if !(0..=10_000).contains(&min_per) {
        return Err(out(Field::MinPerCategory, 0.0, 10_000.0));
    }
    if req.size.is_some_and(|s| !(1..=10_000_000).contains(&s)) {
        return Err(out(Field::SampleSize, 1.0, 10_000_000.0));
    }
    let seed = req.seed.unwrap_or_else(|| rand::rng().random_range(0..i64::MAX));

    let lines = sqlx::query!(
        "SELECT line_idx, category, score FROM run_results WHERE run_id = $1 ORDER BY line_idx",
        req.run_id
    )
    .fetch_all(pool)
    .await?;
    if lines.is_empty() {
        return Err(EngineError::Conflict(Conflict::RunWithoutResults));
    }
    let mut strata: BTreeMap<String, Vec<(i32, f64)>> = BTreeMap::new();
    for l in lines {
        strata.entry(l.category).or_default().push((l.line_idx, l.score));
    }
    let population = strata.values().map(Vec::len).sum::<usize>() as u64;
    let size = match req.size {
        Some(s) => (s as u64).min(population),
        None => cochran(population, confidence, margin),
    };
    let sizes: Vec<u64> = strata.values().map(|v| v.len() as u64).collect();
    let alloc = allocate(&sizes, size, min_per as u64);

    let mut rng = rand::rngs::StdRng::seed_from_u64(seed as u64);
    let mut picked: Vec<(i32, String)> = Vec::new();
    let mut infos = Vec::new();
    for ((category, members), take) in strata.iter().zip(&alloc) {
        let chosen = draw(members, *take as usize, req.oversample_low.unwrap_or(false), &mut rng);
        picked.extend(chosen.into_iter().map(|idx| (idx, category.clone())));
        infos.push(StratumInfo { category: category.clone(), population: members.len() as i64, allocated: *take as i64 });
    }
    picked.shuffle(&mut rng);

    let id = Uuid::new_v4();
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "INSERT INTO samples (id, run_id, dataset_id, population, size, confidence, margin, seed, min_per_category,
                              oversample_low, strata, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        id,
        req.run_id,
        run.dataset_id,
        population as i32,
        picked.len() as i32,
        confidence,
        margin,
        seed,
        min_per as i32,
        req.oversample_low.unwrap_or(false),
        serde_json::to_value(&infos).map_err(EngineError::internal)?,
        user.id
    )
    .execute(&mut *tx)
    .await?;
    let ids: Vec<Uuid> = picked.iter().map(|_| Uuid::new_v4()).collect();
    let positions: Vec<i32> = (1..=picked.len() as i32).collect();
    let idxs: Vec<i32> = picked.iter().map(|p| p.0).collect();
    let cats: Vec<String> = picked.into_iter().map(|p| p.1).collect();
    sqlx::query!(
        "INSERT INTO sample_items (id, sample_id, position, line_idx, stratum)
         SELECT t.id, $1, t.position, t.idx, t.cat FROM UNNEST($2::uuid[], $3::int[], $4::int[], $5::text[]) AS t(id, position, idx, cat)",
        id,
        &ids,
        &positions,
        &idxs,
        &cats
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    sample_summary(pool, user, id).await
}

/// `take` members: at random, or with `low` half of them from the lowest-scoring third.
fn draw(members: &[(i32, f64)], take: usize, low: bool, rng: &mut rand::rngs::StdRng) -> Vec<i32> {
    let mut pool: Vec<(i32, f64)> = members.to_vec();
    if !low {
        pool.shuffle(rng);
        return pool.into_iter().take(take).map(|m| m.0).collect();
    }
    pool.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    let third = pool.len().div_ceil(3);
    let (lowest, rest) = pool.split_at_mut(third);
    lowest.shuffle(rng);
    let from_low = (take / 2).min(lowest.len());
    let mut out: Vec<i32> = lowest[..from_low].iter().map(|m| m.0).collect();
    let mut others: Vec<(i32, f64)> = lowest[from_low..].iter().chain(rest.iter()).copied().collect();
    others.shuffle(rng);
    out.extend(others.into_iter().take(take - from_low).map(|m| m.0));
    out
}

/// Every sample the user can see (of their own datasets, those shared with them, or all with
/// `dataset:admin`), newest first, with its progress and accuracy so far; with `run_id`, only
/// that run's.
pub async fn list_samples(pool: &PgPool, user: &CurrentUser, run_id: Option<Uuid>) -> Result<Vec<super::SampleListItem>> {
    user.require(Permission::DatasetRead)?;
    let rows = sqlx::query!(
        r#"SELECT s.id, s.run_id, s.dataset_id, d.name AS dataset_name, p.name AS prompt_name, v.version AS prompt_version,
                  s.size, s.created_at,
                  count(vd.item_id) FILTER (WHERE vd.verdict <> 'skipped') AS "reviewed!",
                  count(vd.item_id) FILTER (WHERE vd.verdict = 'correct') AS "correct!"
           FROM samples s
           JOIN datasets d ON d.id = s.dataset_id
           JOIN runs r ON r.id = s.run_id
           JOIN prompt_versions v ON v.id = r.prompt_version_id
           JOIN prompts p ON p.id = v.prompt_id
           LEFT JOIN sample_items i ON i.sample_id = s.id
           LEFT JOIN verdicts vd ON vd.item_id = i.id
           WHERE ($1 OR d.owner_id = $2 OR EXISTS (SELECT 1 FROM dataset_shares ds WHERE ds.dataset_id = d.id AND ds.user_id = $2))
             AND ($3::uuid IS NULL OR s.run_id = $3)
           GROUP BY s.id, d.name, p.name, v.version
           ORDER BY s.created_at DESC
           LIMIT 1000"#,
        user.can(Permission::DatasetAdmin),
        user.id,
        run_id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| super::SampleListItem {
            id: r.id,
            run_id: r.run_id,
            dataset_id: r.dataset_id,
            dataset_name: r.dataset_name,
            prompt_name: r.prompt_name,
            prompt_version: r.prompt_version,
            size: r.size as i64,
            reviewed: r.reviewed,
            correct: r.correct,
            created_at: r.created_at,
        })
        .collect())
}

pub async fn sample_summary(pool: &PgPool, user: &CurrentUser, id: Uuid) -> Result<SampleSummary> {
    user.require(Permission::DatasetRead)?;
    let s = sqlx::query!(
        r#"SELECT s.id, s.run_id, s.dataset_id, s.population, s.size, s.confidence, s.margin, s.seed, s.min_per_category,
                  s.oversample_low, s.strata, s.created_at, d.owner_id,
                  (SELECT count(*) FROM sample_items i JOIN verdicts v ON v.item_id = i.id
                    WHERE i.sample_id = s.id AND v.verdict <> 'skipped') AS "reviewed!"
           FROM samples s JOIN datasets d ON d.id = s.dataset_id WHERE s.id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await?
    .ok_or(EngineError::NotFound(Resource::Sample))?;
    if !crate::clean::shares::can_read(pool, user, s.dataset_id, s.owner_id).await? {
        return Err(EngineError::NotFound(Resource::Sample));
    }
    Ok(SampleSummary {
        id: s.id,
        run_id: s.run_id,
        dataset_id: s.dataset_id,
        population: s.population as i64,
        size: s.size as i64,
        confidence: s.confidence,
        margin: s.margin,
        seed: s.seed,
        min_per_category: s.min_per_category as i64,
        oversample_low: s.oversample_low,
        strata: serde_json::from_value(s.strata).map_err(EngineError::internal)?,
        reviewed: s.reviewed,
        created_at: s.created_at,
    })
}
