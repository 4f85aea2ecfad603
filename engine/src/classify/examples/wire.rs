//! What the prompt editor and the API exchange about a prompt's examples, and the pure rules of an
//! import (which label goes where, what counts as a duplicate or a conflict), shared with the browser.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::classify::Category;
use crate::clean::{CleanOptions, clean_text};

/// A labelled table already uploaded: its text column(s) and the column holding the category.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelledSource {
    pub upload_id: Uuid,
    pub table_id: Uuid,
    /// Joined with a space when there are several (e.g. merchant and description).
    pub text_columns: Vec<String>,
    pub label_column: String,
}

/// What to do with one label of the file.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum LabelAction {
    /// Its lines become examples of this category of the prompt (several labels may merge into one).
    Map { category: String },
    /// A new category of that name is added to the prompt (a new prompt version).
    Create,
    /// Its lines are left out.
    Skip,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelChoice {
    pub label: String,
    pub action: LabelAction,
}

/// One label of the file with its line count and what the import would do with it by default.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelPreview {
    pub label: String,
    pub lines: i64,
    pub suggested: LabelAction,
}

/// A label or category with how many lines it has.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameCount {
    pub name: String,
    pub count: i64,
}

/// A text the file labels in more than one way, with each label's count.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelConflict {
    pub text: String,
    pub labels: Vec<NameCount>,
}

/// The file against the prompt before anything is stored.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ExamplesPreview {
    /// Rows read from the table.
    pub rows: i64,
    /// Rows left out because their text or label is empty.
    pub empty: i64,
    /// Distinct texts (after cleaning): what would become examples.
    pub distinct: i64,
    /// Rows repeating a text already seen with the same label.
    pub duplicates: i64,
    /// Distinct texts given more than one label; the most frequent label wins (ties: the latest row).
    pub conflicts: i64,
    /// The first conflicts, for the reader to judge.
    pub conflict_samples: Vec<LabelConflict>,
    /// Labels, the most frequent first.
    pub labels: Vec<LabelPreview>,
    /// The prompt's categories today.
    pub categories: Vec<String>,
}

/// The choices and the source: what `import` stores.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExamplesImport {
    pub source: LabelledSource,
    /// Labels not listed take their suggested action.
    #[serde(default)]
    pub mapping: Vec<LabelChoice>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ExamplesImported {
    /// The prompt's example set after the import.
    pub examples_version: i32,
    pub added: i64,
    /// Texts already examples with another category, now with the file's.
    pub replaced: i64,
    /// Texts already examples with the same category.
    pub unchanged: i64,
    /// Rows of skipped labels.
    pub skipped: i64,
    pub duplicates: i64,
    pub conflicts: i64,
    pub created_categories: Vec<String>,
    /// The prompt version holding the new categories, when some were created.
    pub prompt_version: Option<i32>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExampleRow {
    pub id: i64,
    pub text: String,
    pub category: String,
    /// `import`, `manual` or `review`.
    pub origin: String,
    pub source: Option<String>,
    /// The example set it joined.
    pub added_in: i32,
}

/// A page of a prompt's current examples, with per-category counts of the whole set.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ExamplesPage {
    pub examples_version: i32,
    /// Examples in the current set (all, not only this page's filter).
    pub total: i64,
    /// Examples matching the filter.
    pub matching: i64,
    pub by_category: Vec<NameCount>,
    pub rows: Vec<ExampleRow>,
    /// Lines validated in reviews of this prompt's runs, which teach the offline model too.
    pub validated: i64,
    pub editable: bool,
}

/// An example as a chunk carried it to the model.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExampleShown {
    pub id: i64,
    pub text: String,
    pub category: String,
    /// Character-trigram similarity to the nearest line of the chunk, in [0, 1].
    pub similarity: f64,
}

