use serde::{Deserialize, Serialize};

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    Empty,
    Boolean,
    Integer,
    Decimal,
    Date,
    Datetime,
    Text,
}

impl ColumnType {
    pub const ALL: [ColumnType; 7] = [
        ColumnType::Empty,
        ColumnType::Boolean,
        ColumnType::Integer,
        ColumnType::Decimal,
        ColumnType::Date,
        ColumnType::Datetime,
        ColumnType::Text,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ColumnType::Empty => "empty",
            ColumnType::Boolean => "boolean",
            ColumnType::Integer => "integer",
            ColumnType::Decimal => "decimal",
            ColumnType::Date => "date",
            ColumnType::Datetime => "datetime",
            ColumnType::Text => "text",
        }
    }
}

/// The narrowest type every non-empty value fits. Decimals accept both `1.234,56` and `1,234.56`;
/// dates accept `yyyy-mm-dd` and `dd/mm/yyyy`, datetimes add a time of day. The same rule the
/// ingest pipeline applies through `TypeEvidence`.
pub fn infer_type<'a>(values: impl IntoIterator<Item = &'a str>) -> ColumnType {
    let mut evidence = TypeEvidence::default();
    for v in values {
        evidence.observe(v, 0);
    }
    evidence.detected()
}

/// Why a column got its type: how many values fit each kind, and the first value of each kind with
/// its line, so a preview can say "text because of 'N/A' on line 7".
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TypeEvidence {
    /// Values seen per kind, in the order of `ColumnType::ALL`.
    pub counts: [u64; 7],
    pub examples: Vec<TypeExample>,
    /// Distinct text values among the first ones seen (at most `DISTINCT_CAP`): with `text_chars`,
    /// what tells a description column (many different long texts) from a code or a centre.
    #[serde(default)]
    pub distinct: u64,
    /// Characters of all text values.
    #[serde(default)]
    pub text_chars: u64,
    /// Hashes of the text values counted in `distinct`; only while reading.
    #[serde(skip)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    seen: Seen,
}

/// The hashes behind `distinct`: working state, so two evidences are equal whatever they hold.
#[derive(Debug, Clone, Default)]
struct Seen(std::collections::HashSet<u64>);

impl PartialEq for Seen {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// Distinct values are counted up to this many, among at most `DISTINCT_SCAN` values per batch:
/// enough to rank columns, cheap on a million rows.
const DISTINCT_CAP: usize = 4096;
const DISTINCT_SCAN: u64 = 20_000;

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypeExample {
    #[serde(rename = "type")]
    pub kind: ColumnType,
    pub value: String,
    pub line: i64,
}

impl TypeEvidence {
    pub fn observe(&mut self, value: &str, line: i64) {
        let v = value.trim();
        let kind = if v.is_empty() { ColumnType::Empty } else { value_type(v) };
        let slot = kind as usize;
        self.counts[slot] += 1;
        if kind == ColumnType::Text {
            self.text_chars += v.chars().count() as u64;
            if self.seen.0.len() < DISTINCT_CAP && self.counts[slot] <= DISTINCT_SCAN {
                use std::hash::{Hash, Hasher};
                let mut h = std::collections::hash_map::DefaultHasher::new();
                v.hash(&mut h);
                self.seen.0.insert(h.finish());
                self.distinct = self.distinct.max(self.seen.0.len() as u64);
            }
        }
        if self.counts[slot] == 1 && kind != ColumnType::Empty {
            self.examples.push(TypeExample { kind, value: v.chars().take(60).collect(), line });
        }
    }

    pub fn merge(&mut self, other: &TypeEvidence) {
        for (a, b) in self.counts.iter_mut().zip(other.counts) {
            *a += b;
        }
        self.text_chars += other.text_chars;
        for h in &other.seen.0 {
            if self.seen.0.len() >= DISTINCT_CAP {
                break;
            }
            self.seen.0.insert(*h);
        }
        self.distinct = self.distinct.max(other.distinct).max(self.seen.0.len() as u64);
        for ex in &other.examples {
            match self.examples.iter_mut().find(|e| e.kind == ex.kind) {
                // Batches are merged out of order; the earliest line is the one worth showing.
                Some(mine) if mine.line > ex.line => *mine = ex.clone(),
                Some(_) => {}
                None => self.examples.push(ex.clone()),
            }
        }
    }

    pub fn count(&self, kind: ColumnType) -> u64 {
        self.counts[kind as usize]
    }

