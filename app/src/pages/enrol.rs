//! An enrolment link from an admin: continue (the link is used once, on this click, so link previews
//! cannot spend it), then add a passkey or set a password.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::{ChangePassword, RedeemEnrolment};
use crate::components::{ErrorNote, browser, use_user};
use crate::i18n::{Key, tr};

#[component]
pub fn EnrolPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.with(|p| p.get("token").unwrap_or_default());
    let redeem = ServerAction::<RedeemEnrolment>::new();
    let password = ServerAction::<ChangePassword>::new();
    let user = use_user();
    Effect::new(move || {
        if password.value().get().is_some_and(|r| r.is_ok()) {
            browser::go("/datasets");
        }
    });
    // Signed in by the link: the header should say so.
    Effect::new(move || {
        if redeem.value().get().is_some_and(|r| r.is_ok())
            && let Some(u) = user
        {
            u.refetch();
        }
    });
    view! {
        <section class="panel narrow auth">
            <h1>{tr(Key::EnrolTitle)}</h1>
            {move || match redeem.value().get() {
                None => view! {
                    <p class="muted">{tr(Key::EnrolIntro)}</p>
                    <button class="btn btn-primary" type="button" data-testid="enrol-continue" disabled=move || redeem.pending().get()
                        on:click=move |_| { redeem.dispatch(RedeemEnrolment { token: token() }); }>{tr(Key::Continue)}</button>
                }.into_any(),
                Some(Err(e)) => view! { <ErrorNote error=e/> }.into_any(),
                Some(Ok(user)) => view! {
                    <p data-testid="enrol-welcome">{tr(Key::Welcome)}" "<strong>{user.username}</strong></p>
                    <h2>{tr(Key::AddPasskey)}</h2>
                    <div class="form">
                        <input type="text" id="passkey-name" maxlength="100" value="Passkey" aria-label=tr(Key::PasskeyName)/>
                        <button class="btn btn-primary" type="button" data-passkey="register" data-passkey-next="/datasets">{tr(Key::AddPasskey)}</button>
                        <p class="note" data-passkey-status role="status" hidden></p>
                    </div>
                    <div class="or"><span>{tr(Key::Or)}</span></div>
                    <h2>{tr(Key::SetPassword)}</h2>
                    <ActionForm action=password attr:class="form">
                        <input type="hidden" name="current" value=""/>
                        <label class="field">
                            <span>{tr(Key::NewPassword)}</span>
                            <input type="password" name="new" required minlength="10" autocomplete="new-password"/>
                            <small class="hint">{tr(Key::PasswordPolicy)}</small>
                        </label>
                        <button class="btn" type="submit">{tr(Key::SetPassword)}</button>
                    </ActionForm>
                    {move || password.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
                }.into_any(),
            }}
        </section>
    }
}
