//! Sign-in and the first-run page that creates the first administrator.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::{Login, SetupAdmin, needs_setup};
use crate::components::{ErrorNote, browser};
use crate::i18n::{Key, t, tr, use_locale};

const MIN_PASSWORD: usize = 10;

/// Counts characters as the user types: answered in the browser, so it also shows hydration works.
#[component]
fn PasswordField(#[prop(into)] autocomplete: String, check_length: bool) -> impl IntoView {
    let locale = use_locale();
    let value = RwSignal::new(String::new());
    let hint = move || {
        let n = value.with(|v| v.chars().count());
        let l = locale.get();
        if !check_length {
            return String::new();
        }
        if n >= MIN_PASSWORD {
            t(l, Key::PasswordOk).to_string()
        } else {
            t(l, Key::PasswordTooShort).replace("{n}", &(MIN_PASSWORD - n).to_string())
        }
    };
    view! {
        <label class="field">
            <span>{tr(Key::Password)}</span>
            <input type="password" name="password" required autocomplete=autocomplete
                bind:value=value/>
            <small class="hint" data-testid="password-hint" aria-live="polite">
                {move || if check_length { hint() } else { String::new() }}
            </small>
        </label>
    }
}

/// A path on this site: browsers read `//host` and `/\\host` as another site, and drop tabs and
/// newlines inside URLs, so only plain path characters are allowed.
fn is_local_path(next: &str) -> bool {
    next.starts_with('/')
        && !next.starts_with("//")
        && next.chars().all(|c| c.is_ascii_alphanumeric() || "/-_.~?=&%".contains(c))
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let setup = Resource::new(|| (), |_| needs_setup());
    let query = leptos_router::hooks::use_query_map();
    Effect::new(move || {
        // Only a path on this site: an open redirect would let a link send people elsewhere.
        let next = query.with_untracked(|q| q.get("next")).filter(|n| is_local_path(n));
        match login.value().get() {
            Some(Ok(user)) if user.must_change_password => browser::go("/account?change=1"),
            Some(Ok(_)) => browser::go(next.as_deref().unwrap_or("/datasets")),
            _ => {}
        }
    });
    view! {
        <section class="panel narrow auth">
            <h1>{tr(Key::SignInTitle)}</h1>
            <ActionForm action=login attr:class="form">
                <label class="field">
                    <span>{tr(Key::Username)}</span>
                    <input type="text" name="username" required autocomplete="username webauthn" autofocus/>
                </label>
                <PasswordField autocomplete="current-password" check_length=false/>
                <button class="btn btn-primary" type="submit" disabled=move || login.pending().get()>
                    {move || if login.pending().get() { tr(Key::SigningIn)() } else { tr(Key::SignIn)() }}
                </button>
            </ActionForm>
            {move || login.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
            <div class="or"><span>{tr(Key::Or)}</span></div>
            <button class="btn btn-wide" type="button" data-passkey="sign-in" data-testid="passkey-sign-in">
                <svg class="icon" aria-hidden="true" viewBox="0 0 24 24" width="18" height="18" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
                    <circle cx="7.5" cy="15.5" r="4.5"/><path d="M10.7 12.3 20 3M16 7l3 3M14 9l2 2"/>
                </svg>
                {tr(Key::SignInWithPasskey)}
            </button>
            <p class="note" data-passkey-status role="status" hidden></p>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    matches!(setup.await, Ok(true)).then(|| view! {
                        <p class="note"><A href="/setup">{tr(Key::SetupTitle)}</A></p>
                    })
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn SetupPage() -> impl IntoView {
    let setup = ServerAction::<SetupAdmin>::new();
    let open = Resource::new(|| (), |_| needs_setup());
    Effect::new(move || {
        if setup.value().get().is_some_and(|r| r.is_ok()) {
            browser::go("/datasets");
        }
    });
    view! {
        <section class="panel narrow auth">
            <h1>{tr(Key::SetupTitle)}</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match open.await {
                        Ok(false) => view! {
                            <p class="note" data-testid="setup-closed">{tr(Key::SetupDone)}" "<A href="/login">{tr(Key::SignIn)}</A></p>
                        }.into_any(),
                        _ => view! {
                            <p class="muted">{tr(Key::SetupIntro)}</p>
                            <ActionForm action=setup attr:class="form">
                                <label class="field">
                                    <span>{tr(Key::Username)}</span>
                                    <input type="text" name="username" required minlength="3" autocomplete="username"/>
                                </label>
                                <PasswordField autocomplete="new-password" check_length=true/>
                                <button class="btn btn-primary" type="submit" disabled=move || setup.pending().get()>
                                    {tr(Key::SetupSubmit)}
                                </button>
                            </ActionForm>
                        }.into_any(),
                    }
                })}
            </Suspense>
            {move || setup.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::is_local_path;

    #[test]
    fn only_plain_local_paths_are_followed_after_sign_in() {
        assert!(is_local_path("/account"));
        assert!(is_local_path("/datasets/1b2c?q=taxi"));
        for bad in ["//evil.example", "/\\evil.example", "/\tevil", "https://evil.example", "evil", "/%09/evil.example x", "/a b"] {
            assert!(!is_local_path(bad), "{bad}");
        }
    }
}
