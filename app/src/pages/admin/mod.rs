//! Administration: users (create, deactivate, reset, roles with expiry), roles and their permissions,
//! and the audit log. The server refuses all of it to anyone without `user:admin` / `audit:read`.

use chrono::{NaiveDate, TimeZone, Utc};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::{
    AdminAssignRole, AdminCreateUser, AdminEnrolmentLink, AdminResetPassword, AdminSetActive, AdminUnassignRole, AdminUnlockUser, admin_roles,
    admin_users,
};
use crate::components::{ErrorNote, TableHead, browser};
use crate::i18n::{Key, t, tr, use_locale};

mod audit;
mod audit_words;
mod roles;

pub use audit::AuditPage;
pub use roles::RolesPage;

/// The tabs above every admin page.
#[component]
pub fn AdminTabs() -> impl IntoView {
    view! {
        <nav class="tabs" aria-label="admin">
            <A href="/admin/users" attr:class="tab">{tr(Key::Users)}</A>
            <A href="/admin/roles" attr:class="tab">{tr(Key::Roles)}</A>
            <A href="/admin/audit" attr:class="tab">{tr(Key::Audit)}</A>
        </nav>
    }
}

/// The end of the chosen day, in UTC: an assignment "until 2026-12-31" lasts through that day.
pub fn end_of_day(date: &str) -> Option<chrono::DateTime<Utc>> {
    let d = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").ok()?;
    Utc.from_local_datetime(&d.and_hms_opt(23, 59, 59)?).single()
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let locale = use_locale();
    let create = ServerAction::<AdminCreateUser>::new();
    let set_active = ServerAction::<AdminSetActive>::new();
    let assign = ServerAction::<AdminAssignRole>::new();
    let unassign = ServerAction::<AdminUnassignRole>::new();
    let reset = ServerAction::<AdminResetPassword>::new();
    let link = ServerAction::<AdminEnrolmentLink>::new();
    let unlock = ServerAction::<AdminUnlockUser>::new();
    let users = Resource::new(
        move || (create.version().get(), set_active.version().get(), assign.version().get(), unassign.version().get(), reset.version().get(), unlock.version().get()),
        |_| admin_users(),
    );
    // Role names fill the selects; a signal (set once loaded) so every row's select follows it.
    let role_names = RwSignal::new(Vec::<String>::new());
    let roles = Resource::new(|| (), |_| admin_roles());
    Effect::new(move || {
        if let Some(Ok((list, _))) = roles.get() {
            role_names.set(list.into_iter().map(|r| r.name).collect());
        }
    });
    let role_names = move || role_names.get();
    view! {
        <div class="stack">
            <AdminTabs/>
            <section class="panel" aria-labelledby="new-user-title">
                <h1 id="new-user-title">{tr(Key::Users)}</h1>
                <h2>{tr(Key::NewUser)}</h2>
                <ActionForm action=create attr:class="form form-grid">
                    <label class="field">
                        <span>{tr(Key::Username)}</span>
                        <input type="text" name="username" required minlength="3" autocomplete="off" data-testid="new-username"/>
                    </label>
                    // The whole select inside the boundary: markers inside a <select> break hydration.
                    <Transition fallback=|| view! { <RoleSelect names=vec!["analyst".to_string()]/> }>
                        {move || Suspend::new(async move {
                            let names = roles.await.map(|(list, _)| list.into_iter().map(|r| r.name).collect()).unwrap_or_default();
                            view! { <RoleSelect names/> }
                        })}
                    </Transition>
                    <label class="field">
                        <span>{tr(Key::InitialPassword)}</span>
                        <input type="password" name="password" autocomplete="new-password"/>
                        <small class="hint">{tr(Key::InitialPasswordHint)}</small>
                    </label>
                    <div class="actions">
                        <button class="btn btn-primary" type="submit" data-testid="create-user" disabled=move || create.pending().get()>{tr(Key::CreateUser)}</button>
                    </div>
                </ActionForm>
                {move || create.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
            </section>
            {move || link.value().get().map(|r| match r {
                Ok(l) => {
                    let url = format!("{}{}", browser::origin(), l.path);
                    let copy = url.clone();
                    view! {
                        <div class="note note-warn secret" role="status" data-testid="new-enrolment-link">
                            <p><strong>{tr(Key::EnrolmentLink)}</strong>" · "{tr(Key::EnrolmentLinkHint)}</p>
                            <p><code class="code">{url}</code></p>
                            <button class="btn" type="button" on:click=move |_| { browser::copy_text(&copy); }>{tr(Key::Copy)}</button>
                        </div>
                    }.into_any()
                }
                Err(e) => view! { <ErrorNote error=e/> }.into_any(),
            })}
            <section class="panel" aria-labelledby="users-title">
                <h2 id="users-title">{tr(Key::Accounts)}</h2>
                <Transition fallback=move || view! { <p class="muted">{tr(Key::Loading)}</p> }>
                    {move || Suspend::new(async move {
                        match users.await {
                            Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                            Ok(list) => view! {
                                <div class="table-wrap"><table class="table" data-testid="users">
                                    <TableHead cols=vec![Key::Username, Key::Roles, Key::Credentials, Key::LastSeen, Key::Status] actions=Key::Manage/>
                                    <tbody>
                                        {list.into_iter().map(|u| {
                                            let id = u.id;
                                            let active = u.is_active;
                                            let chosen_role = RwSignal::new(String::new());
                                            let until = RwSignal::new(String::new());
                                            let temp = RwSignal::new(String::new());
                                            view! {
                                                <tr class:inactive=!active data-user=u.username.clone()>
                                                    <td><strong>{u.username.clone()}</strong>
                                                        {u.must_change_password.then(|| view! { <span class="badge badge-warn">{tr(Key::MustChange)}</span> })}
                                                    </td>
                                                    <td><div class="chips">
                                                        {u.roles.iter().cloned().map(|r| {
                                                            let role = r.clone();
                                                            view! {
                                                                <span class="chip">{r.clone()}
                                                                    <button class="chip-x" type="button" aria-label=move || format!("{} {}", t(locale.get(), Key::Remove), role)
                                                                        on:click={
                                                                            let role = r.clone();
                                                                            move |_| { unassign.dispatch(AdminUnassignRole { user_id: id, role: role.clone() }); }
                                                                        }>"×"</button>
                                                                </span>
                                                            }
                                                        }).collect_view()}
                                                    </div></td>
                                                    <td>
                                                        {if u.has_password { tr(Key::PasswordWord)() } else { "—" }}
                                                        {(u.passkeys > 0).then(|| view! { " · "{u.passkeys}" "{tr(Key::PasskeysLower)} })}
                                                    </td>
                                                    <td>{u.last_seen_at.as_ref().map(crate::format::fmt_time).unwrap_or_else(|| "—".into())}</td>
                                                    <td><span class="badge" class:badge-off=!active>{if active { tr(Key::Active)() } else { tr(Key::Inactive)() }}</span>
                                                        {u.locked_until.map(|until| view! {
                                                            <span class="badge badge-warn" data-testid="locked">{tr(Key::LockedUntil)}" "{crate::format::fmt_time(&until)}</span>
                                                            <button class="btn btn-ghost" type="button" data-testid="unlock" on:click=move |_| { unlock.dispatch(AdminUnlockUser { user_id: id }); }>{tr(Key::Unlock)}</button>
                                                        })}
                                                    </td>
                                                    <td>
                                                        <details class="manage">
                                                            <summary class="btn btn-ghost">{tr(Key::Manage)}</summary>
                                                            <div class="manage-body stack-sm">
                                                                <form class="field-inline" on:submit=move |ev: leptos::ev::SubmitEvent| {
                                                                    ev.prevent_default();
                                                                    let role = chosen_role.get_untracked();
                                                                    if role.is_empty() { return; }
                                                                    assign.dispatch(AdminAssignRole { user_id: id, role, expires_at: end_of_day(&until.get_untracked()) });
                                                                }>
                                                                    <select bind:value=chosen_role aria-label=tr(Key::Role) data-testid="assign-role">
                                                                        <option value="">{tr(Key::AddRole)}</option>
                                                                        {move || role_names().into_iter().map(|r| view! { <option value=r.clone()>{r.clone()}</option> }).collect_view()}
                                                                    </select>
                                                                    <label class="field-inline"><span>{tr(Key::Until)}</span>
                                                                        <input type="date" bind:value=until/>
                                                                    </label>
                                                                    <button class="btn" type="submit">{tr(Key::Assign)}</button>
                                                                </form>
                                                                <form class="field-inline" on:submit=move |ev: leptos::ev::SubmitEvent| {
                                                                    ev.prevent_default();
                                                                    reset.dispatch(AdminResetPassword { user_id: id, temporary: temp.get_untracked() });
                                                                    temp.set(String::new());
                                                                }>
                                                                    <input type="password" bind:value=temp minlength="10" required autocomplete="new-password"
                                                                        placeholder=move || t(locale.get(), Key::TemporaryPassword)/>
                                                                    <button class="btn" type="submit">{tr(Key::ResetPassword)}</button>
                                                                </form>
                                                                <button class="btn" type="button" data-testid="enrolment-link"
                                                                    on:click=move |_| { link.dispatch(AdminEnrolmentLink { user_id: id }); }>{tr(Key::EnrolmentLink)}</button>
                                                                <button class="btn btn-ghost" type="button" data-testid="toggle-active" on:click=move |_| {
                                                                    let key = if active { Key::ConfirmDeactivate } else { Key::ConfirmActivate };
                                                                    if browser::confirm(t(locale.get_untracked(), key)) {
                                                                        set_active.dispatch(AdminSetActive { user_id: id, active: !active });
                                                                    }
                                                                }>{if active { tr(Key::Deactivate)() } else { tr(Key::Activate)() }}</button>
                                                            </div>
                                                        </details>
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table></div>
                            }.into_any(),
                        }
                    })}
                </Transition>
                {move || {
                    let errors = [set_active.value().get().and_then(|r| r.err()), assign.value().get().and_then(|r| r.err()),
                                  unassign.value().get().and_then(|r| r.err()), reset.value().get().and_then(|r| r.err())];
                    errors.into_iter().flatten().map(|e| view! { <ErrorNote error=e/> }).collect_view()
                }}
                {move || reset.value().get().and_then(|r| r.ok()).map(|_| view! { <p class="note" role="status">{tr(Key::PasswordResetDone)}</p> })}
            </section>
        </div>
    }
}

/// The role a new account starts with; analyst is preselected.
#[component]
fn RoleSelect(names: Vec<String>) -> impl IntoView {
    view! {
        <label class="field">
            <span>{tr(Key::Role)}</span>
            <select name="role" data-testid="new-role">
                {names.into_iter().map(|name| {
                    let selected = name == "analyst";
                    view! { <option value=name.clone() selected=selected>{name.clone()}</option> }
                }).collect_view()}
            </select>
        </label>
    }
}
