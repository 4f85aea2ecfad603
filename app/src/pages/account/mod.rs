//! My account: password, where I am signed in (sign out one session, the others, or everywhere), and
//! personal API tokens (shown once at creation).

mod passkeys;

use engine::auth::TokenScope;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::{ChangePassword, CreateToken, EndAllSessions, EndSession, RevokeToken, my_sessions, my_tokens};
use crate::components::{ErrorNote, TableHead, browser, use_user};
use crate::i18n::{Key, t, tr, use_locale};

#[component]
pub fn AccountPage() -> impl IntoView {
    view! {
        <div class="stack">
            <PasswordPanel/>
            <passkeys::PasskeysPanel/>
            <SessionsPanel/>
            <TokensPanel/>
        </div>
    }
}

#[component]
fn PasswordPanel() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let query = use_query_map();
    let forced = move || query.with(|q| q.get("change").is_some());
    let user = use_user();
    Effect::new(move || {
        if change.value().get().is_some_and(|r| r.is_ok()) && forced() {
            browser::go("/datasets");
        } else if change.value().get().is_some_and(|r| r.is_ok())
            && let Some(u) = user
        {
            u.refetch();
        }
    });
    view! {
        <section class="panel" aria-labelledby="password-title">
            <h1 id="password-title">{tr(Key::AccountTitle)}</h1>
            {move || forced().then(|| view! { <p class="note note-warn" data-testid="must-change">{tr(Key::MustChangePassword)}</p> })}
            <h2>{tr(Key::ChangePassword)}</h2>
            <ActionForm action=change attr:class="form form-grid">
                <label class="field">
                    <span>{tr(Key::CurrentPassword)}</span>
                    <input type="password" name="current" autocomplete="current-password"/>
                </label>
                <label class="field">
                    <span>{tr(Key::NewPassword)}</span>
                    <input type="password" name="new" required minlength="10" autocomplete="new-password"/>
                    <small class="hint">{tr(Key::PasswordPolicy)}</small>
                </label>
                <div class="actions">
                    <button class="btn btn-primary" type="submit" disabled=move || change.pending().get()>{tr(Key::ChangePassword)}</button>
                </div>
            </ActionForm>
            {move || change.value().get().map(|r| match r {
                Ok(()) => view! { <p class="note" role="status" data-testid="password-changed">{tr(Key::PasswordChanged)}</p> }.into_any(),
                Err(e) => view! { <ErrorNote error=e/> }.into_any(),
            })}
        </section>
    }
}

