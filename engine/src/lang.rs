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

    /// `stored` as the reader reads it: a message kept as a code (JSON tagged `tag`) rendered in this
    /// language by `render`; anything else (a model's words, prose stored before codes) as it is.
    pub fn render_coded<T: serde::de::DeserializeOwned>(self, stored: &str, tag: &str, render: impl Fn(&T, Lang) -> String) -> String {
        let coded = stored.strip_prefix("{\"").and_then(|rest| rest.strip_prefix(tag)).is_some_and(|rest| rest.starts_with("\":"));
        match coded.then(|| serde_json::from_str::<T>(stored).ok()).flatten() {
            Some(value) => render(&value, self),
            None => stored.to_string(),
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
