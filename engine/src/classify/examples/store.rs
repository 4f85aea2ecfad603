//! A prompt's examples in the database: the current set page by page, an import from an uploaded
//! labelled table (preview first, then the choices), one example added or removed by hand, the
//! export, and the set a run uses. Every change is one transaction that bumps the prompt's
//! `examples_version`, so earlier sets stay readable.

use std::collections::HashMap;

use sqlx::PgPool;
use uuid::Uuid;

use super::wire::{ExampleRow, ExamplesImport, ExamplesImported, ExamplesPage, ExamplesPreview, LabelledSource, NameCount, resolve_mapping, settle, text_key};
use crate::auth::CurrentUser;
use crate::classify::prompts::{latest_version, visible};
use crate::classify::{Category, PromptDraft};
use crate::error::{EngineError, Resource, Result};

/// A file larger than this is not a ledger of labelled lines; it would also be held in memory.
const MAX_ROWS: usize = 500_000;
const CONFLICT_SAMPLES: usize = 20;

/// One example as runs use it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredExample {
    pub id: i64,
    pub text: String,
    pub category: String,
    pub source: Option<String>,
}

/// What `add_reviewed` records as the source of a sample's corrected lines: an iteration scored on
/// that sample must not learn from them.
pub fn review_source(sample_id: Uuid) -> String {
    format!("review {sample_id}")
}

