//! Why the offline classifier chose a category, as a code with parameters. It is stored as JSON in
//! the result's `reason` (a model's own reason stays the text the model wrote) and rendered in the
//! reader's language by [`reason_text`].

use serde::{Deserialize, Serialize};

use crate::lang::Lang;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason {
    /// Like `count` validated lines of `category` (never their text: the reader may not see them).
    Neighbours { count: usize, category: String, similarity: f64, agreement: f64 },
    Keywords { category: String, keywords: Vec<String> },
    Resembles { category: String, similarity: f64 },
    Fallback { category: String },
    /// The model learnt from `examples` labelled lines gives `category` this calibrated probability.
    Learned { category: String, probability: f64, examples: usize },
    NoCategories,
}

impl Reason {
    /// What is stored in a result's `reason`.
    pub fn stored(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn text(&self, lang: Lang) -> String {
        let q = |s: &str| format!("«{s}»");
        match self {
            Reason::Neighbours { count, category, similarity, agreement } => match lang {
                Lang::Es => format!(
                    "se parece a {count} línea(s) validada(s) como {} (similitud {}, acuerdo {} %)",
                    q(category),
                    lang.decimal(*similarity, 2),
                    lang.decimal(agreement * 100.0, 0)
                ),
                Lang::En => format!(
                    "like {count} validated line(s) of {} (similarity {}, agreement {}%)",
                    q(category),
                    lang.decimal(*similarity, 2),
                    lang.decimal(agreement * 100.0, 0)
                ),
            },
            Reason::Keywords { category, keywords } => {
                let list = keywords.iter().map(|k| q(k)).collect::<Vec<_>>().join(", ");
                match lang {
                    Lang::Es => format!("contiene palabras clave de {}: {list}", q(category)),
                    Lang::En => format!("has keywords of {}: {list}", q(category)),
                }
            }
            Reason::Resembles { category, similarity } => match lang {
                Lang::Es => format!("sin palabras clave; el texto se parece más a {} (similitud {})", q(category), lang.decimal(*similarity, 2)),
                Lang::En => format!("no keywords; the text is most like {} (similarity {})", q(category), lang.decimal(*similarity, 2)),
            },
            Reason::Fallback { category } => match lang {
                Lang::Es => format!("no se parece a ninguna categoría; asignada a {} con confianza baja", q(category)),
                Lang::En => format!("like no category; given {} with low confidence", q(category)),
            },
            Reason::Learned { category, probability, examples } => match lang {
                Lang::Es => format!(
                    "el modelo aprendido de {examples} ejemplos etiquetados da {} con probabilidad {} %",
                    q(category),
                    lang.decimal(probability * 100.0, 0)
                ),
                Lang::En => format!(
                    "the model learnt from {examples} labelled examples gives {} with probability {}%",
                    q(category),
                    lang.decimal(probability * 100.0, 0)
                ),
            },
            Reason::NoCategories => lang.pick("el prompt no define categorías", "the prompt defines no categories").to_string(),
        }
    }
}

/// A stored reason as the reader reads it: a coded reason in their language, a model's text as is.
pub fn reason_text(stored: &str, lang: Lang) -> String {
    lang.render_coded(stored, "reason", Reason::text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coded_reasons_render_in_both_languages_and_model_text_stays() {
        let r = Reason::Keywords { category: "Viajes".into(), keywords: vec!["taxi".into()] };
        assert_eq!(reason_text(&r.stored(), Lang::Es), "contiene palabras clave de «Viajes»: «taxi»");
        assert_eq!(reason_text(&r.stored(), Lang::En), "has keywords of «Viajes»: «taxi»");
        let n = Reason::Neighbours { count: 2, category: "A".into(), similarity: 0.834, agreement: 1.0 };
        assert!(reason_text(&n.stored(), Lang::Es).contains("similitud 0,83, acuerdo 100 %"));
        assert_eq!(reason_text("the model said so", Lang::Es), "the model said so");
    }
}