    /// The narrowest type all seen values fit.
    pub fn detected(&self) -> ColumnType {
        ColumnType::ALL
            .iter()
            .filter(|&&k| self.count(k) > 0)
            .fold(ColumnType::Empty, |acc, &k| widen(acc, k))
    }
}

/// The type that holds values of both `a` and `b` (several tables' columns of one name).
pub fn widen(a: ColumnType, b: ColumnType) -> ColumnType {
    use ColumnType::*;
    match (a, b) {
        (Empty, x) | (x, Empty) => x,
        (x, y) if x == y => x,
        (Integer, Decimal) | (Decimal, Integer) => Decimal,
        (Date, Datetime) | (Datetime, Date) => Datetime,
        _ => Text,
    }
}

pub(crate) fn value_type(v: &str) -> ColumnType {
    if ["true", "false", "si", "sí", "no", "yes"].iter().any(|b| v.eq_ignore_ascii_case(b)) {
        return ColumnType::Boolean;
    }
    let unsigned = v.strip_prefix(['-', '+']).unwrap_or(v);
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return ColumnType::Integer;
    }
    if is_decimal(unsigned) {
        return ColumnType::Decimal;
    }
    if let Some(kind) = date_kind(v) {
        return kind;
    }
    ColumnType::Text
}

fn is_decimal(v: &str) -> bool {
    let b = v.as_bytes();
    if b.is_empty() || !b.iter().all(|c| c.is_ascii_digit() || *c == b'.' || *c == b',') {
        return false;
    }
    // The last separator is the decimal one; every earlier one must be the other kind, with groups
    // of three digits after the first group of one to three. No allocation: this runs for every cell.
    let Some(dec_pos) = b.iter().rposition(|c| *c == b'.' || *c == b',') else { return false };
    let (int_part, frac) = (&b[..dec_pos], &b[dec_pos + 1..]);
    if frac.is_empty() || !frac.iter().all(u8::is_ascii_digit) || int_part.is_empty() {
        return false;
    }
    let thousands = if b[dec_pos] == b'.' { b',' } else { b'.' };
    if int_part.contains(&b[dec_pos]) {
        return false;
    }
    let mut groups = int_part.split(|c| *c == thousands);
    let first = groups.next().unwrap_or_default();
    let mut any_rest = false;
    for g in groups {
        any_rest = true;
        if g.len() != 3 {
            return false;
        }
    }
    if any_rest { (1..=3).contains(&first.len()) } else { !first.is_empty() }
}

/// A number as written in a decimal or integer column (`1.234,56`, `1,234.56`, `-12`), for a
/// spreadsheet cell; `None` when it is not one.
pub fn parse_number(v: &str) -> Option<f64> {
    let v = v.trim();
    let (sign, unsigned) = match v.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, v.strip_prefix('+').unwrap_or(v)),
    };
    if unsigned.is_empty() {
        return None;
    }
    if unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return unsigned.parse::<f64>().ok().map(|n| sign * n);
    }
    if !is_decimal(unsigned) {
        return None;
    }
    let dec = unsigned.rfind(['.', ','])?;
    let int: String = unsigned[..dec].chars().filter(char::is_ascii_digit).collect();
    format!("{int}.{}", &unsigned[dec + 1..]).parse::<f64>().ok().map(|n| sign * n)
}

/// A date or date and time as written in a date or datetime column, for a spreadsheet cell.
pub fn parse_datetime(v: &str) -> Option<chrono::NaiveDateTime> {
    let v = v.trim();
    if let Some(d) = DATE_FORMATS.iter().find_map(|f| chrono::NaiveDate::parse_from_str(v, f).ok()) {
        return d.and_hms_opt(0, 0, 0);
    }
    let bare = v.strip_suffix('Z').unwrap_or(v);
    DATETIME_FORMATS
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(bare, f).ok())
        .or_else(|| chrono::DateTime::parse_from_rfc3339(v).ok().map(|d| d.naive_utc()))
}

const DATE_FORMATS: [&str; 4] = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%Y/%m/%d"];
const DATETIME_FORMATS: [&str; 8] = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
];

/// `yyyy-mm-dd` and `dd/mm/yyyy`, the shapes of nearly every date column, checked without chrono's
/// format parser (which runs for every cell): `Some(valid)` for those shapes, `None` for others.
fn common_date(b: &[u8]) -> Option<bool> {
    let num = |s: &[u8]| s.iter().try_fold(0u32, |n, c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')));
    let (y, m, d) = match b {
        [y @ .., b'-', m1, m2, b'-', d1, d2] if y.len() == 4 => (num(y)?, num(&[*m1, *m2])?, num(&[*d1, *d2])?),
        [d1, d2, b'/', m1, m2, b'/', y @ ..] if y.len() == 4 => (num(y)?, num(&[*m1, *m2])?, num(&[*d1, *d2])?),
        _ => return None,
    };
    Some(chrono::NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d).is_some())
}

