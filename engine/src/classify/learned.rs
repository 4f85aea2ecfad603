//! The offline model runs use, as `evaluate-offline` chose it on held-out data (Birmingham split by
//! date: 51.8 % against 44.2 % for nearest neighbours alone): a line nearly identical to an example
//! takes that example's category; any other line gets the linear model's calibrated probability.
//! With too few examples to learn from, the keyword and similarity rules answer as before.

use super::linear::{LinearModel, LinearOptions};
use super::offline::Classification;
use super::reason::Reason;
use super::{Category, OfflineClassifier};

/// Fewer examples than this teach a linear model nothing reliable.
pub const MIN_EXAMPLES: usize = 20;
/// A nearest-neighbour answer at least this sure is a near-identical example: it wins.
const NEAR_IDENTICAL: f64 = 0.9;

pub struct LearnedClassifier {
    rules: OfflineClassifier,
    linear: Option<LinearModel>,
    examples: usize,
}

impl LearnedClassifier {
    /// Learns from `(text, category)` examples; those of categories the prompt lacks are ignored.
    pub fn new(categories: &[Category], examples: &[(String, String)]) -> Self {
        let mut rules = OfflineClassifier::new(categories);
        rules.learn(examples.iter().map(|(t, c)| (t.as_str(), c.as_str())));
        let known: Vec<(String, String)> = examples.iter().filter(|(_, c)| categories.iter().any(|k| k.name == *c)).cloned().collect();
        let linear = if known.len() >= MIN_EXAMPLES { LinearModel::train(&known, &LinearOptions::default()) } else { None };
        LearnedClassifier { rules, linear, examples: known.len() }
    }

    /// Examples it learnt from.
    pub fn learned(&self) -> usize {
        self.examples
    }

    /// Whether a linear model was learnt (enough examples of at least two categories).
    pub fn has_linear(&self) -> bool {
        self.linear.is_some()
    }

    pub fn classify(&self, text: &str) -> Classification {
        let near = self.rules.classify(text);
        combine(near, self.linear.as_ref().map(|m| m.predict(text)), self.examples)
    }
}

/// The combination `evaluate-offline` measures and runs use: a near-identical example's answer,
/// else the linear model's (when there is one), else the rules'.
pub fn combine(near: Classification, linear: Option<(String, f64)>, examples: usize) -> Classification {
    match linear {
        Some((category, p)) if near.score < NEAR_IDENTICAL => {
            let probability = (p * 1000.0).round() / 1000.0;
            Classification { reason: Reason::Learned { category: category.clone(), probability, examples }.stored(), category, score: probability }
        }
        _ => near,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat(name: &str) -> Category {
        Category { name: name.into(), description: String::new(), keywords: vec![], priority: 0 }
    }

    #[test]
    fn learns_from_examples_and_says_so_with_a_probability() {
        let cats = [cat("Viajes"), cat("Suministros"), cat("Comidas")];
        let mut ex = Vec::new();
        for i in 0..15 {
            ex.push((format!("TAXI AEROPUERTO {i}"), "Viajes".to_string()));
            ex.push((format!("IBERDROLA LUZ {i}"), "Suministros".to_string()));
            ex.push((format!("RESTAURANTE MENU {i}"), "Comidas".to_string()));
        }
        ex.push(("ignored".into(), "No such category".into()));
        let c = LearnedClassifier::new(&cats, &ex);
        assert!(c.has_linear());
        assert_eq!(c.learned(), 45);
        let r = c.classify("factura luz de iberdrola");
        assert_eq!(r.category, "Suministros");
        assert!(r.reason.contains("learned") && (0.0..=1.0).contains(&r.score), "{r:?}");
        let few = LearnedClassifier::new(&cats, &ex[..6]);
        assert!(!few.has_linear(), "six examples teach rules, not a linear model");
    }
}
