//! The classifier that needs no model: it scores a line against each category's keywords, against
//! its name, description and keywords by character-trigram similarity, and against lines people
//! have validated (nearest neighbours, see `neighbours`), and says why.

use std::collections::HashSet;

use super::neighbours::Neighbours;
use super::reason::Reason;
use super::prompts::Category;
use crate::clean::{CleanOptions, clean_text};

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Classification {
    pub category: String,
    pub score: f64,
    pub reason: String,
}

struct Profile {
    name: String,
    priority: i32,
    keywords: Vec<String>,
    grams: HashSet<String>,
}

pub struct OfflineClassifier {
    profiles: Vec<Profile>,
    opts: CleanOptions,
    memory: Neighbours,
}

/// A validated line at least this similar decides on its own; below it, only without keyword hits.
const STRONG_NEIGHBOUR: f64 = 0.6;
const WEAK_NEIGHBOUR: f64 = 0.1;

/// Below this similarity a line is too unlike every category to mean anything.
const MIN_SIMILARITY: f64 = 0.08;

impl OfflineClassifier {
    pub fn new(categories: &[Category]) -> Self {
        let opts = CleanOptions::default();
        let profiles = categories
            .iter()
            .map(|c| {
                let keywords: Vec<String> =
                    c.keywords.iter().map(|k| clean_text(k, &opts)).filter(|k| !k.is_empty()).collect();
                let profile_text = format!("{} {} {}", c.name, c.description, c.keywords.join(" "));
                Profile {
                    name: c.name.clone(),
                    priority: c.priority,
                    keywords,
                    grams: trigrams(&clean_text(&profile_text, &opts)),
                }
            })
            .collect();
        Self { profiles, opts, memory: Neighbours::new() }
    }

