//! Whole-screen notices (not found, coming later) and the small pieces several screens show.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::i18n::{Key, tr};
use engine::classify::RunStatus;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(r) = use_context::<leptos_axum::ResponseOptions>() {
        r.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="panel narrow">
            <h1>{tr(Key::NotFound)}</h1>
            <A href="/">{tr(Key::BackHome)}</A>
        </section>
    }
}

/// A figure with its label, in a `.stats` row.
#[component]
pub fn Stat(label: Key, value: String, testid: &'static str) -> impl IntoView {
    view! {
        <div class="stat">
            <span class="stat-value" data-testid=testid>{value}</span>
            <span class="stat-label">{tr(label)}</span>
        </div>
    }
}

pub fn status_key(s: RunStatus) -> Key {
    match s {
        RunStatus::Queued => Key::StatusQueued,
        RunStatus::Running => Key::StatusRunning,
        RunStatus::Succeeded => Key::StatusSucceeded,
        RunStatus::Failed => Key::StatusFailed,
        RunStatus::Cancelled => Key::StatusCancelled,
    }
}

/// "offline" or "openai · gpt-4o-mini", in the reader's language: which classifier a run used.
pub fn classifier_label(provider: engine::classify::ProviderKind, model: &str) -> impl IntoView + use<> {
    let model = model.to_string();
    match provider {
        engine::classify::ProviderKind::Offline => view! { {tr(Key::OfflineClassifier)} }.into_any(),
        engine::classify::ProviderKind::Openai => view! { {format!("openai · {model}")} }.into_any(),
    }
}

/// A message the engine stored as a code (what reading a file found, why a row was rejected), in
/// the reader's language; older prose as it was written.
pub fn note(stored: &str) -> impl Fn() -> String + Send + Sync + 'static + use<> {
    let stored = stored.to_string();
    let locale = crate::i18n::use_locale();
    move || engine::ingest::notes::note_text(&stored, locale.get().into())
}