#[component]
fn SessionsPanel() -> impl IntoView {
    let locale = use_locale();
    let end_one = ServerAction::<EndSession>::new();
    let end_all = ServerAction::<EndAllSessions>::new();
    let sessions = Resource::new(move || (end_one.version().get(), end_all.version().get()), |_| my_sessions());
    // "Everywhere" signs this browser out too: once the server has done it, go to sign-in.
    let leaving = RwSignal::new(false);
    Effect::new(move || {
        if leaving.get() && end_all.value().get().is_some_and(|r| r.is_ok()) {
            browser::go("/login");
        }
    });
    let everywhere = move |_| {
        if browser::confirm(t(locale.get_untracked(), Key::ConfirmSignOutEverywhere)) {
            leaving.set(true);
            end_all.dispatch(EndAllSessions { everywhere: true });
        }
    };
    view! {
        <section class="panel" aria-labelledby="sessions-title">
            <div class="title-row">
                <h2 id="sessions-title">{tr(Key::SessionsTitle)}</h2>
                <div class="row-actions">
                    <button class="btn btn-ghost" data-testid="sign-out-others" on:click=move |_| { end_all.dispatch(EndAllSessions { everywhere: false }); }>
                        {tr(Key::SignOutOthers)}
                    </button>
                    <button class="btn" data-testid="sign-out-everywhere" on:click=everywhere>{tr(Key::SignOutEverywhere)}</button>
                </div>
            </div>
            <p class="muted">{tr(Key::SessionsHint)}</p>
            <Transition fallback=move || view! { <p class="muted">{tr(Key::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match sessions.await {
                        Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                        Ok(list) => view! {
                            <div class="table-wrap"><table class="table table-compact" data-testid="sessions">
                                <TableHead cols=vec![Key::Device, Key::SignInMethod, Key::Address, Key::SignedInAt, Key::LastSeen] actions=Key::SignOut/>
                                <tbody>
                                    {list.into_iter().map(|s| {
                                        let id = s.id;
                                        view! {
                                            <tr class:current=s.current>
                                                <td>{browser::describe_agent(s.user_agent.as_deref().unwrap_or_default())}</td>
                                                <td>{method_label(&s.method, s.passkey_name.clone())}</td>
                                                <td><code>{s.ip.unwrap_or_default()}</code></td>
                                                <td>{crate::format::fmt_time(&s.created_at)}</td>
                                                <td>{crate::format::fmt_time(&s.last_seen_at)}</td>
                                                <td>{if s.current {
                                                    view! { <span class="badge" data-testid="this-session">{tr(Key::ThisSession)}</span> }.into_any()
                                                } else {
                                                    view! { <button class="btn btn-ghost" data-testid="end-session" on:click=move |_| { end_one.dispatch(EndSession { id }); }>{tr(Key::SignOut)}</button> }.into_any()
                                                }}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table></div>
                        }.into_any(),
                    }
                })}
            </Transition>
            {move || end_one.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
            {move || end_all.value().get().map(|r| match r {
                Ok(n) => view! { <p class="note" role="status">{t(locale.get(), Key::SessionsEnded).replace("{n}", &n.to_string())}</p> }.into_any(),
                Err(e) => view! { <ErrorNote error=e/> }.into_any(),
            })}
        </section>
    }
}

fn scope_key(scope: TokenScope) -> Key {
    match scope {
        TokenScope::Read => Key::ScopeRead,
        TokenScope::Write => Key::ScopeWrite,
        TokenScope::Admin => Key::ScopeAdmin,
    }
}

#[component]
fn TokensPanel() -> impl IntoView {
    let locale = use_locale();
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let tokens = Resource::new(move || (create.version().get(), revoke.version().get()), |_| my_tokens());
    let name = RwSignal::new(String::new());
    let days = RwSignal::new(String::from("90"));
    // Least power by default: a token that only reads.
    let scope = RwSignal::new(String::from("read"));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let expires_in_days = days.get_untracked().parse::<u32>().ok().filter(|d| *d > 0);
        let scope = TokenScope::parse(&scope.get_untracked()).unwrap_or_default();
        create.dispatch(CreateToken { name: name.get_untracked(), expires_in_days, scope });
        name.set(String::new());
    };
    view! {
        <section class="panel" aria-labelledby="tokens-title">
            <h2 id="tokens-title">{tr(Key::TokensTitle)}</h2>
            <p class="muted">{tr(Key::TokensHint)}" "<code>"Authorization: Bearer dgs_…"</code></p>
            <form class="form form-grid" on:submit=submit>
                <label class="field">
                    <span>{tr(Key::Name)}</span>
                    <input type="text" name="name" required maxlength="100" bind:value=name data-testid="token-name"/>
                </label>
                <label class="field">
                    <span>{tr(Key::Expires)}</span>
                    <select bind:value=days data-testid="token-expiry">
                        <option value="7">{move || t(locale.get(), Key::InDays).replace("{n}", "7")}</option>
                        <option value="30">{move || t(locale.get(), Key::InDays).replace("{n}", "30")}</option>
                        <option value="90">{move || t(locale.get(), Key::InDays).replace("{n}", "90")}</option>
                        <option value="365">{move || t(locale.get(), Key::InDays).replace("{n}", "365")}</option>
                        <option value="0">{tr(Key::Never)}</option>
                    </select>
                </label>
                <label class="field">
                    <span>{tr(Key::TokenScope)}</span>
                    <select bind:value=scope data-testid="token-scope">
                        <option value="read">{tr(Key::ScopeRead)}</option>
                        <option value="write">{tr(Key::ScopeWrite)}</option>
                        <option value="admin">{tr(Key::ScopeAdmin)}</option>
                    </select>
                </label>
                <div class="actions">
                    <button class="btn btn-primary" type="submit" disabled=move || create.pending().get()>{tr(Key::CreateToken)}</button>
                </div>
            </form>
            {move || create.value().get().map(|r| match r {
                Ok(t_) => {
                    let secret = t_.token.clone();
                    view! {
                        <div class="note note-warn secret" role="status" data-testid="new-token">
                            <p><strong>{tr(Key::TokenShownOnce)}</strong></p>
                            <p><code class="code" data-testid="token-secret">{t_.token.clone()}</code></p>
                            <button class="btn" type="button" on:click=move |_| { browser::copy_text(&secret); }>{tr(Key::Copy)}</button>
                        </div>
                    }.into_any()
                }
                Err(e) => view! { <ErrorNote error=e/> }.into_any(),
            })}
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="muted">{tr(Key::NoTokens)}</p> }.into_any(),
                        Ok(list) => view! {
                            <div class="table-wrap"><table class="table table-compact" data-testid="tokens">
                                <TableHead cols=vec![Key::Name, Key::Token, Key::TokenScope, Key::Created, Key::Expires, Key::LastUsed, Key::Status] actions=Key::Revoke/>
                                <tbody>
                                    {list.into_iter().map(|tk| {
                                        let id = tk.id;
                                        let expired = tk.expires_at.is_some_and(|e| e <= chrono::Utc::now());
                                        let live = tk.revoked_at.is_none() && !expired;
                                        let status = if tk.revoked_at.is_some() { Key::Revoked } else if expired { Key::Expired } else { Key::Active };
                                        view! {
                                            <tr>
                                                <td>{tk.name.clone()}</td>
                                                <td><code>{format!("{}…", tk.prefix)}</code></td>
                                                <td>{tr(scope_key(tk.scope))}</td>
                                                <td>{tk.created_at.format("%Y-%m-%d").to_string()}</td>
                                                <td>{tk.expires_at.map(|e| e.format("%Y-%m-%d").to_string()).unwrap_or_else(|| "—".into())}</td>
                                                <td>{tk.last_used_at.as_ref().map(crate::format::fmt_time).unwrap_or_else(|| "—".into())}</td>
                                                <td><span class="badge" class:badge-off=!live>{tr(status)}</span></td>
                                                <td>{live.then(|| view! {
                                                    <button class="btn btn-ghost" data-testid="revoke-token" on:click=move |_| {
                                                        if browser::confirm(t(locale.get_untracked(), Key::ConfirmRevokeToken)) {
                                                            revoke.dispatch(RevokeToken { id });
                                                        }
                                                    }>{tr(Key::Revoke)}</button>
                                                })}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table></div>
                        }.into_any(),
                    }
                })}
            </Transition>
            {move || revoke.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
        </section>
    }
}

/// How a session was opened, in the reader's language ("llave de acceso · YubiKey").
fn method_label(method: &str, passkey: Option<String>) -> impl Fn() -> String + Send + Sync + 'static + use<> {
    let locale = crate::i18n::use_locale();
    let method = method.to_string();
    move || {
        let es = locale.get() == crate::i18n::Locale::Es;
        let word = match (method.as_str(), es) {
            ("password", true) => "contraseña",
            ("password", false) => "password",
            ("passkey", true) => "llave de acceso",
            ("passkey", false) => "passkey",
            ("setup", true) => "alta del administrador",
            ("setup", false) => "administrator set-up",
            ("enrolment", true) => "enlace de alta",
            ("enrolment", false) => "enrolment link",
            (other, _) => other,
        };
        match &passkey {
            Some(name) => format!("{} · {name}", if es { "llave de acceso" } else { "passkey" }),
            None => word.to_string(),
        }
    }
}
