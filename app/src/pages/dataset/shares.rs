//! Who else sees a dataset: shown to its owner (and dataset admins) only.

use leptos::prelude::*;
use uuid::Uuid;

use crate::api::{ShareDataset, UnshareDataset, dataset_shares};
use crate::components::ErrorNote;
use crate::i18n::{Key, t, tr, use_locale};

#[component]
pub fn SharesPanel(dataset_id: Uuid) -> impl IntoView {
    let locale = use_locale();
    let share = ServerAction::<ShareDataset>::new();
    let unshare = ServerAction::<UnshareDataset>::new();
    let shares = Resource::new(move || (share.version().get(), unshare.version().get()), move |_| dataset_shares(dataset_id));
    let name = RwSignal::new(String::new());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                // Someone the dataset is only shared with gets 403 here: no panel for them.
                shares.await.ok().map(|list| view! {
                    <section class="panel" aria-labelledby="shares-title" data-testid="shares">
                        <h2 id="shares-title">{tr(Key::SharedWith)}</h2>
                        <p class="muted">{tr(Key::SharesHint)}</p>
                        <form class="field-inline" on:submit=move |ev: leptos::ev::SubmitEvent| {
                            ev.prevent_default();
                            share.dispatch(ShareDataset { id: dataset_id, username: name.get_untracked() });
                            name.set(String::new());
                        }>
                            <input type="text" bind:value=name required data-testid="share-with" aria-label=tr(Key::Username)
                                placeholder=move || t(locale.get(), Key::Username)/>
                            <button class="btn" type="submit">{tr(Key::Share)}</button>
                        </form>
                        <div class="chips">
                            {list.into_iter().map(|s| {
                                let user_id = s.user_id;
                                view! {
                                    <span class="chip">{s.username.clone()}
                                        <button class="chip-x" type="button" aria-label=move || format!("{} {}", t(locale.get(), Key::Remove), s.username)
                                            on:click=move |_| { unshare.dispatch(UnshareDataset { id: dataset_id, user_id }); }>"×"</button>
                                    </span>
                                }
                            }).collect_view()}
                        </div>
                    </section>
                })
            })}
        </Transition>
        {move || share.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
        {move || unshare.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
    }
}