/// The examples sent with the call that classified one line.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ResultExamples {
    pub line_idx: i32,
    pub chunk_no: i32,
    pub examples: Vec<ExampleShown>,
    /// The prompt's example set the run used, and its size.
    pub examples_version: Option<i32>,
    pub examples_count: i32,
}

/// The cleaned text duplicates and conflicts are judged on.
pub fn text_key(text: &str) -> String {
    clean_text(text, &CleanOptions::default())
}

/// The default action for a label: the category of the same name (ignoring case and accents), if
/// the prompt has one; else a new category.
pub fn suggest(label: &str, categories: &[Category]) -> LabelAction {
    let key = text_key(label);
    match categories.iter().find(|c| text_key(&c.name) == key) {
        Some(c) => LabelAction::Map { category: c.name.clone() },
        None => LabelAction::Create,
    }
}

/// One example per distinct text: the text as first seen and its winning label.
#[derive(Debug, Clone, PartialEq)]
pub struct Distinct {
    pub key: String,
    pub text: String,
    pub label: String,
}

/// Counts a file's rows and settles each text's label: the most frequent, ties going to the latest
/// row (last year's ledger corrected itself over time).
pub fn settle(rows: &[(String, String)], categories: &[Category], samples: usize) -> (ExamplesPreview, Vec<Distinct>) {
    let mut preview = ExamplesPreview { rows: rows.len() as i64, ..Default::default() };
    // key → (first text, label → (count, last row))
    let mut seen: HashMap<String, (String, BTreeMap<String, (i64, usize)>)> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut label_lines: HashMap<String, i64> = HashMap::new();
    for (i, (text, label)) in rows.iter().enumerate() {
        let (text, label) = (text.trim(), label.trim());
        let key = text_key(text);
        if key.is_empty() || label.is_empty() {
            preview.empty += 1;
            continue;
        }
        *label_lines.entry(label.to_string()).or_default() += 1;
        let entry = seen.entry(key.clone()).or_insert_with(|| {
            order.push(key.clone());
            (text.chars().take(2000).collect(), BTreeMap::new())
        });
        let slot = entry.1.entry(label.to_string()).or_insert((0, i));
        if slot.0 > 0 {
            preview.duplicates += 1;
        }
        slot.0 += 1;
        slot.1 = i;
    }
    let mut settled = Vec::with_capacity(order.len());
    for key in order {
        let Some((text, labels)) = seen.remove(&key) else { continue };
        if labels.len() > 1 {
            preview.conflicts += 1;
            if preview.conflict_samples.len() < samples {
                let mut counted: Vec<NameCount> = labels.iter().map(|(l, (n, _))| NameCount { name: l.clone(), count: *n }).collect();
                counted.sort_by(|a, b| b.count.cmp(&a.count).then(a.name.cmp(&b.name)));
                preview.conflict_samples.push(LabelConflict { text: text.clone(), labels: counted });
            }
        }
        let label = labels.iter().max_by(|a, b| a.1.0.cmp(&b.1.0).then(a.1.1.cmp(&b.1.1))).map(|(l, _)| l.clone()).unwrap_or_default();
        settled.push(Distinct { key, text, label });
    }
    preview.distinct = settled.len() as i64;
    let mut labels: Vec<LabelPreview> = label_lines
        .into_iter()
        .map(|(label, lines)| LabelPreview { suggested: suggest(&label, categories), label, lines })
        .collect();
    labels.sort_by(|a, b| b.lines.cmp(&a.lines).then(a.label.cmp(&b.label)));
    preview.labels = labels;
    preview.categories = categories.iter().map(|c| c.name.clone()).collect();
    (preview, settled)
}

