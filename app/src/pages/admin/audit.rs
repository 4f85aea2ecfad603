//! The audit log: newest first, filtered by who, what, outcome and since when, paged by "load more".

use crate::api::AppError;
use engine::auth::{AuditEntry, AuditQuery};
use leptos::prelude::*;

use super::{AdminTabs, end_of_day};
use crate::api::audit_log;
use crate::components::ErrorNote;
use crate::i18n::{Key, tr};

const PAGE: i64 = 100;

/// What the entry was about (the request's arguments, the sign-in method), shortened to `max`.
fn details(v: &serde_json::Value, max: usize) -> String {
    let shown = match v.get("args") {
        Some(args) => args.to_string(),
        None if v.as_object().is_some_and(|o| o.is_empty()) => String::new(),
        None => v.to_string(),
    };
    if shown.chars().count() > max { format!("{}…", shown.chars().take(max).collect::<String>()) } else { shown }
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let locale = crate::i18n::use_locale();
    let actor = RwSignal::new(String::new());
    let action = RwSignal::new(String::new());
    let outcome = RwSignal::new(String::new());
    let since = RwSignal::new(String::new());
    let entries = RwSignal::new(Vec::<AuditEntry>::new());
    let more = RwSignal::new(false);
    let error = RwSignal::new(None::<AppError>);
    let query = move |before: Option<i64>| AuditQuery {
        actor: Some(actor.get_untracked()).filter(|s| !s.is_empty()),
        action: Some(action.get_untracked()).filter(|s| !s.is_empty()),
        outcome: Some(outcome.get_untracked()).filter(|s| !s.is_empty()),
        // A day picked as "since" starts at its beginning.
        since: end_of_day(&since.get_untracked()).map(|d| d - chrono::Duration::seconds(86_399)),
        until: None,
        before,
        limit: Some(PAGE),
    };
    let load = Action::new(move |(q, append): &(AuditQuery, bool)| {
        let (q, append) = (q.clone(), *append);
        // The answer may come after the page is gone: the `try_` writes then do nothing.
        async move {
            match audit_log(q).await {
                Ok(page) => {
                    more.try_set(page.len() as i64 == PAGE);
                    if append {
                        entries.try_update(|e| e.extend(page));
                    } else {
                        entries.try_set(page);
                    }
                    error.try_set(None);
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
        }
    });
    Effect::new(move || { load.dispatch((query(None), false)); });
    let search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        load.dispatch((query(None), false));
    };
    let load_more = move |_| {
        let last = entries.with_untracked(|e| e.last().map(|x| x.id));
        load.dispatch((query(last), true));
    };
    view! {
        <div class="stack">
            <AdminTabs/>
            <section class="panel">
                <h1>{tr(Key::Audit)}</h1>
                <form class="filters form-grid" on:submit=search data-testid="audit-filters">
                    <label class="field"><span>{tr(Key::Who)}</span><input type="search" bind:value=actor/></label>
                    <label class="field"><span>{tr(Key::Action)}</span><input type="search" bind:value=action placeholder="sign_in, /api/v1/tokens…"/></label>
                    <label class="field"><span>{tr(Key::Outcome)}</span>
                        <select bind:value=outcome>
                            <option value="">{tr(Key::Any)}</option>
                            {["ok", "denied", "failed"].map(|o| view! { <option value=o>{move || super::audit_words::outcome_label(o, locale.get()).to_string()}</option> })}
                        </select>
                    </label>
                    <label class="field"><span>{tr(Key::Since)}</span><input type="date" bind:value=since/></label>
                    <div class="actions"><button class="btn btn-primary" type="submit">{tr(Key::Filter)}</button></div>
                </form>
                {move || error.get().map(|e| view! { <ErrorNote error=e/> })}
                <div class="table-wrap"><table class="table table-compact" data-testid="audit">
                    <thead><tr>
                        <th scope="col">{tr(Key::When)}</th>
                        <th scope="col">{tr(Key::Who)}</th>
                        <th scope="col">{tr(Key::Action)}</th>
                        <th scope="col">{tr(Key::Outcome)}</th>
                        <th scope="col" class="num">"HTTP"</th>
                        <th scope="col">{tr(Key::Address)}</th>
                        <th scope="col">{tr(Key::Details)}</th>
                    </tr></thead>
                    <tbody>
                        <For each=move || entries.get() key=|e| e.id let:e>
                            <tr>
                                <td class="nowrap">{e.at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                                <td>{e.actor_name.clone().unwrap_or_else(|| "—".into())}</td>
                                <td>{let action = e.action.clone(); move || match super::audit_words::action_label(&action, locale.get()) {
                                    Some(label) => view! { <span title=action.clone()>{label}</span> }.into_any(),
                                    None => view! { <code>{action.clone()}</code> }.into_any(),
                                }}</td>
                                <td><span class=format!("badge outcome-{}", e.outcome)>{let o = e.outcome.clone(); move || super::audit_words::outcome_label(&o, locale.get()).to_string()}</span></td>
                                <td class="num">{e.status.map(|s| s.to_string()).unwrap_or_default()}</td>
                                <td><code>{e.ip.clone().unwrap_or_default()}</code></td>
                                <td class="details">{
                                    let full = details(&e.details, usize::MAX);
                                    let short = details(&e.details, 60);
                                    if full == short { view! { <span>{short}</span> }.into_any() } else {
                                        view! { <details><summary>{short}</summary><pre class="code">{full}</pre></details> }.into_any()
                                    }
                                }</td>
                            </tr>
                        </For>
                    </tbody>
                </table></div>
                {move || (entries.with(|e| e.is_empty()) && !load.pending().get()).then(|| view! { <p class="muted">{tr(Key::NothingFound)}</p> })}
                {move || more.get().then(|| view! {
                    <button class="btn" type="button" on:click=load_more disabled=move || load.pending().get()>{tr(Key::LoadMore)}</button>
                })}
            </section>
        </div>
    }
}
