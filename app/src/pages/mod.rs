//! One module per screen.

pub mod account;
pub mod admin;
mod admin_audit;
mod admin_roles;
pub mod auth;
pub mod enrol;
mod passkeys;
pub mod classify;
pub mod dataset;
mod dataset_shares;
pub mod datasets;
mod prompt_diff;
pub mod prompts;
pub mod review;
mod review_metrics;
pub mod reviews;
pub mod run;
mod run_results;
pub mod upload;
mod upload_clean;
mod upload_tables;

use leptos::prelude::*;
use leptos_router::components::A;

use crate::i18n::{Key, tr};

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

/// The screens later work fills in: a clear statement of what will live here.
#[component]
pub fn Coming(title: Key, body: Key) -> impl IntoView {
    view! {
        <section class="panel narrow">
            <p class="eyebrow">{tr(Key::ComingTitle)}</p>
            <h1>{tr(title)}</h1>
            <p class="muted">{tr(body)}</p>
        </section>
    }
}
