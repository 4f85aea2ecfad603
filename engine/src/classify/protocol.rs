//! What travels to the model and back (DESIGN §5): the user message is a JSON array of
//! `{"row_index", "text"}`, the answer a JSON object `{"results": [...]}`. `merge_answer` applies the
//! 1:1 rule: results are matched by `row_index` only; a missing line may be matched by its
//! normalised description; anything else becomes `Indeterminado` / -1, and extras are counted.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::prompts::Category;
use crate::clean::{CleanOptions, clean_text};

pub const UNDETERMINED: &str = "Indeterminado";
pub const NO_RESULT_REASON: &str = "no classification returned";
pub const ISOLATED_REASON: &str = "every answer to this line was malformed; it was isolated so the rest of its chunk could be classified";

/// One line as the model sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineIn {
    pub row_index: i64,
    pub text: String,
}

/// The user message for a chunk: the lines as a JSON array.
pub fn user_message(lines: &[LineIn]) -> String {
    serde_json::to_string(lines).unwrap_or_else(|_| "[]".into())
}

/// The JSON schema the answer must follow, for servers that support structured output.
pub fn answer_schema(categories: &[Category]) -> serde_json::Value {
    let names: Vec<&str> = categories.iter().map(|c| c.name.as_str()).collect();
    serde_json::json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["results"],
        "properties": {
            "results": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["row_index", "category", "score", "reason"],
                    "properties": {
                        "row_index": {"type": "integer"},
                        "category": {"type": "string", "enum": names},
                        "score": {"type": "number"},
                        "reason": {"type": "string"}
                    }
                }
            }
        }
    })
}

/// One result as a model returns it; everything is optional because models get things wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ResultIn {
    #[serde(default)]
    pub row_index: Option<serde_json::Value>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub score: Option<serde_json::Value>,
    #[serde(default)]
    pub reason: Option<String>,
    /// Some models echo the line; used only to repair a wrong row_index.
    #[serde(default, alias = "text")]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize)]
struct AnswerIn {
    results: Vec<ResultIn>,
}

/// Parses a model's answer. Tolerates a fenced code block and a bare array; anything else is an
/// error (a failed attempt, retried).
pub fn parse_answer(content: &str) -> Result<Vec<ResultIn>, String> {
    let trimmed = strip_fence(content.trim());
    if let Ok(a) = serde_json::from_str::<AnswerIn>(trimmed) {
        return Ok(a.results);
    }
    if let Ok(list) = serde_json::from_str::<Vec<ResultIn>>(trimmed) {
        return Ok(list);
    }
    let shown: String = trimmed.chars().take(120).collect();
    Err(format!("the model's answer is not the JSON object {{\"results\": [...]}} asked for: {shown}"))
}

fn strip_fence(s: &str) -> &str {
    let Some(rest) = s.strip_prefix("```") else { return s };
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_alphanumeric());
    rest.trim().strip_suffix("```").unwrap_or(rest).trim()
}

/// Where a stored result came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Model,
    Repaired,
    Missing,
    /// The line made every answer malformed: halving isolated it, and it failed alone.
    Isolated,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Model => "model",
            Source::Repaired => "repaired",
            Source::Missing => "missing",
            Source::Isolated => "isolated",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct LineResult {
    pub row_index: i64,
    pub category: String,
    pub score: f64,
    pub reason: String,
    pub source: Source,
}

/// Exactly one result per input line, in input order, and what it took to get there.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Merged {
    pub results: Vec<LineResult>,
    pub repaired: i32,
    pub missing: i32,
    pub discarded: i32,
}

/// The 1:1 rule. A result counts only with a `row_index` of this chunk and a category the prompt
/// defines (matched ignoring case and accents); the first such result per line wins. Results left
/// over are matched to still-missing lines by normalised description; the rest are discarded.
pub fn merge_answer(lines: &[LineIn], answer: Vec<ResultIn>, categories: &[Category]) -> Merged {
    let opts = CleanOptions::default();
    let canonical: HashMap<String, &str> =
        categories.iter().map(|c| (clean_text(&c.name, &opts), c.name.as_str())).collect();
    let wanted: HashSet<i64> = lines.iter().map(|l| l.row_index).collect();
    let mut by_row: HashMap<i64, LineResult> = HashMap::with_capacity(lines.len());
    let mut leftovers = Vec::new();
    let mut discarded = 0;

    for r in answer {
        let Some(category) = r.category.as_deref().and_then(|c| canonical.get(&clean_text(c, &opts))) else {
            // A category the prompt does not define counts as no result for the line.
            discarded += 1;
            continue;
        };
        let result = LineResult {
            row_index: -1,
            category: category.to_string(),
            score: score_of(r.score.as_ref()),
            reason: r.reason.clone().unwrap_or_default().chars().take(2000).collect(),
            source: Source::Model,
        };
        match r.row_index.as_ref().and_then(row_index_of) {
            Some(i) if wanted.contains(&i) && !by_row.contains_key(&i) => {
                by_row.insert(i, LineResult { row_index: i, ..result });
            }
            Some(i) if wanted.contains(&i) => discarded += 1, // a duplicate
            _ => leftovers.push((r.description, result)),
        }
    }

    let mut missing_by_text: HashMap<String, Vec<i64>> = HashMap::new();
    for l in lines.iter().filter(|l| !by_row.contains_key(&l.row_index)) {
        missing_by_text.entry(clean_text(&l.text, &opts)).or_default().push(l.row_index);
    }
    let mut repaired = 0;
    for (description, result) in leftovers {
        let slot = description
            .map(|d| clean_text(&d, &opts))
            .and_then(|key| missing_by_text.get_mut(&key))
            .and_then(|rows| if rows.is_empty() { None } else { Some(rows.remove(0)) });
        match slot {
            Some(i) => {
                repaired += 1;
                by_row.insert(i, LineResult { row_index: i, source: Source::Repaired, ..result });
            }
            None => discarded += 1,
        }
    }

    let mut missing = 0;
    let results = lines
        .iter()
        .map(|l| {
            by_row.remove(&l.row_index).unwrap_or_else(|| {
                missing += 1;
                LineResult {
                    row_index: l.row_index,
                    category: UNDETERMINED.into(),
                    score: -1.0,
                    reason: NO_RESULT_REASON.into(),
                    source: Source::Missing,
                }
            })
        })
        .collect();
    Merged { results, repaired, missing, discarded }
}

fn row_index_of(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::Number(n) => n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A score in [0, 1]; models sometimes answer percentages or strings.
fn score_of(v: Option<&serde_json::Value>) -> f64 {
    let raw = match v {
        Some(serde_json::Value::Number(n)) => n.as_f64(),
        Some(serde_json::Value::String(s)) => s.trim().trim_end_matches('%').parse().ok(),
        _ => None,
    };
    match raw {
        Some(x) if x.is_finite() && x > 1.0 && x <= 100.0 => x / 100.0,
        Some(x) if x.is_finite() => x.clamp(0.0, 1.0),
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests;