fn date_kind(v: &str) -> Option<ColumnType> {
    // Cheap gate first: parsing every text cell with eight formats would dominate ingest time.
    let first = v.as_bytes().first()?;
    if !first.is_ascii_digit() || v.len() < 8 || !v.contains(['-', '/']) {
        return None;
    }
    if let Some(valid) = common_date(v.as_bytes()) {
        return valid.then_some(ColumnType::Date);
    }
    if v.len() <= 10 {
        return DATE_FORMATS
            .iter()
            .any(|f| chrono::NaiveDate::parse_from_str(v, f).is_ok())
            .then_some(ColumnType::Date);
    }
    let v = v.strip_suffix('Z').unwrap_or(v);
    if DATETIME_FORMATS.iter().any(|f| chrono::NaiveDateTime::parse_from_str(v, f).is_ok())
        || chrono::DateTime::parse_from_rfc3339(v).is_ok()
    {
        return Some(ColumnType::Datetime);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_dates_parse_for_spreadsheet_cells() {
        assert_eq!(parse_number("1.234,56"), Some(1234.56));
        assert_eq!(parse_number("1,234.56"), Some(1234.56));
        assert_eq!(parse_number("-12"), Some(-12.0));
        assert_eq!(parse_number("12,5"), Some(12.5));
        assert_eq!(parse_number("N/A"), None);
        assert_eq!(parse_datetime("03/02/2024").map(|d| d.to_string()), Some("2024-02-03 00:00:00".into()));
        assert_eq!(parse_datetime("2024-02-03T10:30:00Z").map(|d| d.to_string()), Some("2024-02-03 10:30:00".into()));
        assert_eq!(parse_datetime("yesterday"), None);
    }

    #[test]
    fn infers_types_from_values() {
        assert_eq!(infer_type(["1", "22", " -3 "]), ColumnType::Integer);
        assert_eq!(infer_type(["1", "2,5"]), ColumnType::Decimal);
        assert_eq!(infer_type(["1.234,56", "1234,5"]), ColumnType::Decimal);
        assert_eq!(infer_type(["1,234.56", "12.5"]), ColumnType::Decimal);
        assert_eq!(infer_type(["31/12/2024", "2024-01-05"]), ColumnType::Date);
        assert_eq!(infer_type(["31/12/2024 10:30", "2024-01-05"]), ColumnType::Datetime);
        assert_eq!(infer_type(["2024-01-05T10:30:00Z", "2024-01-05T10:30:00+01:00"]), ColumnType::Datetime);
        assert_eq!(infer_type(["true", "no", "SÍ"]), ColumnType::Text, "accented capitals are not ascii");
        assert_eq!(infer_type(["true", "No"]), ColumnType::Boolean);
        assert_eq!(infer_type(["", "  "]), ColumnType::Empty);
        assert_eq!(infer_type(["12", "taxi"]), ColumnType::Text);
        assert_eq!(infer_type(["1.2.3"]), ColumnType::Text);
        assert_eq!(infer_type(["31/02/2024"]), ColumnType::Text);
        // The fast path for the common shapes agrees with chrono's parser.
        assert_eq!(common_date(b"2024-02-29"), Some(true));
        assert_eq!(common_date(b"2023-02-29"), Some(false));
        assert_eq!(common_date(b"29/02/2024"), Some(true));
        assert_eq!(common_date(b"2024-1-5"), None);
        assert_eq!(infer_type(["2024-1-5"]), ColumnType::Date, "other shapes still go to chrono");
    }

    #[test]
    fn evidence_explains_the_type_and_merges_in_line_order() {
        let mut a = TypeEvidence::default();
        for (i, v) in ["12", "", "7"].iter().enumerate() {
            a.observe(v, 10 + i as i64);
        }
        let mut b = TypeEvidence::default();
        b.observe("3", 2);
        b.observe("N/A", 5);
        a.merge(&b);
        assert_eq!(a.detected(), ColumnType::Text);
        assert_eq!((a.count(ColumnType::Integer), a.count(ColumnType::Empty), a.count(ColumnType::Text)), (3, 1, 1));
        let int_example = a.examples.iter().find(|e| e.kind == ColumnType::Integer).expect("integer example");
        assert_eq!((int_example.value.as_str(), int_example.line), ("3", 2));
        assert!(a.examples.iter().any(|e| e.kind == ColumnType::Text && e.value == "N/A" && e.line == 5));
        assert_eq!(a.detected(), infer_type(["12", "", "7", "3", "N/A"]));
    }
}
