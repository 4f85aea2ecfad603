//! Metrics of a sample, for the run it was drawn from or for any later run scored on the same items:
//! truth is the human verdict (the prediction of the sampled run when marked correct, the corrected
//! category otherwise); skipped and unreviewed items do not count.

use std::collections::{BTreeSet, HashMap};

use sqlx::PgPool;
use uuid::Uuid;

use super::samples::sample_summary;
use super::stats::{Stratum, class_scores, stratified_estimate, wilson};
use super::{CategoryMetrics, ConfusedPair, SampleMetrics};
use crate::auth::CurrentUser;
use crate::classify::runs::run_progress;
use crate::error::{EngineError, Result};

/// `run_id` scores another run (an iteration) on the sample's items; by default the sampled run.
pub async fn sample_metrics(pool: &PgPool, user: &CurrentUser, sample_id: Uuid, run_id: Option<Uuid>) -> Result<SampleMetrics> {
    let sample = sample_summary(pool, user, sample_id).await?;
    let scored = run_id.unwrap_or(sample.run_id);
    let run = run_progress(pool, user, scored).await?;
    if run.dataset_id != sample.dataset_id {
        return Err(EngineError::invalid("that run classified another dataset"));
    }
    let rows = sqlx::query!(
        r#"SELECT i.stratum, v.verdict, coalesce(v.corrected_category, base.category) AS "truth!",
                  pred.category AS "predicted?"
           FROM sample_items i
           JOIN samples s ON s.id = i.sample_id
           JOIN verdicts v ON v.item_id = i.id
           JOIN run_results base ON base.run_id = s.run_id AND base.line_idx = i.line_idx
           LEFT JOIN run_results pred ON pred.run_id = $2 AND pred.line_idx = i.line_idx
           WHERE i.sample_id = $1"#,
        sample_id,
        scored
    )
    .fetch_all(pool)
    .await?;
    let skipped = rows.iter().filter(|r| r.verdict == "skipped").count() as i64;
    // Items the scored run has no answer for cannot be judged for it.
    let judged: Vec<(&str, &str, &str)> = rows
        .iter()
        .filter(|r| r.verdict != "skipped")
        .filter_map(|r| r.predicted.as_deref().map(|p| (r.stratum.as_str(), r.truth.as_str(), p)))
        .collect();
    let reviewed = judged.len() as i64;
    let correct = judged.iter().filter(|(_, t, p)| t == p).count() as i64;

    let labels: Vec<String> = judged.iter().flat_map(|(_, t, p)| [t.to_string(), p.to_string()]).collect::<BTreeSet<_>>().into_iter().collect();
    let at: HashMap<&str, usize> = labels.iter().enumerate().map(|(i, l)| (l.as_str(), i)).collect();
    let mut matrix = vec![vec![0u64; labels.len()]; labels.len()];
    for (_, t, p) in &judged {
        matrix[at[t]][at[p]] += 1;
    }
    let per_category = class_scores(&matrix)
        .into_iter()
        .zip(&labels)
        .map(|(s, l)| CategoryMetrics { category: l.clone(), precision: s.precision, recall: s.recall, f1: s.f1, support: s.support as i64 })
        .collect();
    let mut most_confused: Vec<ConfusedPair> = Vec::new();
    for (t, row) in matrix.iter().enumerate() {
        for (p, n) in row.iter().enumerate() {
            if t != p && *n > 0 {
                most_confused.push(ConfusedPair { truth: labels[t].clone(), predicted: labels[p].clone(), count: *n as i64 });
            }
        }
    }
    most_confused.sort_by(|a, b| b.count.cmp(&a.count).then(a.truth.cmp(&b.truth)));
    most_confused.truncate(5);

    let confidence = sample.confidence;
    let strata: Vec<Stratum> = sample
        .strata
        .iter()
        .map(|s| {
            let mine = judged.iter().filter(|(st, _, _)| *st == s.category);
            let (reviewed, correct) = mine.fold((0, 0), |(n, c), (_, t, p)| (n + 1, c + u64::from(t == p)));
            Stratum { population: s.population as u64, reviewed, correct }
        })
        .collect();
    let estimate = stratified_estimate(&strata, confidence);
    Ok(SampleMetrics {
        sample_id,
        run_id: scored,
        confidence,
        reviewed,
        skipped,
        correct,
        accuracy: (reviewed > 0).then(|| correct as f64 / reviewed as f64),
        accuracy_ci: (reviewed > 0).then(|| {
            let (lo, hi) = wilson(correct as u64, reviewed as u64, confidence);
            [lo, hi]
        }),
        per_category,
        labels,
        confusion: matrix.into_iter().map(|r| r.into_iter().map(|n| n as i64).collect()).collect(),
        most_confused,
        population_estimate: estimate.map(|e| e.0),
        population_ci: estimate.map(|e| [e.1, e.2]),
    })
}
