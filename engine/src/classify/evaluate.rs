//! Measuring the offline classifier on labelled data (e.g. the Birmingham card spend, merchant text
//! → expense account): accuracy on a held-out share before and after it learns from the rest, next to
//! the majority-class baseline, so nobody has to take its usefulness on faith.

use std::collections::HashMap;
use std::path::Path;

use rand::SeedableRng;
use rand::seq::SliceRandom;

use super::{Category, OfflineClassifier};
use crate::error::{EngineError, Result};
use crate::ingest::sink::MemorySink;

/// Reads (text, label) pairs from a CSV/TSV or workbook: the first table holding every named column.
/// Several text columns are joined with a space; rows with an empty text or label are skipped.
pub fn load_labelled(path: &Path, text_columns: &[String], label_column: &str) -> Result<Vec<(String, String)>> {
    Ok(load_labelled_with(path, text_columns, label_column, None)?.into_iter().map(|(t, l, _)| (t, l)).collect())
}

/// As `load_labelled`, with the value of `extra` (e.g. a date column) of each row.
pub fn load_labelled_with(path: &Path, text_columns: &[String], label_column: &str, extra: Option<&str>) -> Result<Vec<(String, String, String)>> {
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let mut sink = MemorySink::default();
    let lower = name.to_lowercase();
    let kind = |ext: &str| lower.ends_with(ext);
    use crate::ingest::sheet_reader::{WorkbookKind, read_workbook};
    if kind(".xlsx") || kind(".xlsm") {
        read_workbook(path, WorkbookKind::Xlsx, &name, &mut sink)?;
    } else if kind(".xls") {
        read_workbook(path, WorkbookKind::Xls, &name, &mut sink)?;
    } else if kind(".ods") {
        read_workbook(path, WorkbookKind::Ods, &name, &mut sink)?;
    } else {
        crate::ingest::csv_reader::read_csv(std::fs::File::open(path)?, &name, &mut sink)?;
    }
    let find = |cols: &[String], want: &str| cols.iter().position(|c| c.eq_ignore_ascii_case(want.trim()));
    for table in &sink.tables {
        let texts: Option<Vec<usize>> = text_columns.iter().map(|t| find(&table.columns, t)).collect();
        let (Some(texts), Some(label)) = (texts, find(&table.columns, label_column)) else { continue };
        let extra_at = match extra {
            Some(e) => match find(&table.columns, e) {
                Some(i) => Some(i),
                None => continue,
            },
            None => None,
        };
        return Ok(table
            .rows
            .iter()
            .filter_map(|(_, row)| {
                let text = texts.iter().map(|i| row[*i].trim()).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ");
                let label = row[label].trim().to_string();
                let extra = extra_at.map(|i| row[i].trim().to_string()).unwrap_or_default();
                (!text.is_empty() && !label.is_empty()).then_some((text, label, extra))
            })
            .collect());
    }
    let seen: Vec<String> = sink.tables.iter().map(|t| t.columns.join(", ")).collect();
    Err(EngineError::invalid(format!(
        "no table of {name} has the columns {text_columns:?}, {label_column:?}{}; columns found: {}",
        extra.map(|e| format!(" and {e:?}")).unwrap_or_default(),
        seen.join(" | ")
    )))
}

#[derive(Debug, Clone, PartialEq)]
pub struct EvalReport {
    pub rows: usize,
    pub categories: usize,
    pub learned_from: usize,
    pub tested_on: usize,
    /// Share of the test lines whose label is the most frequent one.
    pub majority_baseline: f64,
    pub before: f64,
    pub after: f64,
}

impl std::fmt::Display for EvalReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{} labelled lines, {} categories", self.rows, self.categories)?;
        writeln!(f, "learned from {} lines, tested on the other {}", self.learned_from, self.tested_on)?;
        writeln!(f, "majority-class baseline: {:>6.1}%", self.majority_baseline * 100.0)?;
        writeln!(f, "before learning:         {:>6.1}%", self.before * 100.0)?;
        write!(f, "after learning:          {:>6.1}%", self.after * 100.0)
    }
}

/// Shuffles with `seed`, learns from `learn_share` of the rows and tests on the rest. The categories
/// are the labels themselves (names only, as a prompt written from a label list would have).
pub fn evaluate(rows: &[(String, String)], learn_share: f64, seed: u64) -> Result<EvalReport> {
    if rows.len() < 10 {
        return Err(EngineError::invalid("at least 10 labelled lines are needed"));
    }
    if !(0.0..1.0).contains(&learn_share) {
        return Err(EngineError::invalid("the learning share must be at least 0 and below 1"));
    }
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed));
    let cut = ((rows.len() as f64) * learn_share).round() as usize;
    let (train, test) = order.split_at(cut.min(rows.len() - 1));

    let mut counts: HashMap<&str, usize> = HashMap::new();
    for (_, label) in rows {
        *counts.entry(label.as_str()).or_default() += 1;
    }
    let mut labels: Vec<&str> = counts.keys().copied().collect();
    labels.sort();
    let categories: Vec<Category> = labels
        .iter()
        .map(|l| Category { name: l.to_string(), description: String::new(), keywords: vec![], priority: 0 })
        .collect();
    let mut test_counts: HashMap<&str, usize> = HashMap::new();
    for i in test {
        *test_counts.entry(rows[*i].1.as_str()).or_default() += 1;
    }
    let majority = test_counts.values().copied().max().unwrap_or(0) as f64 / test.len() as f64;

    let accuracy = |c: &OfflineClassifier| {
        let right = test.iter().filter(|i| c.classify(&rows[**i].0).category == rows[**i].1).count();
        right as f64 / test.len() as f64
    };
    let mut classifier = OfflineClassifier::new(&categories);
    let before = accuracy(&classifier);
    classifier.learn(train.iter().map(|i| (rows[*i].0.as_str(), rows[*i].1.as_str())));
    let after = accuracy(&classifier);
    Ok(EvalReport {
        rows: rows.len(),
        categories: categories.len(),
        learned_from: train.len(),
        tested_on: test.len(),
        majority_baseline: majority,
        before,
        after,
    })
}
