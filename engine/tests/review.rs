//! Review on the real database: draw a reproducible stratified sample from a finished run, give
//! verdicts (with the mistakes a reviewer makes refused clearly), undo one, and check the metrics
//! reconcile with the verdicts given.

mod support;

use engine::auth::{Password, Role, Username, create_user};
use engine::classify::runs::{create_run, execute_run};
use engine::classify::{NewRun, RunOverrides};
use engine::review::metrics::sample_metrics;
use engine::review::samples::create_sample;
use engine::review::verdicts::{clear_verdict, put_verdict, sample_items};
use engine::review::{NewSample, Verdict, VerdictInput};
use engine::ErrorCode;
use sqlx::PgPool;
use support::{analyst, context, dataset_of, lines, test_prompt};
use tokio_util::sync::CancellationToken;

fn sample_request(run_id: uuid::Uuid, seed: i64) -> NewSample {
    NewSample { run_id, confidence: None, margin: None, size: None, seed: Some(seed), min_per_category: None, oversample_low: None }
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn a_sample_is_drawn_reviewed_and_measured(pool: PgPool) -> anyhow::Result<()> {
    let user = analyst(&pool).await?;
    let version = test_prompt(&pool, &user).await?;
    // Every 8th line is a hotel stay: travel to a person, but no category name says so.
    let text: Vec<String> = lines(400).into_iter().enumerate().map(|(i, l)| if i % 8 == 7 { format!("Hotel reserva {i}") } else { l }).collect();
    let dataset = dataset_of(&pool, &user, &text).await?;
    let ctx = context(&pool, None).await?;
    let req = NewRun { dataset_id: dataset.id, prompt_id: None, prompt_version_id: Some(version), overrides: RunOverrides::default() };
    let run = create_run(&ctx, &user, &req).await?;
    execute_run(&ctx, run, &CancellationToken::new()).await?;

    let sample = create_sample(&pool, &user, &sample_request(run, 42)).await?;
    // Cochran with the finite-population correction: N = 400, 95 %, ±5 % → 197.
    assert_eq!((sample.population, sample.size), (400, 197));
    assert_eq!(sample.strata.iter().map(|s| s.allocated).sum::<i64>(), 197);
    assert!(sample.strata.iter().all(|s| s.allocated >= 5.min(s.population)), "{:?}", sample.strata);
    let items = sample_items(&pool, &user, sample.id).await?;
    assert_eq!(items.len(), 197);
    let original: Vec<&str> = items[0].original.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(original, ["id", "concepto"], "each item shows its original row's columns");
    assert_eq!(items[0].original[1].1, items[0].line, "the description column holds the line");
    let mut idx: Vec<i32> = items.iter().map(|i| i.line_idx).collect();
    idx.sort();
    idx.dedup();
    assert_eq!(idx.len(), 197, "no line twice");
    let again = sample_items(&pool, &user, create_sample(&pool, &user, &sample_request(run, 42)).await?.id).await?;
    let same: Vec<i32> = again.iter().map(|i| i.line_idx).collect();
    assert_eq!(same, items.iter().map(|i| i.line_idx).collect::<Vec<_>>(), "the same seed draws the same sample");

    // Mistakes are refused with a reason.
    let first = &items[0];
    let bad = |verdict, corrected: Option<&str>| VerdictInput { verdict, corrected_category: corrected.map(String::from), note: None };
    for (input, expect) in [
        (bad(Verdict::Incorrect, None), "needs the right category"),
        (bad(Verdict::Incorrect, Some("Astrología")), "is not a category of the prompt"),
        (bad(Verdict::Incorrect, Some(first.category.as_str())), "mark the line correct instead"),
    ] {
        let err = put_verdict(&pool, &user, sample.id, first.id, &input).await.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains(expect), "{err}");
    }
    let vname = Username::parse("vera")?;
    let viewer = create_user(&pool, &vname, &Password::parse("another long secret", &vname)?, Role::Viewer).await?;
    let err = put_verdict(&pool, &viewer, sample.id, first.id, &bad(Verdict::Correct, None)).await.err().map(|e| e.code());
    assert_eq!(err, Some(ErrorCode::Forbidden));

    // Review: the truth of a generated line is the category it names; skip three.
    let (mut correct, mut reviewed) = (0, 0);
    for (n, item) in items.iter().enumerate() {
        let truth = if item.line.starts_with("Hotel") { "Viajes" } else { item.line.split(' ').next().unwrap_or_default() };
        let input = if n < 3 {
            bad(Verdict::Skipped, None)
        } else if truth == item.category {
            correct += 1;
            reviewed += 1;
            VerdictInput { verdict: Verdict::Correct, corrected_category: None, note: Some("ok".into()) }
        } else {
            reviewed += 1;
            bad(Verdict::Incorrect, Some(truth))
        };
        let saved = put_verdict(&pool, &user, sample.id, item.id, &input).await?;
        assert_eq!(saved.verdict, Some(input.verdict));
        assert_eq!(saved.reviewer.as_deref(), Some("ana"));
    }
    let m = sample_metrics(&pool, &user, sample.id, None).await?;
    assert_eq!((m.reviewed, m.correct, m.skipped), (reviewed, correct, 3));
    let accuracy = m.accuracy.unwrap_or(-1.0);
    assert!((accuracy - correct as f64 / reviewed as f64).abs() < 1e-12);
    let [lo, hi] = m.accuracy_ci.unwrap_or([2.0, -1.0]);
    assert!(lo <= accuracy && accuracy <= hi && lo >= 0.0 && hi <= 1.0, "{lo} {accuracy} {hi}");
    let cells: i64 = m.confusion.iter().flatten().sum();
    assert_eq!(cells, reviewed, "the confusion matrix holds every judged item");
    let diagonal: i64 = (0..m.labels.len()).map(|i| m.confusion[i][i]).sum();
    assert_eq!(diagonal, correct);
    assert_eq!(m.per_category.iter().map(|c| c.support).sum::<i64>(), reviewed);
    let estimate = m.population_estimate.unwrap_or(-1.0);
    assert!((0.0..=1.0).contains(&estimate), "{estimate}");
    if correct < reviewed {
        assert!(!m.most_confused.is_empty());
    }

    // The corrections at hand, grouped by true category, and saved as few-shot examples.
    let groups = engine::review::corrections::corrections(&pool, &user, sample.id).await?;
    assert_eq!(groups.iter().map(|g| g.lines.len() as i64).sum::<i64>(), reviewed - correct);
    assert!(groups.iter().all(|g| g.lines.iter().all(|l| l.predicted != g.category)));
    assert!(reviewed > correct, "the offline classifier gets some generated lines wrong, so there is something to correct");
    {
        let with_examples = engine::review::corrections::save_with_examples(&pool, &user, sample.id, false).await?;
        assert_eq!(with_examples.version, 2);
        assert!(with_examples.compiled.contains("EJEMPLOS CORREGIDOS POR PERSONAS:"), "{}", with_examples.compiled);
        let first = &groups[0].lines[0];
        assert!(with_examples.template.contains(&format!("- «{}» → {}", first.line, groups[0].category)));
        // Every corrected line joined the prompt's examples too, in a new set, marked as this review's.
        let page = engine::classify::examples::examples_page(&pool, &user, with_examples.prompt_id, None, None, 0, 500).await?;
        assert_eq!(page.total, reviewed - correct);
        assert_eq!(page.examples_version, 1);
        assert!(page.rows.iter().all(|r| r.origin == "review" && r.source.as_deref() == Some(engine::classify::examples::review_source(sample.id).as_str())));
        assert!(page.rows.iter().any(|r| r.text == first.line && r.category == groups[0].category));
    }

    // Iteration 2: the same items with a prompt whose keywords name each category. It is scored on
    // the same verdicts; the offline classifier does not learn this sample's own answers for it.
    let draft = engine::classify::PromptDraft {
        template: "Clasifica cada línea.".into(),
        categories: support::CATEGORIES
            .iter()
            .map(|n| {
                let mut keywords = vec![n.to_lowercase()];
                if *n == "Viajes" {
                    keywords.push("hotel".into());
                }
                engine::classify::Category { name: n.to_string(), description: format!("cosas de {n}"), keywords, priority: 0 }
            })
            .collect(),
        ..Default::default()
    };
    let prompt_id = sqlx::query_scalar::<_, uuid::Uuid>("SELECT prompt_id FROM prompt_versions WHERE id = $1").bind(version).fetch_one(&pool).await?;
    let v2 = engine::classify::prompts::save_version(&pool, &user, prompt_id, &draft).await?;
    let rerun = engine::review::SampleRerun { prompt_version_id: v2.id, overrides: RunOverrides::default() };
    let second = engine::review::iterations::create_iteration(&ctx, &user, sample.id, &rerun, engine::review::Scope::Sample).await?;
    execute_run(&ctx, second, &CancellationToken::new()).await?;
    let classified: i64 = sqlx::query_scalar("SELECT count(*) FROM run_results WHERE run_id = $1").bind(second).fetch_one(&pool).await?;
    assert_eq!(classified, 197, "an iteration classifies the sample's items only");
    let its = engine::review::iterations::iterations(&pool, &user, sample.id).await?;
    assert_eq!(its.iter().map(|i| (i.number, i.run_id)).collect::<Vec<_>>(), vec![(1, run), (2, second)]);
    assert_eq!(its[1].accuracy, Some(1.0), "keywords naming each category (and hotels as travel) get every line right");
    let cmp = engine::review::iterations::compare(&pool, &user, sample.id, run, second).await?;
    assert_eq!(cmp.fixed.len() as i64, reviewed - correct, "every line wrong before is fixed");
    assert!(cmp.broken.is_empty());
    assert!(cmp.fixed.iter().all(|l| l.after == l.truth && l.before != l.truth));

    // The reviewed export: the final category is the person's where they corrected the model.
    let csv = String::from_utf8(engine::classify::runs::results_csv(&pool, &user, run, Some(sample.id), engine::export::ExportOptions { lang: engine::Lang::En, separator: engine::export::Separator::Comma }).await?)?;
    let csv = csv.strip_prefix('\u{feff}').ok_or_else(|| anyhow::anyhow!("an export for people starts with the UTF-8 byte order mark"))?.to_string();
    let mut lines_out = csv.lines();
    assert_eq!(lines_out.next(), Some("id,concepto,category,score,reason,model_category,verdict,reviewed_by,prompt_version"));
    assert_eq!(csv.lines().count(), 401);
    let corrected = csv.lines().filter(|l| l.contains(",incorrect,ana,")).count() as i64;
    assert_eq!(corrected, reviewed - correct);
    for l in csv.lines().filter(|l| l.contains(",incorrect,ana,")) {
        let concept = l.split(',').nth(1).unwrap_or_default();
        let category = l.split(',').nth(2).unwrap_or_default();
        let truth = if concept.starts_with("Hotel") { "Viajes" } else { concept.split(' ').next().unwrap_or_default() };
        assert_eq!(category, truth, "the corrected category wins: {l}");
    }

    // Undo takes the verdict back and the metrics follow.
    let undone = clear_verdict(&pool, &user, sample.id, items[5].id).await?;
    assert_eq!(undone.verdict, None);
    assert_eq!(sample_metrics(&pool, &user, sample.id, None).await?.reviewed, reviewed - 1);
    Ok(())
}
