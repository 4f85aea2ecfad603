//! The download links of a run's results: CSV (with the separator a spreadsheet in the reader's
//! language expects) and XLSX, both with the added columns in the reader's language.

use leptos::prelude::*;

use crate::i18n::{Key, Locale, tr, use_locale};

/// `query`: what selects the rows (`sample_id=…` for a reviewed export, or empty); `testid` prefixes
/// the links' test ids.
#[component]
pub fn ExportLinks(run_id: uuid::Uuid, #[prop(optional, into)] query: String, testid: &'static str) -> impl IntoView {
    let locale = use_locale();
    // Spanish spreadsheets split on ';' (',' is their decimal mark); English ones on ','.
    let sep = RwSignal::new(if locale.get_untracked() == Locale::Es { ";" } else { "," });
    let extra = if query.is_empty() { String::new() } else { format!("&{query}") };
    let extra2 = extra.clone();
    let href = move |format: &str, extra: &str| {
        let sep = if format == "csv" { format!("&sep={}", if sep.get() == ";" { "%3B" } else { "%2C" }) } else { String::new() };
        format!("/api/v1/runs/{run_id}/results?format={format}&lang={}{sep}{extra}", locale.get().code())
    };
    view! {
        <span class="export-links">
            <label class="inline-field">
                <span class="visually-hidden">{tr(Key::CsvSeparator)}</span>
                <select data-testid=format!("{testid}-sep") title=tr(Key::CsvSeparator) on:change=move |ev| sep.set(if event_target_value(&ev) == ";" { ";" } else { "," })>
                    <option value=";" selected=move || sep.get() == ";">{tr(Key::SeparatorSemicolon)}</option>
                    <option value="," selected=move || sep.get() == ",">{tr(Key::SeparatorComma)}</option>
                </select>
            </label>
            <a class="btn" data-testid=format!("{testid}-csv") rel="external" download href=move || href("csv", &extra)>{tr(Key::DownloadCsv)}</a>
            <a class="btn btn-primary" data-testid=format!("{testid}-xlsx") rel="external" download href=move || href("xlsx", &extra2)>{tr(Key::DownloadXlsx)}</a>
        </span>
    }
}
