//! Pieces shared by pages: the header with navigation, language and account, error notes, progress.

pub mod browser;
mod corrections;
mod error_note;
mod examples;
mod exports;
mod lists;
mod plan;
mod rejected;
mod screens;

pub use corrections::{CorrectionGroups, SampleCorrections};
pub use error_note::{ErrorNote, error_text};
pub use examples::{ExampleList, ShownExamples};
pub use exports::ExportLinks;
pub use lists::{RunsTable, SamplesTable};
pub use plan::PlanView;
pub use rejected::RejectedList;
pub use screens::{NotFound, Stat, classifier_label, note, status_key};

use engine::auth::{CurrentUser, Permission};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::{AppError, Logout};
use crate::i18n::{Key, Locale, tr, use_locale};

pub type UserResource = Resource<Result<Option<CurrentUser>, AppError>>;

pub fn use_user() -> Option<UserResource> {
    use_context::<UserResource>()
}

/// The top bar. The signed-in user is read in exactly one boundary (a resource read from several
/// boundaries can deadlock server rendering, leptos#4578): the whole bar is drawn from it, and
/// without the account part until it is known.
#[component]
pub fn Header() -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    let user = use_user();
    Effect::new(move || {
        if logout.value().get().is_some_and(|r| r.is_ok()) {
            browser::go("/login");
        }
    });
    view! {
        <Transition fallback=move || view! { <HeaderBar me=None logout/> }>
            {move || match user {
                Some(u) => Suspend::new(async move {
                    let me = u.await.ok().flatten();
                    view! { <HeaderBar me=Some(me) logout/> }
                }).into_any(),
                None => view! { <HeaderBar me=Some(None) logout/> }.into_any(),
            }}
        </Transition>
    }
}

/// `me`: `None` while the user is being looked up, `Some(None)` for a visitor.
#[component]
fn HeaderBar(me: Option<Option<CurrentUser>>, logout: ServerAction<Logout>) -> impl IntoView {
    let locale = use_locale();
    let switch = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        if let Some(l) = Locale::from_code(&value) {
            locale.set(l);
            browser::set_locale_cookie(l);
        }
    };
    let admin = matches!(&me, Some(Some(u)) if u.can(Permission::UserAdmin) || u.can(Permission::AuditRead));
    let account = me.map(|me| match me {
        Some(user) => view! {
            <A href="/account" attr:class="who" attr:data-testid="who" attr:title=tr(Key::NavAccount)>{user.username.clone()}" · "{user.roles_label()}</A>
            <ActionForm action=logout>
                <button class="btn btn-ghost" type="submit">{tr(Key::SignOut)}</button>
            </ActionForm>
        }.into_any(),
        None => view! { <A href="/login" attr:class="btn btn-ghost">{tr(Key::SignIn)}</A> }.into_any(),
    });
    view! {
        <header class="topbar">
            <A href="/" attr:class="brand">
                <span class="brand-mark" aria-hidden="true">"◆"</span>
                <span>{tr(Key::AppName)}</span>
            </A>
            <nav class="nav" aria-label="main">
                <crate::NavLink href="/datasets" label=Key::NavDatasets/>
                <crate::NavLink href="/prompts" label=Key::NavPrompts/>
                <crate::NavLink href="/reviews" label=Key::NavReviews/>
                <crate::NavLink href="/tables" label=Key::NavTables/>
                <crate::NavLink href="/reports" label=Key::NavReports/>
                <crate::NavLink href="/marketing" label=Key::NavMarketing/>
                {admin.then(|| view! { <crate::NavLink href="/admin/users" label=Key::NavAdmin/> })}
                <a class="nav-link" href="/api/v1/docs/" rel="external">{tr(Key::ApiDocs)}</a>
            </nav>
            <div class="account">
                <label class="visually-hidden" for="locale">{tr(Key::Language)}</label>
                <select id="locale" class="locale" on:change=switch prop:value=move || locale.get().code()>
                    <option value="es" selected=move || locale.get() == Locale::Es>"ES"</option>
                    <option value="en" selected=move || locale.get() == Locale::En>"EN"</option>
                </select>
                {account}
            </div>
        </header>
    }
}

/// A table's header row: one column per key, and optionally a last column for row actions whose
/// name only screen readers hear.
#[component]
pub fn TableHead(cols: Vec<Key>, #[prop(optional)] actions: Option<Key>) -> impl IntoView {
    view! {
        <thead><tr>
            {cols.into_iter().map(|k| view! { <th scope="col">{tr(k)}</th> }).collect_view()}
            {actions.map(|k| view! { <th scope="col"><span class="visually-hidden">{tr(k)}</span></th> })}
        </tr></thead>
    }
}

#[component]
pub fn ProgressBar(#[prop(into)] value: Signal<f64>, #[prop(into)] label: Signal<String>) -> impl IntoView {
    view! {
        <div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100"
            aria-valuenow=move || format!("{:.0}", value.get() * 100.0) aria-label=move || label.get()>
            <div class="progress-fill" style:width=move || format!("{:.1}%", value.get().clamp(0.0, 1.0) * 100.0)></div>
        </div>
    }
}

/// Previous / "first–last of total" / Next, for any list shown `page` rows at a time.
#[component]
pub fn Pager(
    #[prop(into)] offset: Signal<i64>,
    #[prop(into)] on_page: Callback<i64>,
    page: i64,
    total: i64,
    /// The word between the range and the total ("de", "filas de").
    label: Key,
    #[prop(optional)] testid: &'static str,
) -> impl IntoView {
    view! {
        <div class="pager">
            <button class="btn" disabled=move || offset.get() == 0
                on:click=move |_| on_page.run((offset.get_untracked() - page).max(0))>{tr(Key::Previous)}</button>
            <span class="muted" data-testid=testid>
                {move || format!("{}–{}", offset.get() + 1, (offset.get() + page).min(total))}" "{tr(label)}" "
                {crate::format::fmt_int(total)}
            </span>
            <button class="btn" disabled=move || { offset.get() + page >= total }
                on:click=move |_| on_page.run(offset.get_untracked() + page)>{tr(Key::Next)}</button>
        </div>
    }
}
