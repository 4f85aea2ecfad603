//! Lines people have validated, remembered for the offline classifier: a new line takes the category
//! of its nearest validated lines by character-trigram cosine (k nearest, votes weighted by
//! similarity). `TrigramIndex`, an inverted index from trigram to texts, keeps a lookup proportional
//! to the texts that share something with the line, not to all of them; few-shot retrieval
//! (`examples::Retriever`) uses it too.

use std::collections::{HashMap, HashSet};

const K: usize = 5;

/// Texts as character-trigram sets, found again by cosine similarity through an inverted index.
#[derive(Default)]
pub(crate) struct TrigramIndex {
    index: HashMap<String, Vec<u32>>,
    /// Each text's number of trigrams, by id.
    sizes: Vec<usize>,
}

impl TrigramIndex {
    pub fn len(&self) -> usize {
        self.sizes.len()
    }

    /// Adds a text's trigrams; its id is the number of texts added before. An empty set is not
    /// added (`None`): it can be like nothing.
    pub fn add(&mut self, grams: &HashSet<String>) -> Option<u32> {
        if grams.is_empty() {
            return None;
        }
        let id = self.sizes.len() as u32;
        for g in grams {
            self.index.entry(g.clone()).or_default().push(id);
        }
        self.sizes.push(grams.len());
        Some(id)
    }

    /// The `k` texts most like `grams` with their cosine similarity, the closest first (ties: the
    /// earliest added).
    pub fn nearest(&self, grams: &HashSet<String>, k: usize) -> Vec<(f64, u32)> {
        if grams.is_empty() || self.sizes.is_empty() {
            return Vec::new();
        }
        let mut shared: HashMap<u32, u32> = HashMap::new();
        for g in grams {
            for id in self.index.get(g).into_iter().flatten() {
                *shared.entry(*id).or_default() += 1;
            }
        }
        let norm = (grams.len() as f64).sqrt();
        let mut scored: Vec<(f64, u32)> =
            shared.into_iter().map(|(id, n)| (f64::from(n) / (norm * (self.sizes[id as usize] as f64).sqrt()), id)).collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.truncate(k);
        scored
    }
}

/// Only the trigrams and the category are kept: nothing of a validated line's text can come back
/// out of the classifier (its reasons are read by people who may not see that line).
#[derive(Default)]
pub struct Neighbours {
    index: TrigramIndex,
    /// Each remembered line's category, by its id in `index`.
    categories: Vec<String>,
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

impl Neighbours {
    pub fn new() -> Self {
        Neighbours::default()
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn add(&mut self, grams: HashSet<String>, category: &str) {
        if self.index.add(&grams).is_some() {
            self.categories.push(category.to_string());
        }
    }

    pub fn nearest(&self, grams: &HashSet<String>) -> Option<Nearest> {
        let scored = self.index.nearest(grams, K);
        let mut votes: Vec<(&str, f64, f64)> = Vec::new(); // category, weight, best sim
        let mut total = 0.0;
        for (sim, id) in &scored {
            let cat = self.categories[*id as usize].as_str();
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
