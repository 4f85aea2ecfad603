//! Roles and their permissions: the built-in roles are shown read-only; custom roles are edited as a
//! set of permission checkboxes, saved or deleted as a whole.

use std::collections::BTreeSet;

use engine::auth::{PermissionInfo, RoleDraft, RoleInfo};
use leptos::prelude::*;

use super::AdminTabs;
use crate::api::{AdminDeleteRole, AdminSaveRole, admin_roles};
use crate::components::{ErrorNote, browser};
use crate::i18n::{Key, t, tr, use_locale};

#[component]
pub fn RolesPage() -> impl IntoView {
    let save = ServerAction::<AdminSaveRole>::new();
    let delete = ServerAction::<AdminDeleteRole>::new();
    let roles = Resource::new(move || (save.version().get(), delete.version().get()), |_| admin_roles());
    view! {
        <div class="stack">
            <AdminTabs/>
            <section class="panel">
                <h1>{tr(Key::Roles)}</h1>
                <p class="muted">{tr(Key::RolesHint)}</p>
                {move || save.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
                {move || delete.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
                <Transition fallback=move || view! { <p class="muted">{tr(Key::Loading)}</p> }>
                    {move || Suspend::new(async move {
                        match roles.await {
                            Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                            Ok((roles, perms)) => view! {
                                <div class="role-grid" data-testid="roles">
                                    {roles.into_iter().map(|r| view! { <RoleCard role=r perms=perms.clone() save delete/> }).collect_view()}
                                    <NewRoleCard perms save/>
                                </div>
                            }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        </div>
    }
}

/// Checkboxes for every permission, bound to `chosen`.
#[component]
fn PermissionChecks(perms: Vec<PermissionInfo>, chosen: RwSignal<BTreeSet<String>>, locked: bool) -> impl IntoView {
    let locale = crate::i18n::use_locale();
    view! {
        <ul class="checks perm-list">
            {perms.into_iter().map(|p| {
                let name = p.name.clone();
                let checked = { let name = name.clone(); move || chosen.with(|c| c.contains(&name)) };
                let text = { let (name, stored) = (name.clone(), p.description.clone());
                    move || super::audit_words::grant_text(&name, locale.get()).map(str::to_string).unwrap_or_else(|| stored.clone()) };
                let title = text.clone();
                view! {
                    <li><label class="check" title=title>
                        <input type="checkbox" disabled=locked prop:checked=checked on:change={
                            let name = name.clone();
                            move |ev| {
                                let on = event_target_checked(&ev);
                                chosen.update(|c| { if on { c.insert(name.clone()); } else { c.remove(&name); } });
                            }
                        }/>
                        <code>{p.name.clone()}</code>
                        <small class="muted">{text}</small>
                    </label></li>
                }
            }).collect_view()}
        </ul>
    }
}

#[component]
fn RoleCard(
    role: RoleInfo,
    perms: Vec<PermissionInfo>,
    save: ServerAction<AdminSaveRole>,
    delete: ServerAction<AdminDeleteRole>,
) -> impl IntoView {
    let locale = use_locale();
    let chosen = RwSignal::new(role.permissions.iter().cloned().collect::<BTreeSet<_>>());
    let description = RwSignal::new(role.description.clone());
    let name = role.name.clone();
    let system = role.is_system;
    let on_save = {
        let name = name.clone();
        move |_| {
            save.dispatch(AdminSaveRole { draft: RoleDraft {
                name: name.clone(),
                description: description.get_untracked(),
                permissions: chosen.get_untracked().into_iter().collect(),
                is_active: true,
            }});
        }
    };
    let on_delete = {
        let name = name.clone();
        move |_| {
            if browser::confirm(&t(locale.get_untracked(), Key::ConfirmDeleteRole).replace("{name}", &name)) {
                delete.dispatch(AdminDeleteRole { name: name.clone() });
            }
        }
    };
    view! {
        <article class="role-card panel-sub" data-role=name.clone()>
            <header class="title-row">
                <h3>{name.clone()}</h3>
                {system.then(|| view! { <span class="badge">{tr(Key::SystemRole)}</span> })}
                <span class="muted">{move || t(locale.get(), Key::Holders).replace("{n}", &role.holders.to_string())}</span>
            </header>
            {if system {
                let (role_name, stored) = (name.clone(), role.description.clone());
                view! { <p class="muted">{move || super::audit_words::grant_text(&role_name, locale.get()).map(str::to_string).unwrap_or_else(|| stored.clone())}</p> }.into_any()
            } else {
                view! { <input class="field-wide" type="text" bind:value=description aria-label=tr(Key::Description)/> }.into_any()
            }}
            <PermissionChecks perms chosen locked=system/>
            {(!system).then(|| view! {
                <div class="row-actions">
                    <button class="btn btn-primary" type="button" on:click=on_save.clone()>{tr(Key::Save)}</button>
                    <button class="btn btn-ghost" type="button" on:click=on_delete.clone()>{tr(Key::Delete)}</button>
                </div>
            })}
        </article>
    }
}

#[component]
fn NewRoleCard(perms: Vec<PermissionInfo>, save: ServerAction<AdminSaveRole>) -> impl IntoView {
    let chosen = RwSignal::new(BTreeSet::from(["dataset:read".to_string()]));
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(AdminSaveRole { draft: RoleDraft {
            name: name.get_untracked(),
            description: description.get_untracked(),
            permissions: chosen.get_untracked().into_iter().collect(),
            is_active: true,
        }});
    };
    view! {
        <form class="role-card panel-sub form" on:submit=submit data-testid="new-role-form">
            <h3>{tr(Key::NewRole)}</h3>
            <label class="field">
                <span>{tr(Key::Name)}</span>
                <input type="text" required pattern=r"[a-z0-9_\-]{2,40}" bind:value=name data-testid="role-name"/>
            </label>
            <label class="field">
                <span>{tr(Key::Description)}</span>
                <input type="text" bind:value=description/>
            </label>
            <PermissionChecks perms chosen locked=false/>
            <div class="actions"><button class="btn btn-primary" type="submit">{tr(Key::CreateRole)}</button></div>
        </form>
    }
}
