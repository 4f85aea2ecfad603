use serde::{Deserialize, Serialize};

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    Empty,
    Boolean,
    Integer,
    Decimal,
    Date,
    Text,
}

/// The narrowest type every non-empty value fits. Decimals accept both `1.234,56` and `1,234.56`;
/// dates accept `yyyy-mm-dd` and `dd/mm/yyyy`.
pub fn infer_type<'a>(values: impl IntoIterator<Item = &'a str>) -> ColumnType {
    values.into_iter().fold(ColumnType::Empty, ColumnType::observe)
}

impl ColumnType {
    /// The type after also seeing `value`; lets readers type columns in one streaming pass.
    pub fn observe(self, value: &str) -> ColumnType {
        let v = value.trim();
        if v.is_empty() || self == ColumnType::Text { self } else { widen(self, value_type(v)) }
    }
}

fn widen(a: ColumnType, b: ColumnType) -> ColumnType {
    use ColumnType::*;
    match (a, b) {
        (Empty, x) | (x, Empty) => x,
        (x, y) if x == y => x,
        (Integer, Decimal) | (Decimal, Integer) => Decimal,
        _ => Text,
    }
}

fn value_type(v: &str) -> ColumnType {
    let lower = v.to_ascii_lowercase();
    if matches!(lower.as_str(), "true" | "false" | "si" | "sí" | "no" | "yes") {
        return ColumnType::Boolean;
    }
    let unsigned = v.strip_prefix(['-', '+']).unwrap_or(v);
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return ColumnType::Integer;
    }
    if is_decimal(unsigned) {
        return ColumnType::Decimal;
    }
    if is_date(v) {
        return ColumnType::Date;
    }
    ColumnType::Text
}

fn is_decimal(v: &str) -> bool {
    let digits_and_seps = !v.is_empty()
        && v.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
        && v.bytes().any(|b| b.is_ascii_digit());
    if !digits_and_seps {
        return false;
    }
    // The last separator is the decimal one; every earlier one must be the other kind, in groups of 3.
    let Some(dec_pos) = v.rfind(['.', ',']) else { return false };
    let dec_sep = v.as_bytes()[dec_pos];
    let (int_part, frac) = (&v[..dec_pos], &v[dec_pos + 1..]);
    if frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let thousands = if dec_sep == b'.' { ',' } else { '.' };
    let groups: Vec<&str> = int_part.split(thousands).collect();
    if groups.iter().any(|g| g.contains(dec_sep as char)) {
        return false;
    }
    groups.len() == 1 && !groups[0].is_empty()
        || groups.first().is_some_and(|g| (1..=3).contains(&g.len()))
            && groups[1..].iter().all(|g| g.len() == 3)
}

fn is_date(v: &str) -> bool {
    let parse = |fmt: &str| chrono::NaiveDate::parse_from_str(v, fmt).is_ok();
    parse("%Y-%m-%d") || parse("%d/%m/%Y") || parse("%d-%m-%Y") || parse("%Y/%m/%d")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infers_types_from_values() {
        assert_eq!(infer_type(["1", "22", " -3 "]), ColumnType::Integer);
        assert_eq!(infer_type(["1", "2,5"]), ColumnType::Decimal);
        assert_eq!(infer_type(["1.234,56", "1234,5"]), ColumnType::Decimal);
        assert_eq!(infer_type(["1,234.56", "12.5"]), ColumnType::Decimal);
        assert_eq!(infer_type(["31/12/2024", "2024-01-05"]), ColumnType::Date);
        assert_eq!(infer_type(["true", "no"]), ColumnType::Boolean);
        assert_eq!(infer_type(["", "  "]), ColumnType::Empty);
        assert_eq!(infer_type(["12", "taxi"]), ColumnType::Text);
        assert_eq!(infer_type(["1.2.3"]), ColumnType::Text);
        assert_eq!(infer_type(["31/02/2024"]), ColumnType::Text);
    }
}
