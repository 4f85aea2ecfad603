//! My passkeys: add one (the ceremony runs in `public/passkeys.js`), rename, remove.

use leptos::prelude::*;

use crate::api::{RemovePasskey, RenamePasskey, my_passkeys};
use crate::components::{ErrorNote, TableHead, browser};
use crate::i18n::{Key, t, tr, use_locale};

#[component]
pub fn PasskeysPanel() -> impl IntoView {
    let locale = use_locale();
    let rename = ServerAction::<RenamePasskey>::new();
    let remove = ServerAction::<RemovePasskey>::new();
    let keys = Resource::new(move || (rename.version().get(), remove.version().get()), |_| my_passkeys());
    view! {
        <section class="panel" aria-labelledby="passkeys-title">
            <h2 id="passkeys-title">{tr(Key::PasskeysTitle)}</h2>
            <p class="muted">{tr(Key::PasskeysHint)}</p>
            <div class="form form-grid">
                <label class="field">
                    <span>{tr(Key::PasskeyName)}</span>
                    <input type="text" id="passkey-name" maxlength="100" data-testid="passkey-name"
                        placeholder=move || t(locale.get(), Key::PasskeyNameExample)/>
                </label>
                <div class="actions">
                    <button class="btn btn-primary" type="button" data-passkey="register" data-testid="add-passkey">{tr(Key::AddPasskey)}</button>
                </div>
            </div>
            <p class="note" data-passkey-status role="status" hidden></p>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match keys.await {
                        Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="muted" data-testid="no-passkeys">{tr(Key::NoPasskeys)}</p> }.into_any(),
                        Ok(list) => view! {
                            <div class="table-wrap"><table class="table table-compact" data-testid="passkeys">
                                <TableHead cols=vec![Key::Name, Key::Created, Key::LastUsed, Key::Synced] actions=Key::Manage/>
                                <tbody>
                                    {list.into_iter().map(|k| {
                                        let id = k.id;
                                        let name = RwSignal::new(k.name.clone());
                                        view! {
                                            <tr>
                                                <td>
                                                    <form class="field-inline" on:submit=move |ev: leptos::ev::SubmitEvent| {
                                                        ev.prevent_default();
                                                        rename.dispatch(RenamePasskey { id, name: name.get_untracked() });
                                                    }>
                                                        <input type="text" bind:value=name maxlength="100" aria-label=tr(Key::PasskeyName)/>
                                                        <button class="btn btn-ghost" type="submit">{tr(Key::Rename)}</button>
                                                    </form>
                                                </td>
                                                <td>{k.created_at.format("%Y-%m-%d").to_string()}</td>
                                                <td>{k.last_used_at.as_ref().map(crate::format::fmt_time).unwrap_or_else(|| "—".into())}</td>
                                                <td>{if k.backup_state { tr(Key::Yes)() } else if k.backup_eligible { tr(Key::SyncCapable)() } else { tr(Key::No)() }}</td>
                                                <td><button class="btn btn-ghost" type="button" data-testid="remove-passkey" on:click=move |_| {
                                                    if browser::confirm(t(locale.get_untracked(), Key::ConfirmRemovePasskey)) {
                                                        remove.dispatch(RemovePasskey { id });
                                                    }
                                                }>{tr(Key::Remove)}</button></td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table></div>
                        }.into_any(),
                    }
                })}
            </Transition>
            {move || rename.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
            {move || remove.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
        </section>
    }
}
