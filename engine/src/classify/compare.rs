//! Which offline model to keep, measured the way users live it: learn from one set of labelled
//! lines (the past), classify another (the future). Today's nearest neighbours, the linear model,
//! and both combined are each scored by accuracy and macro-F1 next to the majority baseline; the
//! best is kept and its probabilities are checked against what happened (a calibration table).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;

use super::linear::{LinearModel, LinearOptions};
use super::{Category, OfflineClassifier};
use crate::error::{EngineError, Result};

#[derive(Debug, Clone, PartialEq)]
pub struct ModelScore {
    pub name: &'static str,
    pub accuracy: f64,
    pub macro_f1: f64,
}

/// One bin of predicted probability: lines in it, their mean probability, how many were right.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationBin {
    pub from: f64,
    pub to: f64,
    pub lines: usize,
    pub mean_probability: f64,
    pub accuracy: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub learned_from: usize,
    pub tested_on: usize,
    pub categories: usize,
    pub split: String,
    pub majority_baseline: f64,
    pub models: Vec<ModelScore>,
    pub kept: &'static str,
    pub calibration: Vec<CalibrationBin>,
}

impl std::fmt::Display for Comparison {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "learned from {} lines, tested on {} ({}); {} categories", self.learned_from, self.tested_on, self.split, self.categories)?;
        writeln!(f, "{:<46} {:>9} {:>9}", "model", "accuracy", "macro-F1")?;
        writeln!(f, "{:<46} {:>8.1}% {:>9}", "majority baseline", self.majority_baseline * 100.0, "")?;
        for m in &self.models {
            writeln!(f, "{:<46} {:>8.1}% {:>8.1}%", m.name, m.accuracy * 100.0, m.macro_f1 * 100.0)?;
        }
        let base = self.models.first().map_or(0.0, |m| m.accuracy);
        let kept = self.models.iter().find(|m| m.name == self.kept).map_or(0.0, |m| m.accuracy);
        writeln!(f, "kept: {} ({:+.1} points over nearest neighbours)", self.kept, (kept - base) * 100.0)?;
        writeln!(f, "calibration of the kept model: {:>7} {:>10} {:>9}", "lines", "mean prob", "right")?;
        for b in &self.calibration {
            writeln!(f, "  {:.1}–{:.1} {:>29} {:>9.1}% {:>8.1}%", b.from, b.to, b.lines, b.mean_probability * 100.0, b.accuracy * 100.0)?;
        }
        Ok(())
    }
}

/// Accuracy and macro-F1 (over the labels of the test set) of `predicted` against `truth`.
pub fn scores(truth: &[&str], predicted: &[String]) -> (f64, f64) {
    let right = truth.iter().zip(predicted).filter(|(t, p)| **t == p.as_str()).count();
    let mut per: HashMap<&str, (usize, usize, usize)> = HashMap::new(); // tp, fp, fn
    for (t, p) in truth.iter().zip(predicted) {
        if *t == p.as_str() {
            per.entry(t).or_default().0 += 1;
        } else {
            per.entry(t).or_default().2 += 1;
            if let Some(e) = per.get_mut(p.as_str()) {
                e.1 += 1;
            }
        }
    }
    let f1s: Vec<f64> = per
        .values()
        .map(|(tp, fp, fneg)| if *tp == 0 { 0.0 } else { 2.0 * *tp as f64 / (2 * tp + fp + fneg) as f64 })
        .collect();
    let accuracy = if truth.is_empty() { 0.0 } else { right as f64 / truth.len() as f64 };
    (accuracy, if f1s.is_empty() { 0.0 } else { f1s.iter().sum::<f64>() / f1s.len() as f64 })
}

/// The calibration table of `(probability, right)` pairs in ten bins.
pub fn calibration(pairs: &[(f64, bool)]) -> Vec<CalibrationBin> {
    (0..10)
        .map(|b| {
            let (from, to) = (b as f64 / 10.0, (b + 1) as f64 / 10.0);
            let inside: Vec<&(f64, bool)> = pairs.iter().filter(|(p, _)| *p >= from && (*p < to || (b == 9 && *p <= 1.0))).collect();
            let n = inside.len();
            CalibrationBin {
                from,
                to,
                lines: n,
                mean_probability: if n == 0 { 0.0 } else { inside.iter().map(|(p, _)| p).sum::<f64>() / n as f64 },
                accuracy: if n == 0 { 0.0 } else { inside.iter().filter(|(_, r)| *r).count() as f64 / n as f64 },
            }
        })
        .collect()
}

/// A date in the forms spreadsheets and exports write (ISO, `dd/mm/yyyy`, with a time after).
pub fn parse_day(s: &str) -> Option<NaiveDate> {
    let head = s.trim().split([' ', 'T']).next().unwrap_or_default();
    ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%m/%d/%Y"].iter().find_map(|f| NaiveDate::parse_from_str(head, f).ok())
}