pub async fn examples_page(
    pool: &PgPool,
    user: &CurrentUser,
    prompt_id: Uuid,
    search: Option<&str>,
    category: Option<&str>,
    offset: i64,
    limit: i64,
) -> Result<ExamplesPage> {
    let rights = visible(pool, user, prompt_id, false).await?;
    let version = sqlx::query_scalar!("SELECT examples_version FROM prompts WHERE id = $1", prompt_id)
        .fetch_one(pool)
        .await?;
    let by_category: Vec<NameCount> = sqlx::query!(
        r#"SELECT category, count(*) AS "n!" FROM prompt_examples WHERE prompt_id = $1 AND removed_in IS NULL
           GROUP BY category ORDER BY count(*) DESC, category"#,
        prompt_id
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| NameCount { name: r.category, count: r.n })
    .collect();
    let pattern = search.map(str::trim).filter(|s| !s.is_empty()).map(|s| format!("%{}%", s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")));
    let category = category.filter(|c| !c.is_empty());
    let matching = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM prompt_examples
           WHERE prompt_id = $1 AND removed_in IS NULL AND ($2::text IS NULL OR text ILIKE $2) AND ($3::text IS NULL OR category = $3)"#,
        prompt_id,
        pattern,
        category
    )
    .fetch_one(pool)
    .await?;
    let rows = sqlx::query_as!(
        ExampleRow,
        "SELECT id, text, category, origin, source, added_in FROM prompt_examples
         WHERE prompt_id = $1 AND removed_in IS NULL AND ($2::text IS NULL OR text ILIKE $2) AND ($3::text IS NULL OR category = $3)
         ORDER BY id DESC OFFSET $4 LIMIT $5",
        prompt_id,
        pattern,
        category,
        offset.max(0),
        limit.clamp(1, 500)
    )
    .fetch_all(pool)
    .await?;
    let validated = crate::review::iterations::validated_examples(pool, user.id, prompt_id, None).await?.len() as i64;
    Ok(ExamplesPage {
        examples_version: version,
        total: by_category.iter().map(|c| c.count).sum(),
        matching,
        by_category,
        rows,
        validated,
        editable: rights.editable,
    })
}

/// The labelled rows of an uploaded table the user may read: (text, label).
async fn read_labelled(pool: &PgPool, user: &CurrentUser, source: &LabelledSource) -> Result<(Vec<(String, String)>, String)> {
    let summary = crate::ingest::upload_summary(pool, user, source.upload_id).await?;
    let table = summary.files.into_iter().find(|f| f.table_id == source.table_id).ok_or(EngineError::NotFound(Resource::Table))?;
    let columns: Vec<String> = table.columns.into_iter().map(|c| c.name).collect();
    if source.text_columns.is_empty() {
        return Err(EngineError::invalid("choose at least one column holding the line's text"));
    }
    for c in source.text_columns.iter().chain([&source.label_column]) {
        if !columns.contains(c) {
            return Err(EngineError::invalid(format!("the table has no column '{c}'; its columns are {}", columns.join(", "))));
        }
    }
    if source.text_columns.contains(&source.label_column) {
        return Err(EngineError::invalid("the category column cannot also be a text column"));
    }
    let mut wanted = source.text_columns.clone();
    wanted.push(source.label_column.clone());
    let mut stream = crate::clean::readback::RowStream::open(pool, source.table_id, &wanted).await?;
    let mut values = Vec::new();
    let mut rows = Vec::new();
    while stream.next_into(&mut values).await?.is_some() {
        if rows.len() == MAX_ROWS {
            return Err(EngineError::invalid(format!("a labelled file may have at most {MAX_ROWS} rows")));
        }
        let (label, texts) = values.split_last().map(|(l, t)| (l.clone(), t)).unwrap_or_default();
        let text = texts.iter().map(|t| t.trim()).filter(|t| !t.is_empty()).collect::<Vec<_>>().join(" ");
        rows.push((text, label));
    }
    Ok((rows, table.name))
}

pub async fn preview_import(pool: &PgPool, user: &CurrentUser, prompt_id: Uuid, source: &LabelledSource) -> Result<ExamplesPreview> {
    visible(pool, user, prompt_id, true).await?;
    let categories = latest_version(pool, Some(prompt_id)).await?.categories;
    let (rows, _) = read_labelled(pool, user, source).await?;
    Ok(settle(&rows, &categories, CONFLICT_SAMPLES).0)
}

/// Stores a labelled table as examples with the reader's choices for each label, creating the
/// missing categories in a new prompt version, all in one transaction.
pub async fn import_examples(pool: &PgPool, user: &CurrentUser, prompt_id: Uuid, req: &ExamplesImport) -> Result<ExamplesImported> {
    visible(pool, user, prompt_id, true).await?;
    let (rows, file) = read_labelled(pool, user, &req.source).await?;
    let mut tx = pool.begin().await?;
    let version = next_set(&mut tx, prompt_id).await?;
    let latest = latest_version(pool, Some(prompt_id)).await?;
    let (preview, settled) = settle(&rows, &latest.categories, CONFLICT_SAMPLES);
    let (mapping, created) = resolve_mapping(&preview, &req.mapping).map_err(EngineError::invalid)?;
    let mut out = ExamplesImported {
        examples_version: version,
        duplicates: preview.duplicates,
        conflicts: preview.conflicts,
        created_categories: created.clone(),
        ..Default::default()
    };
    if !created.is_empty() {
        let mut categories = latest.categories.clone();
        categories.extend(created.iter().map(|name| Category { name: name.clone(), description: String::new(), keywords: Vec::new(), priority: 0 }));
        let draft = PromptDraft { name: None, label: None, template: latest.template.clone(), categories, shared: None };
        crate::classify::prompts::validate_draft(&draft)?;
        let next = latest.version + 1;
        crate::classify::prompts::insert_version(&mut tx, prompt_id, next, &draft, user).await?;
        out.prompt_version = Some(next);
    }
    let label_rows: HashMap<&str, i64> = preview.labels.iter().map(|l| (l.label.as_str(), l.lines)).collect();
    out.skipped = mapping.iter().filter(|(_, t)| t.is_none()).map(|(l, _)| label_rows.get(l.as_str()).copied().unwrap_or(0)).sum();
    let items: Vec<(String, String)> = settled
        .into_iter()
        .filter_map(|d| match mapping.get(&d.label) {
            Some(Some(category)) => Some((d.text, category.clone())),
            _ => None,
        })
        .collect();
    let upserted = upsert(&mut tx, prompt_id, version, &items, Origin::Import, Some(&file), user).await?;
    (out.added, out.replaced, out.unchanged) = (upserted.added, upserted.replaced, upserted.unchanged);
    tx.commit().await?;
    Ok(out)
}

/// The number of the set a change makes. The row lock it takes serialises imports, edits and new
/// prompt versions of this prompt.
async fn next_set(tx: &mut sqlx::PgConnection, prompt_id: Uuid) -> Result<i32> {
    Ok(sqlx::query_scalar!("UPDATE prompts SET examples_version = examples_version + 1 WHERE id = $1 RETURNING examples_version", prompt_id)
        .fetch_one(&mut *tx)
        .await?)
}

/// Where an example came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Import,
    Manual,
    /// A line corrected in a review, saved into the prompt with its corrections.
    Review,
}

impl Origin {
    fn as_str(self) -> &'static str {
        match self {
            Origin::Import => "import",
            Origin::Manual => "manual",
            Origin::Review => "review",
        }
    }
}

#[derive(Debug, Default)]
pub struct Upserted {
    pub added: i64,
    pub replaced: i64,
    pub unchanged: i64,
}

