//! The Leptos application: the frame (navigation, language, account), the pages, and the server
//! functions they call. Server-only code sits behind the `ssr` feature; the browser build hydrates.

#![recursion_limit = "256"]

pub mod api;
mod components;
mod format;
pub mod i18n;
mod pages;

use leptos::prelude::*;
use leptos_meta::{Meta, MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::path;

use crate::i18n::{Key, Locale, tr};

/// The per-response nonce the server's Content-Security-Policy allows inline scripts with (the
/// hydration bootstrap is one); the server puts it in the request's extensions.
#[derive(Debug, Clone)]
pub struct CspNonce(pub String);

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(nonce) = use_context::<axum::http::request::Parts>().and_then(|p| p.extensions.get::<CspNonce>().cloned()) {
        provide_context(leptos::nonce::Nonce::from_value(nonce.0));
    }
    let lang = initial_locale().code();
    view! {
        <!DOCTYPE html>
        <html lang=lang>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <script src="/passkeys.js" defer></script>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The locale from the request cookie on the server, from `document.cookie` in the browser.
fn initial_locale() -> Locale {
    #[cfg(feature = "ssr")]
    {
        use_context::<axum::http::request::Parts>()
            .and_then(|p| p.headers.get(axum::http::header::COOKIE).and_then(|v| v.to_str().ok()).map(String::from))
            .and_then(|c| Locale::from_cookie_header(&c))
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        components::browser::cookie_header().and_then(|c| Locale::from_cookie_header(&c)).unwrap_or_default()
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let locale = RwSignal::new(initial_locale());
    provide_context(locale);
    let user = Resource::new(|| (), |_| api::whoami());
    provide_context(user);
    // Effects run only in the browser, after hydration: tests (and scripts) wait for this mark
    // before using controls whose handlers live in the wasm.
    Effect::new(|| components::browser::mark_hydrated());
    // Screen readers and spelling follow the chosen language, not the one the page was served in.
    Effect::new(move || components::browser::set_document_lang(locale.get().code()));
    view! {
        <Stylesheet id="leptos" href="/pkg/dgs.css"/>
        <Title text=move || i18n::t(locale.get(), Key::AppName)/>
        <Meta name="description" content="Data Governance Service"/>
        <Router>
            <a class="skip" href="#main">{tr(Key::SkipToContent)}</a>
            <components::Header/>
            <main id="main" class="main">
                <Routes fallback=|| view! { <components::NotFound/> }>
                    <Route path=path!("/") view=pages::datasets::DatasetsPage/>
                    <Route path=path!("/datasets") view=pages::datasets::DatasetsPage/>
                    <Route path=path!("/datasets/:id") view=pages::dataset::DatasetPage/>
                    <Route path=path!("/datasets/:id/classify") view=pages::classify::ClassifyPage/>
                    <Route path=path!("/upload") view=pages::datasets::NewUploadPage/>
                    <Route path=path!("/uploads/:id") view=pages::datasets::UploadPage/>
                    <Route path=path!("/login") view=pages::auth::LoginPage/>
                    <Route path=path!("/setup") view=pages::auth::SetupPage/>
                    <Route path=path!("/runs/:id") view=pages::run::RunPage/>
                    <Route path=path!("/samples/:id") view=pages::review::ReviewPage/>
                    <Route path=path!("/prompts") view=pages::prompts::PromptsPage/>
                    <Route path=path!("/reviews") view=pages::reviews::ReviewsPage/>
                    <Route path=path!("/tables") view=pages::tables::TablesPage/>
                    <Route path=path!("/tables/:name") view=pages::tables::TableRowsPage/>
                    <Route path=path!("/tables/:name/schema") view=pages::tables::TableSchemaPage/>
                    <Route path=path!("/imports") view=pages::imports::ImportsPage/>
                    <Route path=path!("/imports/new") view=pages::imports::NewImportPage/>
                    <Route path=path!("/imports/jobs/:id") view=pages::imports::ImportJobPage/>
                    <Route path=path!("/reports") view=pages::reports::ReportsPage/>
                    <Route path=path!("/reports/new") view=pages::reports::ReportBuilderPage/>
                    <Route path=path!("/reports/links") view=pages::reports::LinkInventoryPage/>
                    <Route path=path!("/reports/:id") view=pages::reports::ReportPage/>
                    <Route path=path!("/reports/:id/edit") view=pages::reports::ReportBuilderPage/>
                    <Route path=path!("/marketing") view=pages::marketing::MarketingPage/>
                    <Route path=path!("/etl") view=pages::marketing::MarketingPage/>
                    <Route path=path!("/marketing/events") view=pages::marketing::EventsPage/>
                    <Route path=path!("/marketing/runs/:id") view=pages::marketing::EtlRunPage/>
                    <Route path=path!("/account") view=pages::account::AccountPage/>
                    <Route path=path!("/enrol/:token") view=pages::enrol::EnrolPage/>
                    <Route path=path!("/admin") view=pages::admin::UsersPage/>
                    <Route path=path!("/admin/users") view=pages::admin::UsersPage/>
                    <Route path=path!("/admin/roles") view=pages::admin::RolesPage/>
                    <Route path=path!("/admin/audit") view=pages::admin::AuditPage/>
                </Routes>
            </main>
        </Router>
    }
}

/// A link in the main navigation.
#[component]
fn NavLink(href: &'static str, label: Key) -> impl IntoView {
    view! {
        <A href=href attr:class="nav-link">
            {tr(label)}
        </A>
    }
}