/// Rows `(text, label, date)` ordered by date: the earliest `learn_share` to learn, the rest to test.
/// A row whose date cannot be read is refused with its text (a silent drop would skew the split).
pub fn split_by_date(rows: Vec<(String, String, String)>, learn_share: f64) -> Result<(Vec<(String, String)>, Vec<(String, String)>, String)> {
    let mut dated = Vec::with_capacity(rows.len());
    for (t, l, d) in rows {
        let day = parse_day(&d).ok_or_else(|| EngineError::invalid(format!("'{d}' (of '{t}') is not a date")))?;
        dated.push((day, t, l));
    }
    dated.sort_by_key(|(d, _, _)| *d);
    let cut = ((dated.len() as f64) * learn_share).round() as usize;
    let cut = cut.clamp(1, dated.len().saturating_sub(1));
    let split = format!("learn up to {}, test from {}", dated[cut - 1].0, dated[cut].0);
    let (a, b) = dated.split_at(cut);
    let strip = |v: &[(NaiveDate, String, String)]| v.iter().map(|(_, t, l)| (t.clone(), l.clone())).collect::<Vec<_>>();
    Ok((strip(a), strip(b), split))
}

/// Learns each model from `train`, scores each on `test`, keeps the best.
pub fn compare(train: &[(String, String)], test: &[(String, String)], split: String) -> Result<Comparison> {
    if train.len() < 10 || test.is_empty() {
        return Err(EngineError::invalid("at least 10 lines to learn from and one to test on are needed"));
    }
    let mut names: Vec<&str> = train.iter().chain(test).map(|(_, l)| l.as_str()).collect();
    names.sort();
    names.dedup();
    let categories: Vec<Category> = names.iter().map(|l| Category { name: l.to_string(), description: String::new(), keywords: vec![], priority: 0 }).collect();
    let truth: Vec<&str> = test.iter().map(|(_, l)| l.as_str()).collect();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, l) in train {
        *counts.entry(l.as_str()).or_default() += 1;
    }
    let majority_label = counts.iter().max_by_key(|(_, n)| **n).map(|(l, _)| *l).unwrap_or_default();
    let majority = truth.iter().filter(|t| **t == majority_label).count() as f64 / truth.len() as f64;

    let mut knn = OfflineClassifier::new(&categories);
    knn.learn(train.iter().map(|(t, l)| (t.as_str(), l.as_str())));
    let by_knn: Vec<super::offline::Classification> = test.iter().map(|(t, _)| knn.classify(t)).collect();
    let linear = LinearModel::train(train, &LinearOptions::default()).ok_or_else(|| EngineError::invalid("the lines to learn from have fewer than two labels"))?;
    let by_linear: Vec<(String, f64)> = test.iter().map(|(t, _)| linear.predict(t)).collect();
    // Combined: a line nearly identical to one learnt takes that line's label; else the linear model.
    let by_both: Vec<(String, f64)> = by_knn
        .iter()
        .zip(&by_linear)
        .map(|(k, l)| super::learned::combine(k.clone(), Some(l.clone()), train.len()))
        .map(|c| (c.category, c.score))
        .collect();
    let score = |name: &'static str, p: Vec<String>| {
        let (accuracy, macro_f1) = scores(&truth, &p);
        ModelScore { name, accuracy, macro_f1 }
    };
    let models = vec![
        score("nearest neighbours (the old offline model)", by_knn.iter().map(|c| c.category.clone()).collect()),
        score("linear (char+word n-grams, logistic regression)", by_linear.iter().map(|(l, _)| l.clone()).collect()),
        score("combined (a near-identical line, else linear)", by_both.iter().map(|(l, _)| l.clone()).collect()),
    ];
    let kept = models.iter().skip(1).max_by(|a, b| a.accuracy.total_cmp(&b.accuracy)).map_or("linear (char+word n-grams, logistic regression)", |m| m.name);
    let kept_predictions = if kept == models[2].name { &by_both } else { &by_linear };
    let pairs: Vec<(f64, bool)> = kept_predictions.iter().zip(&truth).map(|((l, p), t)| (*p, l == t)).collect();
    Ok(Comparison { learned_from: train.len(), tested_on: test.len(), categories: categories.len(), split, majority_baseline: majority, models, kept, calibration: calibration(&pairs) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macro_f1_weighs_every_label_alike() {
        let truth = ["a", "a", "a", "b"];
        let all_a: Vec<String> = vec!["a".into(); 4];
        let (acc, f1) = scores(&truth, &all_a);
        assert_eq!(acc, 0.75);
        // a: tp 3, fp 1 → F1 6/7; b: tp 0 → 0; mean 3/7.
        assert!((f1 - 3.0 / 7.0).abs() < 1e-9, "{f1}");
    }

    #[test]
    fn the_split_learns_from_the_past_and_tests_on_the_future() {
        let rows: Vec<(String, String, String)> = (0..10).map(|i| (format!("t{i}"), "x".into(), format!("{:02}/09/2018", 10 - i))).collect();
        let (learn, test, split) = split_by_date(rows, 0.6).unwrap();
        assert_eq!(learn.len(), 6);
        assert_eq!(test.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(), vec!["t3", "t2", "t1", "t0"]);
        assert_eq!(split, "learn up to 2018-09-06, test from 2018-09-07");
        assert!(split_by_date(vec![("t".into(), "x".into(), "soon".into()); 3], 0.5).is_err());
    }

    #[test]
    fn calibration_bins_count_what_was_right() {
        let bins = calibration(&[(0.95, true), (0.92, false), (0.15, false), (1.0, true)]);
        assert_eq!((bins[9].lines, bins[9].accuracy), (3, 2.0 / 3.0));
        assert_eq!((bins[1].lines, bins[1].accuracy), (1, 0.0));
    }
}
