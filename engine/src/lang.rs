//! The two languages of the product. Screens translate codes in the UI; what the engine itself
//! writes for people (the words of an exported file, a classifier's reason) is rendered from a code
//! and its parameters in the language asked for, never stored as prose of one language.

use serde::{Deserialize, Serialize};

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    Es,
    En,
}

impl Lang {
    pub fn parse(code: &str) -> Option<Self> {
        match code.trim().get(..2).map(str::to_ascii_lowercase).as_deref() {
            Some("es") => Some(Lang::Es),
            Some("en") => Some(Lang::En),
            _ => None,
        }
    }

    /// Picks the Spanish or the English text.
    pub fn pick<'a>(self, es: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Es => es,
            Lang::En => en,
        }
    }

    /// A decimal number as this language writes it (`0,83` / `0.83`).
    pub fn decimal(self, x: f64, decimals: usize) -> String {
        let s = format!("{x:.decimals$}");
        match self {
            Lang::Es => s.replace('.', ","),
            Lang::En => s,
        }
    }
}
