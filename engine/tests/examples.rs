//! A prompt's examples: a labelled file imported with labels mapped, merged, created and skipped,
//! duplicates and conflicts counted, versioned sets; the examples a chunk carries in the plan and on
//! the wire, recorded per chunk; and an offline run that learns from them.

mod support;

use engine::classify::examples::{
    ExamplesImport, LabelAction, LabelChoice, LabelledSource, add_example, current_set, examples_at, examples_csv, examples_page, import_examples, preview_import,
    remove_examples, result_examples,
};
use engine::classify::prompts::{latest_version, version_by_id};
use engine::classify::runs::{create_run, execute_run, plan_run, run_progress};
use engine::classify::{NewRun, ProviderKind, RunOverrides, RunStatus};
use llm_testserver::LlmTestServer;
use sqlx::PgPool;
use support::{analyst, context, dataset_of, test_prompt, upload_csv};
use tokio_util::sync::CancellationToken;

fn row(text: &str, merchant: &str, label: &str) -> Vec<String> {
    vec![text.to_string(), merchant.to_string(), label.to_string()]
}

/// Last year's ledger: two text columns and a label; one duplicate, two conflicting texts, an
/// empty label, labels named like the prompt's categories in another case, and labels it lacks.
fn ledger() -> Vec<Vec<String>> {
    vec![
        row("TAXI", "Madrid aeropuerto", "viajes"),
        row("taxi", "MADRID  AEROPUERTO", "viajes"), // duplicate after cleaning
        row("Vuelo", "Iberia IB3100", "Trips"),
        row("Vuelo", "Iberia IB3100", "Trips"), // duplicate
        row("Licencia", "Microsoft 365", "Software"),
        row("Licencia", "Microsoft 365", "Publicidad"), // conflict: 2 Software, 1 Publicidad
        row("Licencia", "Microsoft 365", "Software"),
        row("Cena", "Restaurante Olivo", "Junk"),
        row("Anuncio", "Google Ads", "PUBLICIDAD"),
        row("Anuncio", "Meta Ads", "Publicidad"),
        row("Papel", "Staples", ""),
        row("Hotel", "NH Collection", "Trips"),
        row("Hotel", "NH Collection", "viajes"), // conflict: tie, the latest row wins
    ]
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn a_labelled_file_is_imported_with_labels_mapped_merged_created_and_skipped(pool: PgPool) -> anyhow::Result<()> {
    let user = analyst(&pool).await?;
    let version = test_prompt(&pool, &user).await?;
    let prompt = version_by_id(&pool, version).await?.prompt_id;
    let upload = upload_csv(&pool, &user, "ledger-2025.csv", &["Concepto", "Comercio", "Cuenta"], &ledger()).await?;
    let source = LabelledSource {
        upload_id: upload.id,
        table_id: upload.files[0].table_id,
        text_columns: vec!["Concepto".into(), "Comercio".into()],
        label_column: "Cuenta".into(),
    };

    let preview = preview_import(&pool, &user, prompt, &source).await?;
    assert_eq!((preview.rows, preview.empty, preview.distinct), (13, 1, 7));
    assert_eq!((preview.duplicates, preview.conflicts), (3, 2), "taxi, vuelo and the third licencia repeat; licencia and hotel conflict");
    let suggested = |label: &str| preview.labels.iter().find(|l| l.label == label).map(|l| l.suggested.clone());
    assert_eq!(suggested("viajes"), Some(LabelAction::Map { category: "Viajes".into() }), "matched ignoring case");
    assert_eq!(suggested("PUBLICIDAD"), Some(LabelAction::Map { category: "Publicidad".into() }));
    assert_eq!(suggested("Software"), Some(LabelAction::Create));
    assert_eq!(current_set(&pool, prompt).await?, (0, 0), "a preview stores nothing");

    let mapping = vec![
        LabelChoice { label: "Trips".into(), action: LabelAction::Map { category: "Viajes".into() } }, // merged with viajes
        LabelChoice { label: "Junk".into(), action: LabelAction::Skip },
    ];
    let done = import_examples(&pool, &user, prompt, &ExamplesImport { source: source.clone(), mapping }).await?;
    assert_eq!(done.created_categories, vec!["Software".to_string()]);
    assert_eq!(done.prompt_version, Some(2));
    assert_eq!((done.added, done.replaced, done.unchanged, done.skipped), (6, 0, 0, 1));
    assert_eq!((done.duplicates, done.conflicts, done.examples_version), (3, 2, 1));
    let latest = latest_version(&pool, Some(prompt)).await?;
    assert!(latest.categories.iter().any(|c| c.name == "Software"), "the created category is in the new version");

    let page = examples_page(&pool, &user, prompt, None, None, 0, 50).await?;
    assert_eq!(page.total, 6);
    let count = |name: &str| page.by_category.iter().find(|c| c.name == name).map(|c| c.count);
    assert_eq!(count("Viajes"), Some(3), "taxi, vuelo (Trips merged) and hotel (the latest label)");
    assert_eq!(count("Software"), Some(1), "licencia: two against one");
    assert_eq!(count("Publicidad"), Some(2));
    let hotel = page.rows.iter().find(|r| r.text.starts_with("Hotel")).map(|r| r.category.clone());
    assert_eq!(hotel.as_deref(), Some("Viajes"));

    // Importing again with the same choices changes nothing but the set's number.
    let same = || vec![
        LabelChoice { label: "Trips".into(), action: LabelAction::Map { category: "Viajes".into() } },
        LabelChoice { label: "Junk".into(), action: LabelAction::Skip },
    ];
    let again = import_examples(&pool, &user, prompt, &ExamplesImport { source: source.clone(), mapping: same() }).await?;
    assert_eq!((again.added, again.unchanged, again.replaced, again.examples_version), (0, 6, 0, 2));
    assert_eq!(again.prompt_version, None, "no category to create this time");
    // By hand: a text already there takes the new category, in a new set.
    let taxi = page.rows.iter().find(|r| r.text.starts_with("TAXI")).map(|r| r.id).unwrap_or_default();
    let moved = add_example(&pool, &user, prompt, "taxi madrid aeropuerto", "Otros").await?;
    assert_eq!((moved.category.as_str(), moved.added_in), ("Otros", 3));
    assert_eq!(current_set(&pool, prompt).await?, (3, 6), "replaced, not added");
    assert!(examples_at(&pool, prompt, 2).await?.iter().any(|e| e.id == taxi), "set 2 still has the old one");
    let v = remove_examples(&pool, &user, prompt, &[moved.id]).await?;
    assert_eq!(v, 4);
    assert_eq!(current_set(&pool, prompt).await?, (4, 5));
    assert_eq!(examples_at(&pool, prompt, 1).await?.len(), 6, "set 1 is what it was");
    assert_eq!(remove_examples(&pool, &user, prompt, &[moved.id]).await.err().map(|e| e.code()), Some(engine::ErrorCode::ExampleNotFound));

    let csv = String::from_utf8(examples_csv(&pool, &user, prompt).await?)?;
    assert_eq!(csv.lines().count(), 6, "header and five examples:\n{csv}");
    assert!(csv.contains("Licencia Microsoft 365,Software,import,ledger-2025.csv"), "{csv}");

    // A mapping to a category the prompt lacks is refused, and nothing is stored.
    let bad = vec![LabelChoice { label: "Trips".into(), action: LabelAction::Map { category: "Nope".into() } }];
    let err = import_examples(&pool, &user, prompt, &ExamplesImport { source, mapping: bad }).await.err().map(|e| e.code());
    assert_eq!(err, Some(engine::ErrorCode::InvalidInput));
    assert_eq!(current_set(&pool, prompt).await?, (4, 5));
    Ok(())
}

fn openai(dataset: uuid::Uuid, version: uuid::Uuid, few_shot: u32) -> NewRun {
    NewRun {
        dataset_id: dataset,
        prompt_id: None,
        prompt_version_id: Some(version),
        overrides: RunOverrides {
            provider: Some(ProviderKind::Openai),
            model: Some("test-model".into()),
            chunk_size: Some(4),
            few_shot: Some(few_shot),
            ..Default::default()
        },
    }
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn the_plan_shows_the_examples_a_chunk_carries_and_a_result_says_which_were_sent(pool: PgPool) -> anyhow::Result<()> {
    let server = LlmTestServer::start().await?;
    let user = analyst(&pool).await?;
    let version = test_prompt(&pool, &user).await?;
    let prompt = version_by_id(&pool, version).await?.prompt_id;
    let history: Vec<Vec<String>> = (0..30)
        .map(|i| match i % 3 {
            0 => vec![format!("billete tren madrid {i}"), "Viajes".to_string()],
            1 => vec![format!("campaña anuncios radio {i}"), "Publicidad".to_string()],
            _ => vec![format!("concierto pop entradas {i}"), "Pop".to_string()],
        })
        .collect();
    let upload = upload_csv(&pool, &user, "history.csv", &["texto", "categoria"], &history).await?;
    let source = LabelledSource { upload_id: upload.id, table_id: upload.files[0].table_id, text_columns: vec!["texto".into()], label_column: "categoria".into() };
    import_examples(&pool, &user, prompt, &ExamplesImport { source, mapping: vec![] }).await?;
    let lines: Vec<String> = (0..8).map(|i| if i % 2 == 0 { format!("billete tren sevilla {i}") } else { format!("anuncios radio local {i}") }).collect();
    let dataset = dataset_of(&pool, &user, &lines).await?;
    let ctx = context(&pool, Some(server.base_url())).await?;

    let with = plan_run(&ctx, &user, &openai(dataset.id, version, 3)).await?;
    let without = plan_run(&ctx, &user, &openai(dataset.id, version, 0)).await?;
    assert_eq!((with.examples_version, with.examples_count), (1, 30));
    assert_eq!(with.first_examples.len(), 3, "k = 3");
    assert!(with.first_examples.iter().all(|e| e.text.contains("tren") || e.text.contains("radio")), "the nearest: {:?}", with.first_examples);
    assert_eq!(with.first_call.len(), 3, "prompt, examples, lines");
    assert!(with.first_call[1].content.contains(&with.first_examples[0].text));
    assert!(with.example_tokens_per_call > 0);
    assert_eq!(with.est_tokens_in - without.est_tokens_in, with.calls * with.example_tokens_per_call, "the examples' tokens are in the estimate");
    assert!(with.est_cost > without.est_cost);
    assert!(without.first_examples.is_empty() && without.first_call.len() == 2);

    let id = create_run(&ctx, &user, &openai(dataset.id, version, 3)).await?;
    assert!(matches!(execute_run(&ctx, id, &CancellationToken::new()).await?, engine::classify::runs::RunOutcome::Finished(RunStatus::Succeeded)));
    let p = run_progress(&pool, &user, id).await?;
    assert_eq!((p.examples_version, p.examples_count), (Some(1), 30));
    let calls = server.calls();
    assert_eq!(calls.len(), 2);
    let sent = calls.iter().find(|c| c.row_indexes.first() == Some(&0)).and_then(|c| c.examples.clone()).unwrap_or_default();
    let shown = result_examples(&pool, &user, id, 0).await?;
    let ids = |v: &[engine::classify::examples::ExampleShown]| {
        let mut ids: Vec<i64> = v.iter().map(|e| e.id).collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&shown.examples), ids(&with.first_examples), "the plan said what the first chunk would carry");
    // Shown for line 0 ("billete tren sevilla 0"): the closest to that line first.
    assert!(shown.examples.windows(2).all(|w| w[0].similarity >= w[1].similarity), "{:?}", shown.examples);
    assert!(shown.examples[0].text.contains("tren"), "{:?}", shown.examples);
    for e in &shown.examples {
        assert!(sent.contains(&e.text), "{} was on the wire: {sent}", e.text);
    }
    assert_eq!(shown.examples_version, Some(1));
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn an_offline_run_learns_from_the_prompts_examples(pool: PgPool) -> anyhow::Result<()> {
    let user = analyst(&pool).await?;
    let version = test_prompt(&pool, &user).await?;
    let prompt = version_by_id(&pool, version).await?.prompt_id;
    // Merchant names no keyword or category name gives away.
    let history: Vec<Vec<String>> = (0..40)
        .map(|i| match i % 2 {
            0 => vec![format!("ZETAVIA LOGISTIC {i}"), "Viajes".to_string()],
            _ => vec![format!("KLONDIKE MEDIA SL {i}"), "Publicidad".to_string()],
        })
        .collect();
    let upload = upload_csv(&pool, &user, "history.csv", &["texto", "categoria"], &history).await?;
    let source = LabelledSource { upload_id: upload.id, table_id: upload.files[0].table_id, text_columns: vec!["texto".into()], label_column: "categoria".into() };
    import_examples(&pool, &user, prompt, &ExamplesImport { source, mapping: vec![] }).await?;
    let dataset = dataset_of(&pool, &user, &["zetavia logistic factura 77".into(), "klondike media campaña".into()]).await?;
    let ctx = context(&pool, None).await?;
    let req = NewRun { dataset_id: dataset.id, prompt_id: None, prompt_version_id: Some(version), overrides: RunOverrides::default() };
    let id = create_run(&ctx, &user, &req).await?;
    execute_run(&ctx, id, &CancellationToken::new()).await?;
    let rows: Vec<(String, String, f64)> = sqlx::query_as(
        "SELECT ul.text, rr.category, rr.score FROM run_results rr JOIN unique_lines ul ON ul.dataset_id = $2 AND ul.idx = rr.line_idx
         WHERE rr.run_id = $1 ORDER BY rr.line_idx",
    )
    .bind(id)
    .bind(dataset.id)
    .fetch_all(&pool)
    .await?;
    assert_eq!(rows[0].1, "Viajes", "{rows:?}");
    assert_eq!(rows[1].1, "Publicidad", "{rows:?}");
    assert!(rows.iter().all(|r| (0.0..=1.0).contains(&r.2)));
    Ok(())
}
