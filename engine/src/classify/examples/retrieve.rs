//! Few-shot examples for one chunk (what Refuel Autolabel calls semantic-similarity example
//! selection, with character trigrams instead of an embedding model): each line's nearest examples,
//! taken in turns so every line gets its closest one before any gets a second, up to `k` and within a
//! token budget. Deterministic: the same chunk and set always carry the same examples.

use std::collections::HashMap;

use super::store::StoredExample;
use super::wire::ExampleShown;
use crate::classify::neighbours::TrigramIndex;
use crate::classify::offline::{cosine, trigrams};
use crate::classify::provider::estimate_tokens;
use crate::clean::{CleanOptions, clean_text};

/// Below this an example shares too little with a line to say anything about it.
const MIN_SIMILARITY: f64 = 0.15;
/// Candidates kept per line before the turns.
const PER_LINE: usize = 3;

pub struct Retriever {
    /// The examples with a text to compare, by their id in `index`.
    examples: Vec<StoredExample>,
    index: TrigramIndex,
    opts: CleanOptions,
}

impl Retriever {
    pub fn new(examples: Vec<StoredExample>) -> Self {
        let opts = CleanOptions::default();
        let mut index = TrigramIndex::default();
        let mut kept = Vec::with_capacity(examples.len());
        for e in examples {
            if index.add(&trigrams(&clean_text(&e.text, &opts))).is_some() {
                kept.push(e);
            }
        }
        Retriever { examples: kept, index, opts }
    }

    pub fn len(&self) -> usize {
        self.examples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.examples.is_empty()
    }

    /// The nearest examples of one text, the closest first.
    fn nearest(&self, text: &str) -> Vec<(f64, u32)> {
        let mut near = self.index.nearest(&trigrams(&clean_text(text, &self.opts)), PER_LINE);
        near.retain(|(s, _)| *s >= MIN_SIMILARITY);
        near
    }

    /// The examples to send with `lines`: at most `k`, costing at most `budget_tokens`.
    pub fn select(&self, lines: &[&str], k: usize, budget_tokens: i64) -> Vec<ExampleShown> {
        if k == 0 || self.examples.is_empty() {
            return Vec::new();
        }
        let per_line: Vec<Vec<(f64, u32)>> = lines.iter().map(|l| self.nearest(l)).collect();
        let mut best: HashMap<u32, f64> = HashMap::new();
        let mut order: Vec<u32> = Vec::new();
        for turn in 0..PER_LINE {
            // In each turn the lines' candidates go closest first, so a tight budget keeps the best.
            let mut this_turn: Vec<(f64, u32)> = per_line.iter().filter_map(|c| c.get(turn).copied()).collect();
            this_turn.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            for (sim, id) in this_turn {
                let slot = best.entry(id).or_insert_with(|| {
                    order.push(id);
                    sim
                });
                *slot = slot.max(sim);
            }
        }
        let mut out = Vec::new();
        let mut spent = 0;
        for id in order {
            if out.len() == k {
                break;
            }
            let e = &self.examples[id as usize];
            let cost = example_tokens(&e.text, &e.category);
            if spent + cost > budget_tokens {
                continue;
            }
            spent += cost;
            out.push(ExampleShown { id: e.id, text: e.text.clone(), category: e.category.clone(), similarity: (best[&id] * 1000.0).round() / 1000.0 });
        }
        out
    }
}

/// Character-trigram cosine of two texts after cleaning, rounded to 3 decimals.
pub(crate) fn similarity(a: &str, b: &str) -> f64 {
    let opts = CleanOptions::default();
    (cosine(&trigrams(&clean_text(a, &opts)), &trigrams(&clean_text(b, &opts))) * 1000.0).round() / 1000.0
}

/// What one example adds to a call: its JSON object and separator.
pub fn example_tokens(text: &str, category: &str) -> i64 {
    estimate_tokens(text) + estimate_tokens(category) + 6
}

/// The message that carries a chunk's examples, after the prompt: the lines and the categories
/// people gave them, as JSON like the lines themselves.
pub fn examples_message(examples: &[ExampleShown]) -> Option<String> {
    if examples.is_empty() {
        return None;
    }
    let list: Vec<serde_json::Value> = examples.iter().map(|e| serde_json::json!({"text": e.text, "category": e.category})).collect();
    Some(format!(
        "EJEMPLOS: líneas parecidas a las de esta petición que la empresa ya clasificó. Úsalos como criterio \
         cuando una línea se les parezca; no los clasifiques ni los incluyas en la respuesta.\n{}",
        serde_json::to_string(&list).unwrap_or_else(|_| "[]".into())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(id: i64, text: &str, category: &str) -> StoredExample {
        StoredExample { id, text: text.into(), category: category.into(), source: None }
    }

    #[test]
    fn each_line_gets_its_nearest_example_first_within_k_and_budget() {
        let r = Retriever::new(vec![
            ex(1, "TAXI AEROPUERTO BARAJAS", "Viajes"),
            ex(2, "TAXI ESTACION ATOCHA", "Viajes"),
            ex(3, "IBERDROLA FACTURA LUZ", "Suministros"),
            ex(4, "RESTAURANTE EL OLIVO", "Comidas"),
            ex(5, "   ", "Comidas"),
        ]);
        assert_eq!(r.len(), 4, "an empty text teaches nothing");
        let picked = r.select(&["taxi aeropuerto", "factura luz iberdrola marzo"], 2, 1000);
        let ids: Vec<i64> = picked.iter().map(|e| e.id).collect();
        assert_eq!(ids, vec![3, 1], "one per line before any second one, the closest first");
        assert!(picked.iter().all(|e| e.similarity > 0.15 && e.similarity <= 1.0));
        let all = r.select(&["taxi aeropuerto", "factura luz iberdrola marzo"], 10, 1000);
        assert!(all.iter().all(|e| e.id != 4), "nothing like the restaurant was asked");
        let cheap = example_tokens("IBERDROLA FACTURA LUZ", "Suministros");
        assert_eq!(r.select(&["taxi aeropuerto", "factura luz iberdrola marzo"], 10, cheap).len(), 1, "the budget holds");
        assert_eq!(r.select(&["taxi"], 0, 1000), vec![]);
        assert_eq!(r.select(&["taxi aeropuerto"], 3, 1000), r.select(&["taxi aeropuerto"], 3, 1000));
    }
}
