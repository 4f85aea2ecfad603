//! Sharing a report: the roles that may run it (and change it), and links that open it without an
//! account — with an expiry, a password, values fixed for their viewers and whether they export.
//! A link's address is shown once, when it is made or rotated; revoke and rotate act at once.

use engine::reports::{LinkInfo, NewLink, Report, ReportGrant};
use leptos::prelude::*;
use serde_json::Map;

use super::parts::{parameters_of, value_of};
use crate::api::{AppError, CreateReportLink, RevokeReportLink, RotateReportLink, SetReportGrants, get_report_links};
use crate::components::{ErrorNote, TableHead};
use crate::format::fmt_time;
use crate::i18n::{Key, tr};

const ROLES: [&str; 2] = ["analyst", "viewer"];

#[component]
pub fn SharePanel(report: Report) -> impl IntoView {
    let id = report.id;
    let grants = RwSignal::new(report.grants.clone());
    let save_grants = ServerAction::<SetReportGrants>::new();
    let create = ServerAction::<CreateReportLink>::new();
    let revoke = ServerAction::<RevokeReportLink>::new();
    let rotate = ServerAction::<RotateReportLink>::new();
    let links = Resource::new(move || (create.version().get(), revoke.version().get(), rotate.version().get()), move |_| get_report_links(id));
    let toggle = move |role: &'static str, on: bool| {
        grants.update(|g| if on { g.push(ReportGrant { role: role.into(), can_edit: false }) } else { g.retain(|x| x.role != role) });
        save_grants.dispatch(SetReportGrants { id, grants: grants.get_untracked() });
    };
    let parameters: Vec<(String, engine::reports::Operator)> = parameters_of(&report.spec).into_iter().map(|(f, o, _)| (f, o)).collect();
    let locked = RwSignal::new(parameters.iter().map(|(f, _)| (f.clone(), String::new())).collect::<Vec<_>>());
    let days = RwSignal::new(30u32);
    let password = RwSignal::new(String::new());
    let allow_export = RwSignal::new(false);
    let ops = StoredValue::new(parameters.clone());
    let make = move |_| {
        let mut fixed = Map::new();
        for (f, text) in locked.get_untracked() {
            let op = ops.with_value(|o| o.iter().find(|(n, _)| *n == f).map(|(_, o)| *o)).unwrap_or(engine::reports::Operator::Eq);
            let v = value_of("text", op, &text);
            if !v.is_null() {
                fixed.insert(f, v);
            }
        }
        let expires_at = (days.get_untracked() > 0).then(|| chrono::Utc::now() + chrono::Duration::days(i64::from(days.get_untracked())));
        let req = NewLink { expires_at, password: Some(password.get_untracked()).filter(|p| !p.is_empty()), locked: fixed, allow_export: allow_export.get_untracked() };
        create.dispatch(CreateReportLink { id, req });
        password.set(String::new());
    };
    // The address made last (created or rotated), shown once.
    let fresh = move || {
        let made = create.value().get().and_then(|r| r.ok()).map(|c| c.url);
        let rotated = rotate.value().get().and_then(|r| r.ok()).map(|t| t.url);
        rotated.or(made)
    };
    let origin = move || {
        #[cfg(feature = "hydrate")]
        if let Some(o) = leptos::web_sys::window().and_then(|w| w.location().origin().ok()) {
            return o;
        }
        String::new()
    };
    view! {
        <section class="panel" aria-labelledby="share-title">
            <h2 id="share-title">{tr(Key::Share)}</h2>
            <fieldset class="field">
                <legend>{tr(Key::RolesMayRun)}</legend>
                {ROLES.into_iter().map(|role| view! {
                    <label class="check">
                        <input type="checkbox" data-testid=format!("grant-{role}") prop:checked=move || grants.with(|g| g.iter().any(|x| x.role == role))
                            on:change=move |ev| toggle(role, event_target_checked(&ev))/>
                        <span>{role}</span>
                    </label>
                }).collect_view()}
            </fieldset>
            {move || save_grants.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}

            <h3>{tr(Key::SharedLinks)}</h3>
            <div class="form form-grid" data-testid="new-link">
                <label class="field">
                    <span>{tr(Key::Expires)}</span>
                    <select data-testid="link-days" on:change=move |ev| days.set(event_target_value(&ev).parse().unwrap_or(0))>
                        {[(1u32, "1"), (7, "7"), (30, "30"), (90, "90"), (0, "∞")].into_iter().map(|(d, l)| view! { <option value=d.to_string() selected=d == 30>{l}</option> }).collect_view()}
                    </select>
                </label>
                <label class="field">
                    <span>{tr(Key::LinkPassword)}</span>
                    <input type="password" autocomplete="new-password" minlength="8" data-testid="link-password" prop:value=password on:input=move |ev| password.set(event_target_value(&ev))/>
                </label>
                {parameters.iter().enumerate().map(|(i, (f, _))| view! {
                    <label class="field">
                        <span>{tr(Key::LockValue)}" "<code>{f.clone()}</code></span>
                        <input type="text" data-testid=format!("lock-{f}") prop:value=move || locked.with(|l| l[i].1.clone())
                            on:input=move |ev| { let v = event_target_value(&ev); locked.update(|l| l[i].1 = v); }/>
                    </label>
                }).collect_view()}
                <label class="check">
                    <input type="checkbox" data-testid="link-export" prop:checked=allow_export on:change=move |ev| allow_export.set(event_target_checked(&ev))/>
                    <span>{tr(Key::AllowExport)}</span>
                </label>
                <div class="actions"><button class="btn btn-primary" type="button" data-testid="create-link" disabled=move || create.pending().get() on:click=make>{tr(Key::CreateLink)}</button></div>
            </div>
            {move || create.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
            {move || fresh().map(|url| {
                let full = format!("{}{url}", origin());
                view! {
                    <div class="note note-ok" role="status" data-testid="link-made">
                        <p>{tr(Key::LinkShownOnce)}</p>
                        <input type="text" readonly class="code wide" data-testid="link-url" prop:value=full.clone()/>
                    </div>
                }
            })}
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match links.await {
                        Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                        Ok(ls) => view! { <LinksTable links=ls revoke rotate/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
pub fn LinksTable(links: Vec<LinkInfo>, revoke: ServerAction<RevokeReportLink>, rotate: ServerAction<RotateReportLink>, #[prop(optional)] with_report: bool) -> impl IntoView {
    if links.is_empty() {
        return view! { <p class="muted" data-testid="no-links">{tr(Key::NoLinks)}</p> }.into_any();
    }
    let mut cols = vec![Key::Created, Key::Expires, Key::LockedValues, Key::Opens, Key::LastOpen, Key::Status];
    if with_report {
        cols.insert(0, Key::NavReports);
        cols.insert(1, Key::Owner);
    }
    view! {
        <div class="table-wrap"><table class="table" data-testid="links">
            <TableHead cols actions=Key::Actions/>
            <tbody>
                {links.into_iter().map(|l| {
                    let lid = l.id;
                    let locked = l.locked.iter().map(|(k, v)| format!("{k} = {v}")).collect::<Vec<_>>().join(", ");
                    view! {
                        <tr data-testid="link-row">
                            {with_report.then(|| view! { <td><a href=format!("/reports/{}", l.report_id)>{l.report_name.clone()}</a></td><td>{l.owner.clone()}</td> })}
                            <td>{fmt_time(&l.created_at)}</td>
                            <td>{l.expires_at.as_ref().map(fmt_time).unwrap_or_else(|| "∞".into())}</td>
                            <td>
                                <code>{locked}</code>
                                {l.protected.then(|| view! { " "<span class="chip">{tr(Key::Password)}</span> })}
                                {l.allow_export.then(|| view! { " "<span class="chip">"CSV · XLSX"</span> })}
                            </td>
                            <td>{l.opens}</td>
                            <td>{l.last_open_at.as_ref().map(fmt_time).unwrap_or_default()}</td>
                            <td><span class=if l.active { "status status-succeeded" } else { "status status-failed" } data-testid="link-status">{tr(if l.active { Key::Active } else { Key::Inactive })}</span></td>
                            <td class="row-actions">
                                {l.active.then(|| view! {
                                    <button class="btn btn-ghost" data-testid="rotate-link" on:click=move |_| { rotate.dispatch(RotateReportLink { link: lid }); }>{tr(Key::Rotate)}</button>
                                    <button class="btn btn-ghost" data-testid="revoke-link" on:click=move |_| { revoke.dispatch(RevokeReportLink { link: lid }); }>{tr(Key::Revoke)}</button>
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table></div>
        {move || revoke.value().get().and_then(|r| r.err()).or_else(|| rotate.value().get().and_then(|r| r.err())).map(|e: AppError| view! { <ErrorNote error=e/> })}
    }
    .into_any()
}