    /// Remembers lines whose right category a person gave (or confirmed). Categories the prompt does
    /// not define are ignored.
    pub fn learn<'a>(&mut self, examples: impl IntoIterator<Item = (&'a str, &'a str)>) {
        for (text, category) in examples {
            let Some(p) = self.profiles.iter().find(|p| p.name == category) else { continue };
            let name = p.name.clone();
            self.memory.add(trigrams(&clean_text(text, &self.opts)), &name);
        }
    }

    /// How many validated lines the classifier remembers.
    pub fn learned(&self) -> usize {
        self.memory.len()
    }

    pub fn classify(&self, text: &str) -> Classification {
        let by_rules = self.classify_by_rules(text);
        let Some(near) = self.memory.nearest(&trigrams(&clean_text(text, &self.opts))) else { return by_rules };
        let keyword_hit = by_rules.score >= 0.55;
        if near.similarity >= STRONG_NEIGHBOUR || (near.similarity >= WEAK_NEIGHBOUR && !keyword_hit) {
            let score = (0.35 + 0.6 * near.similarity * near.agreement).min(0.99);
            return Classification {
                category: near.category.clone(),
                score: round3(score),
                // Never the neighbours' text: whoever reads this reason may not be allowed to see them.
                reason: Reason::Neighbours {
                    count: near.neighbours,
                    category: near.category.clone(),
                    similarity: round3(near.similarity),
                    agreement: round3(near.agreement),
                }
                .stored(),
            };
        }
        by_rules
    }

    fn classify_by_rules(&self, text: &str) -> Classification {
        let clean = clean_text(text, &self.opts);
        let padded = format!(" {clean} ");
        let tokens: Vec<&str> = clean.split(' ').filter(|t| !t.is_empty()).collect();
        let grams = trigrams(&clean);

        let mut best: Option<(usize, f64, Vec<&str>, f64)> = None; // (profile, weight, hits, sim)
        for (i, p) in self.profiles.iter().enumerate() {
            let mut weight = 0.0;
            let mut hits = Vec::new();
            for kw in &p.keywords {
                if padded.contains(&format!(" {kw} ")) {
                    weight += 1.0;
                    hits.push(kw.as_str());
                } else if !kw.contains(' ') && kw.len() >= 4 && tokens.iter().any(|t| stem_match(t, kw)) {
                    weight += 0.7;
                    hits.push(kw.as_str());
                }
            }
            let sim = cosine(&grams, &p.grams);
            let better = match &best {
                None => true,
                Some((bi, bw, _, bs)) => {
                    let bp = self.profiles[*bi].priority;
                    (weight, p.priority, sim).partial_cmp(&(*bw, bp, *bs)) == Some(std::cmp::Ordering::Greater)
                }
            };
            if better {
                best = Some((i, weight, hits, sim));
            }
        }

        let Some((i, weight, hits, sim)) = best else {
            return Classification {
                category: "Indeterminado".into(),
                score: -1.0,
                reason: Reason::NoCategories.stored(),
            };
        };
        let name = self.profiles[i].name.clone();
        if weight > 0.0 {
            let score = 0.55 + 0.35 * (weight.min(2.0) / 2.0) + 0.1 * sim.min(1.0);
            return Classification {
                category: name.clone(),
                score: round3(score),
                reason: Reason::Keywords { category: name, keywords: hits.iter().map(|h| h.to_string()).collect() }.stored(),
            };
        }
        if sim >= MIN_SIMILARITY {
            return Classification {
                category: name.clone(),
                score: round3((sim * 0.9).min(0.5)),
                reason: Reason::Resembles { category: name, similarity: round3(sim) }.stored(),
            };
        }
        // Nothing matched: fall back to the lowest-priority category (usually the catch-all).
        let fallback = self
            .profiles
            .iter()
            .min_by_key(|p| p.priority)
            .map(|p| p.name.clone())
            .unwrap_or(name);
        Classification {
            category: fallback.clone(),
            score: round3(sim * 0.5),
            reason: Reason::Fallback { category: fallback }.stored(),
        }
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// A token matches a keyword when one is a prefix of the other and they share at least 4 letters:
/// "restaurante" ~ "restaurant", "hoteles" ~ "hotel".
fn stem_match(token: &str, kw: &str) -> bool {
    token.len() >= 4 && (token.starts_with(kw) || (kw.starts_with(token) && token.len() >= 5))
}

pub(crate) fn trigrams(text: &str) -> HashSet<String> {
    let mut out = HashSet::new();
    // One-letter words ("y", "a", "&") are connectives, not evidence.
    for word in text.split(' ').filter(|w| w.chars().count() > 1) {
        let chars: Vec<char> = format!(" {word} ").chars().collect();
        for w in chars.windows(3) {
            out.insert(w.iter().collect());
        }
    }
    out
}

pub(crate) fn cosine(a: &HashSet<String>, b: &HashSet<String>) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let inter = a.intersection(b).count() as f64;
    inter / ((a.len() as f64).sqrt() * (b.len() as f64).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::default_prompt;

    fn classifier() -> OfflineClassifier {
        OfflineClassifier::new(&default_prompt().categories)
    }

    #[test]
    fn keyword_lines_go_to_their_category_with_a_reason() {
        let c = classifier();
        let r = c.classify("TAXI Madrid aeropuerto");
        assert_eq!(r.category, "Viajes y transporte");
        assert!(r.score > 0.55 && r.score <= 1.0, "score {}", r.score);
        assert!(crate::classify::reason_text(&r.reason, crate::Lang::Es).contains("«taxi»"), "{}", r.reason);

        assert_eq!(c.classify("Restaurante El Olivo, cena equipo").category, "Comidas y restauración");
        assert_eq!(c.classify("Factura Iberdrola electricidad marzo").category, "Suministros");
        assert_eq!(c.classify("VIKING DIRECT stationery").category, "Material de oficina");
    }

    #[test]
    fn prefix_matches_count_less_than_whole_words() {
        let c = classifier();
        let whole = c.classify("hotel");
        let prefix = c.classify("hoteles");
        assert_eq!(prefix.category, "Viajes y transporte");
        assert!(prefix.score <= whole.score);
    }

    #[test]
    fn lines_with_no_signal_fall_back_to_the_catch_all_with_low_score() {
        let c = classifier();
        let r = c.classify("zzqx 4431");
        assert_eq!(r.category, "Otros gastos");
        assert!(r.score < 0.3, "score {}", r.score);
    }

    #[test]
    fn scores_stay_in_unit_interval() {
        let c = classifier();
        for line in ["", "taxi taxi taxi uber vuelo hotel tren", "ñ", "software licencia microsoft cloud"] {
            let r = c.classify(line);
            assert!((0.0..=1.0).contains(&r.score), "{line:?} -> {}", r.score);
        }
    }

    #[test]
    fn validated_lines_teach_it_what_keywords_do_not_say() {
        let mut c = classifier();
        let before = c.classify("ACME HOLDINGS LTD ref 4411");
        assert_eq!(before.category, "Otros gastos");
        c.learn([("ACME HOLDINGS LTD ref 1200", "Servicios profesionales"), ("nonsense", "No such category")]);
        assert_eq!(c.learned(), 1, "unknown categories are not learned");
        let after = c.classify("Acme Holdings Ltd ref 4411");
        assert_eq!(after.category, "Servicios profesionales");
        assert!(crate::classify::reason_text(&after.reason, crate::Lang::Es).contains("validada"), "{}", after.reason);
        assert!(!after.reason.to_lowercase().contains("acme"), "a reason never quotes a validated line: {}", after.reason);
        assert!((0.0..=1.0).contains(&after.score));
        // A line unlike every example keeps its keyword answer.
        assert_eq!(c.classify("TAXI Madrid aeropuerto").category, "Viajes y transporte");
    }

    #[test]
    fn no_categories_gives_indeterminado() {
        let r = OfflineClassifier::new(&[]).classify("taxi");
        assert_eq!((r.category.as_str(), r.score), ("Indeterminado", -1.0));
    }
}