/// Makes `(text, category)` pairs examples of set `version`: a text already there with the same
/// category is left alone, with another category it is replaced; one example per cleaned text.
async fn upsert(
    tx: &mut sqlx::PgConnection,
    prompt_id: Uuid,
    version: i32,
    items: &[(String, String)],
    origin: Origin,
    source: Option<&str>,
    user: &CurrentUser,
) -> Result<Upserted> {
    let active: HashMap<String, (i64, String)> = sqlx::query!(
        "SELECT id, text_key, category FROM prompt_examples WHERE prompt_id = $1 AND removed_in IS NULL",
        prompt_id
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| (r.text_key, (r.id, r.category)))
    .collect();
    let mut out = Upserted::default();
    let mut seen = std::collections::HashSet::new();
    let (mut texts, mut keys, mut cats, mut retire) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (text, category) in items {
        let key = text_key(text);
        if key.is_empty() || !seen.insert(key.clone()) {
            continue;
        }
        match active.get(&key) {
            Some((_, now)) if now == category => {
                out.unchanged += 1;
                continue;
            }
            Some((id, _)) => {
                out.replaced += 1;
                retire.push(*id);
            }
            None => out.added += 1,
        }
        texts.push(text.trim().chars().take(2000).collect::<String>());
        keys.push(key);
        cats.push(category.clone());
    }
    sqlx::query!("UPDATE prompt_examples SET removed_in = $2 WHERE id = ANY($1)", &retire, version).execute(&mut *tx).await?;
    sqlx::query!(
        "INSERT INTO prompt_examples (prompt_id, text, text_key, category, origin, source, added_in, created_by)
         SELECT $1, t, k, c, $5, $6, $7, $8 FROM UNNEST($2::text[], $3::text[], $4::text[]) AS x(t, k, c)",
        prompt_id,
        &texts,
        &keys,
        &cats,
        origin.as_str(),
        source,
        version,
        user.id
    )
    .execute(&mut *tx)
    .await?;
    Ok(out)
}

/// Adds lines people corrected in a review to a prompt's examples, in a new set; the caller has
/// already checked the right to change the prompt. Returns the set's version.
pub async fn add_reviewed(pool: &PgPool, user: &CurrentUser, prompt_id: Uuid, items: &[(String, String)], source: &str) -> Result<i32> {
    let mut tx = pool.begin().await?;
    let version = next_set(&mut tx, prompt_id).await?;
    upsert(&mut tx, prompt_id, version, items, Origin::Review, Some(source), user).await?;
    tx.commit().await?;
    Ok(version)
}

