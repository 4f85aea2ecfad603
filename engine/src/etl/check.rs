//! A source's settings checked before they are kept: each refusal names the part that is wrong.
//! Pure, so the source form can say the same as the server as the admin types.

use super::error::EtlError;
use super::mapping::path_ok;
use super::wire::{PaginationKind, SourceInput};

pub const MAX_LOOKBACK_DAYS: u32 = 365;

fn header_ok(h: &str) -> bool {
    !h.is_empty() && h.len() <= 100 && h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn param_ok(p: &str) -> bool {
    !p.is_empty() && p.len() <= 100 && p.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'[' | b']'))
}

/// Checks `input`; returns it with names and URL trimmed.
pub fn checked(mut input: SourceInput) -> Result<SourceInput, EtlError> {
    input.name = input.name.trim().to_string();
    if input.name.is_empty() || input.name.chars().count() > 200 {
        return Err(EtlError::source("name", "a name of 1 to 200 characters"));
    }
    input.url = input.url.trim().to_string();
    let lower = input.url.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) || input.url.len() > 2000 || input.url.chars().any(char::is_whitespace) {
        return Err(EtlError::source("url", "an http:// or https:// address of at most 2000 characters"));
    }
    input.auth_header = input.auth_header.trim().to_string();
    if !input.auth_header.is_empty() && !header_ok(&input.auth_header) {
        return Err(EtlError::source("auth_header", "a header name: letters, digits, - and _"));
    }
    if let Some(secret) = &input.auth_secret {
        if secret.len() > 4000 || secret.chars().any(|c| c.is_control()) {
            return Err(EtlError::source("auth_secret", "at most 4000 characters, no line breaks"));
        }
        if !secret.is_empty() && input.auth_header.is_empty() {
            return Err(EtlError::source("auth_header", "name the header the secret is sent in"));
        }
    }
    input.records_path = input.records_path.trim().to_string();
    if !input.records_path.is_empty() && !path_ok(&input.records_path) {
        return Err(EtlError::source("records_path", "a path such as data or results.items"));
    }
    let p = &mut input.pagination;
    p.next_path = p.next_path.trim().to_string();
    p.param = p.param.trim().to_string();
    p.limit_param = p.limit_param.trim().to_string();
    match p.kind {
        PaginationKind::None => {}
        PaginationKind::NextLink if !path_ok(&p.next_path) => return Err(EtlError::source("pagination.next_path", "where the next page's URL is, e.g. paging.next")),
        PaginationKind::NextLink => {}
        PaginationKind::Cursor if !path_ok(&p.next_path) => return Err(EtlError::source("pagination.next_path", "where the next cursor is, e.g. paging.cursors.after")),
        PaginationKind::Cursor | PaginationKind::Offset if !param_ok(&p.param) => return Err(EtlError::source("pagination.param", "the query parameter to send it in, e.g. after or offset")),
        PaginationKind::Cursor | PaginationKind::Offset => {}
    }
    if !p.limit_param.is_empty() && !param_ok(&p.limit_param) {
        return Err(EtlError::source("pagination.limit_param", "a query parameter name"));
    }
    if !(1..=10_000).contains(&p.page_size) {
        return Err(EtlError::source("pagination.page_size", "between 1 and 10000"));
    }
    if !(1..=100_000).contains(&p.max_pages) {
        return Err(EtlError::source("pagination.max_pages", "between 1 and 100000"));
    }
    let known = input.kind.fields();
    for (name, src) in &input.fields {
        let at = format!("fields.{name}");
        if !known.contains(&name.as_str()) {
            return Err(EtlError::source(&at, format!("not a field of {} records: {}", input.kind.as_str(), known.join(", "))));
        }
        match (&src.path, &src.constant) {
            (Some(_), Some(_)) => return Err(EtlError::source(&at, "a path or a constant, not both")),
            (None, None) => return Err(EtlError::source(&at, "a path or a constant")),
            (Some(path), None) if !path_ok(path) => return Err(EtlError::source(format!("{at}.path"), "a path such as campaign.id or actions[action_type=lead].value")),
            _ => {}
        }
        if let Some(scale) = src.scale
            && !(scale.is_finite() && scale > 0.0)
        {
            return Err(EtlError::source(format!("{at}.scale"), "a positive number"));
        }
    }
    for req in input.kind.required() {
        if !input.fields.contains_key(*req) {
            return Err(EtlError::source(format!("fields.{req}"), "this field is required"));
        }
    }
    input.since_param = input.since_param.trim().to_string();
    if !input.since_param.is_empty() && !param_ok(&input.since_param) {
        return Err(EtlError::source("since_param", "a query parameter name"));
    }
    if input.lookback_days > MAX_LOOKBACK_DAYS {
        return Err(EtlError::source("lookback_days", format!("at most {MAX_LOOKBACK_DAYS}")));
    }
    input.schedule = input.schedule.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    Ok(input)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::etl::presets;

    #[test]
    fn every_preset_is_a_valid_source() {
        for p in presets::all() {
            assert!(checked(p.input.clone()).is_ok(), "{}", p.id);
        }
    }

    #[test]
    fn refusals_name_the_part() {
        let base = presets::all().remove(0).input;
        let mut i = base.clone();
        i.fields.remove("date");
        assert_eq!(checked(i).unwrap_err(), EtlError::source("fields.date", "this field is required"));
        let mut i = base.clone();
        i.url = "ftp://x".into();
        assert!(matches!(checked(i), Err(EtlError::SourceInvalid { path, .. }) if path == "url"));
        let mut i = base.clone();
        i.fields.insert("revenue".into(), Default::default());
        assert!(matches!(checked(i), Err(EtlError::SourceInvalid { path, .. }) if path == "fields.revenue"));
        let mut i = base;
        i.pagination.next_path = String::new();
        assert!(matches!(checked(i), Err(EtlError::SourceInvalid { path, .. }) if path == "pagination.next_path"));
    }
}