/// The category each label ends in (`None`: skipped), and the categories to create, in label order.
/// A mapping to a category the prompt does not have is an error naming it.
pub fn resolve_mapping(preview: &ExamplesPreview, choices: &[LabelChoice]) -> Result<(HashMap<String, Option<String>>, Vec<String>), String> {
    let chosen: HashMap<&str, &LabelAction> = choices.iter().map(|c| (c.label.as_str(), &c.action)).collect();
    let mut out = HashMap::new();
    let mut created: Vec<String> = Vec::new();
    for l in &preview.labels {
        let action = chosen.get(l.label.as_str()).copied().unwrap_or(&l.suggested);
        let target = match action {
            LabelAction::Skip => None,
            LabelAction::Map { category } => {
                let Some(name) = preview.categories.iter().chain(created.iter()).find(|c| **c == *category) else {
                    return Err(format!("'{}' is mapped to '{category}', which is not a category of the prompt", l.label));
                };
                Some(name.clone())
            }
            LabelAction::Create => {
                let existing = preview.categories.iter().chain(created.iter()).find(|c| text_key(c) == text_key(&l.label)).cloned();
                match existing {
                    Some(name) => Some(name),
                    None => {
                        created.push(l.label.clone());
                        Some(l.label.clone())
                    }
                }
            }
        };
        out.insert(l.label.clone(), target);
    }
    Ok((out, created))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat(name: &str) -> Category {
        Category { name: name.into(), description: String::new(), keywords: vec![], priority: 0 }
    }

    fn rows(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(t, l)| (t.to_string(), l.to_string())).collect()
    }

    #[test]
    fn duplicates_and_conflicts_are_counted_and_the_majority_label_wins() {
        let r = rows(&[
            ("TAXI Madrid", "Travel"),
            ("taxi  madrid", "Travel"),
            ("Taxi Madrid", "Meals"),
            ("Iberdrola", "utilities"),
            ("", "Travel"),
            ("Staples", ""),
            ("Amazon", "Office"),
            ("AMAZON", "IT"),
        ]);
        let (p, settled) = settle(&r, &[cat("Utilities")], 5);
        assert_eq!((p.rows, p.empty, p.distinct, p.duplicates, p.conflicts), (8, 2, 3, 1, 2));
        assert_eq!(settled[0].label, "Travel", "two against one");
        assert_eq!(settled[2].label, "IT", "a tie goes to the latest row");
        let counted: Vec<(&str, i64)> = p.conflict_samples[0].labels.iter().map(|c| (c.name.as_str(), c.count)).collect();
        assert_eq!(counted, vec![("Travel", 2), ("Meals", 1)]);
        let utilities = p.labels.iter().find(|l| l.label == "utilities").map(|l| l.suggested.clone());
        assert_eq!(utilities, Some(LabelAction::Map { category: "Utilities".into() }), "matched ignoring case");
        assert_eq!(p.labels[0].label, "Travel");
        assert_eq!(p.labels[0].suggested, LabelAction::Create);
    }

    #[test]
    fn the_mapping_maps_merges_creates_and_skips() {
        let (p, _) = settle(&rows(&[("a", "Travel"), ("b", "Trips"), ("c", "Meals"), ("d", "Junk"), ("e", "New")]), &[cat("Viajes")], 5);
        let choices = vec![
            LabelChoice { label: "Travel".into(), action: LabelAction::Map { category: "Viajes".into() } },
            LabelChoice { label: "Trips".into(), action: LabelAction::Map { category: "Viajes".into() } },
            LabelChoice { label: "Junk".into(), action: LabelAction::Skip },
        ];
        let (m, created) = resolve_mapping(&p, &choices).expect("valid");
        assert_eq!(m["Travel"], Some("Viajes".into()));
        assert_eq!(m["Trips"], Some("Viajes".into()));
        assert_eq!(m["Junk"], None);
        assert_eq!(m["Meals"], Some("Meals".into()));
        assert_eq!(created, vec!["Meals".to_string(), "New".to_string()]);
        let bad = vec![LabelChoice { label: "Travel".into(), action: LabelAction::Map { category: "Nope".into() } }];
        assert!(resolve_mapping(&p, &bad).is_err());
    }
}