/// Adds one example by hand (or gives a text already there another category); the example as it
/// now stands.
pub async fn add_example(pool: &PgPool, user: &CurrentUser, prompt_id: Uuid, text: &str, category: &str) -> Result<ExampleRow> {
    visible(pool, user, prompt_id, true).await?;
    let text = text.trim();
    let key = text_key(text);
    if key.is_empty() || text.chars().count() > 2000 {
        return Err(EngineError::invalid("an example needs a text of 1 to 2000 characters"));
    }
    let categories = latest_version(pool, Some(prompt_id)).await?.categories;
    let Some(category) = categories.iter().find(|c| c.name == category.trim()).map(|c| c.name.clone()) else {
        let names: Vec<&str> = categories.iter().map(|c| c.name.as_str()).collect();
        return Err(EngineError::invalid(format!("'{category}' is not a category of the prompt: {}", names.join(", "))));
    };
    let mut tx = pool.begin().await?;
    let version = next_set(&mut tx, prompt_id).await?;
    upsert(&mut tx, prompt_id, version, &[(text.to_string(), category)], Origin::Manual, None, user).await?;
    let row = sqlx::query_as!(
        ExampleRow,
        "SELECT id, text, category, origin, source, added_in FROM prompt_examples WHERE prompt_id = $1 AND text_key = $2 AND removed_in IS NULL",
        prompt_id,
        key
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// Takes examples out of the current set (earlier sets keep them). Returns the new set's version.
pub async fn remove_examples(pool: &PgPool, user: &CurrentUser, prompt_id: Uuid, ids: &[i64]) -> Result<i32> {
    visible(pool, user, prompt_id, true).await?;
    let mut tx = pool.begin().await?;
    let version = next_set(&mut tx, prompt_id).await?;
    let removed = sqlx::query!(
        "UPDATE prompt_examples SET removed_in = $3 WHERE prompt_id = $1 AND id = ANY($2) AND removed_in IS NULL",
        prompt_id,
        ids,
        version
    )
    .execute(&mut *tx)
    .await?;
    if removed.rows_affected() as usize != ids.len() {
        return Err(EngineError::NotFound(Resource::Example));
    }
    tx.commit().await?;
    Ok(version)
}

/// The current set as CSV (text, category, origin, source), for a spreadsheet or another prompt.
pub async fn examples_csv(pool: &PgPool, user: &CurrentUser, prompt_id: Uuid) -> Result<Vec<u8>> {
    visible(pool, user, prompt_id, false).await?;
    let rows = sqlx::query!(
        "SELECT text, category, origin, coalesce(source, '') AS \"source!\" FROM prompt_examples
         WHERE prompt_id = $1 AND removed_in IS NULL ORDER BY category, text_key",
        prompt_id
    )
    .fetch_all(pool)
    .await?;
    let mut out = crate::export::CsvOut::with_separator(Vec::new(), crate::export::Separator::Comma);
    out.write_row(["text", "category", "origin", "source"])?;
    for r in rows {
        out.write_row([r.text, r.category, r.origin, r.source])?;
    }
    out.into_inner()
}

/// The prompt's current set: its version and size, which a new run records.
pub async fn current_set(pool: &PgPool, prompt_id: Uuid) -> Result<(i32, i32)> {
    let r = sqlx::query!(
        r#"SELECT p.examples_version,
                  (SELECT count(*) FROM prompt_examples e WHERE e.prompt_id = p.id AND e.removed_in IS NULL)::int AS "n!"
           FROM prompts p WHERE p.id = $1"#,
        prompt_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or(EngineError::NotFound(Resource::Prompt))?;
    Ok((r.examples_version, r.n))
}

/// The examples a run uses: set `version` of its prompt (none for runs from before examples), less
/// the lines corrected in the sample an iteration is scored on, which would give it the answers.
pub async fn run_examples(pool: &PgPool, prompt_id: Uuid, version: Option<i32>, sample: Option<Uuid>) -> Result<Vec<StoredExample>> {
    let Some(version) = version else { return Ok(Vec::new()) };
    let mut examples = examples_at(pool, prompt_id, version).await?;
    if let Some(sample) = sample {
        let own = review_source(sample);
        examples.retain(|e| e.source.as_deref() != Some(own.as_str()));
    }
    Ok(examples)
}

/// Set `version` of a prompt's examples, as it was when that version was current.
pub async fn examples_at(pool: &PgPool, prompt_id: Uuid, version: i32) -> Result<Vec<StoredExample>> {
    Ok(sqlx::query_as!(
        StoredExample,
        "SELECT id, text, category, source FROM prompt_examples
         WHERE prompt_id = $1 AND added_in <= $2 AND (removed_in IS NULL OR removed_in > $2) ORDER BY id",
        prompt_id,
        version
    )
    .fetch_all(pool)
    .await?)
}

/// The examples the call that classified one line of a run carried, for "why this category?".
pub async fn result_examples(pool: &PgPool, user: &CurrentUser, run_id: Uuid, line_idx: i32) -> Result<super::wire::ResultExamples> {
    let run = crate::classify::runs::run_progress(pool, user, run_id).await?;
    let chunk_no = sqlx::query_scalar!("SELECT chunk_no FROM run_results WHERE run_id = $1 AND line_idx = $2", run_id, line_idx)
        .fetch_optional(pool)
        .await?
        .ok_or(EngineError::NotFound(Resource::Record))?;
    let shown = sqlx::query_scalar!("SELECT examples FROM run_chunks WHERE run_id = $1 AND chunk_no = $2", run_id, chunk_no)
        .fetch_optional(pool)
        .await?
        .unwrap_or(serde_json::Value::Array(Vec::new()));
    let mut examples: Vec<super::wire::ExampleShown> = serde_json::from_value(shown).map_err(EngineError::internal)?;
    // The chunk's examples, the closest to this line first (the similarity is to this line).
    let text = sqlx::query_scalar!("SELECT text FROM unique_lines WHERE dataset_id = $1 AND idx = $2", run.dataset_id, line_idx)
        .fetch_optional(pool)
        .await?
        .unwrap_or_default();
    for e in &mut examples {
        e.similarity = super::retrieve::similarity(&text, &e.text);
    }
    examples.sort_by(|a, b| b.similarity.total_cmp(&a.similarity));
    Ok(super::wire::ResultExamples {
        line_idx,
        chunk_no,
        examples,
        examples_version: run.examples_version,
        examples_count: run.examples_count,
    })
}
