//! Lines people have validated, remembered for the offline classifier: a new line takes the category
//! of its nearest validated lines by character-trigram cosine (k nearest, votes weighted by
//! similarity). An inverted index from trigram to examples keeps a lookup proportional to the
//! examples that share something with the line, not to all of them.

use std::collections::{HashMap, HashSet};

const K: usize = 5;

pub struct Neighbours {
    index: HashMap<String, Vec<u32>>,
    examples: Vec<Example>,
}

/// Only the trigrams and the category are kept: nothing of a validated line's text can come back
/// out of the classifier (its reasons are read by people who may not see that line).
struct Example {
    category: String,
    grams: usize,
}

/// The verdict of the nearest examples.
#[derive(Debug, Clone, PartialEq)]
pub struct Nearest {
    pub category: String,
    /// Cosine similarity of the closest example of that category, in [0, 1].
    pub similarity: f64,
    /// Share of the neighbours' vote the category got, in (0, 1].
    pub agreement: f64,
    /// How many validated lines took part in the vote.
    pub neighbours: usize,
}

impl Default for Neighbours {
    fn default() -> Self {
        Self::new()
    }
}

impl Neighbours {
    pub fn new() -> Self {
        Neighbours { index: HashMap::new(), examples: Vec::new() }
    }

    pub fn len(&self) -> usize {
        self.examples.len()
    }

    pub fn add(&mut self, grams: HashSet<String>, category: &str) {
        if grams.is_empty() {
            return;
        }
        let id = self.examples.len() as u32;
        for g in &grams {
            self.index.entry(g.clone()).or_default().push(id);
        }
        self.examples.push(Example { category: category.to_string(), grams: grams.len() });
    }

    pub fn nearest(&self, grams: &HashSet<String>) -> Option<Nearest> {
        if grams.is_empty() || self.examples.is_empty() {
            return None;
        }
        let mut shared: HashMap<u32, u32> = HashMap::new();
        for g in grams {
            for id in self.index.get(g).into_iter().flatten() {
                *shared.entry(*id).or_default() += 1;
            }
        }
        let norm = (grams.len() as f64).sqrt();
        let mut scored: Vec<(f64, u32)> = shared
            .into_iter()
            .map(|(id, n)| (n as f64 / (norm * (self.examples[id as usize].grams as f64).sqrt()), id))
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.truncate(K);
        let mut votes: Vec<(&str, f64, f64)> = Vec::new(); // category, weight, best sim
        let mut total = 0.0;
        for (sim, id) in &scored {
            let cat = self.examples[*id as usize].category.as_str();
            let w = sim * sim;
            total += w;
            match votes.iter_mut().find(|v| v.0 == cat) {
                Some(v) => v.1 += w,
                None => votes.push((cat, w, *sim)),
            }
        }
        let best = votes.into_iter().max_by(|a, b| a.1.total_cmp(&b.1).then(a.2.total_cmp(&b.2)))?;
        Some(Nearest {
            category: best.0.to_string(),
            similarity: best.2,
            agreement: if total > 0.0 { best.1 / total } else { 0.0 },
            neighbours: scored.len(),
        })
    }
}
