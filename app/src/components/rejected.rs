//! An upload's rejected rows, paged, with the reason each one was kept aside: shown while
//! uploading and on the dataset built from it.

use leptos::prelude::*;
use uuid::Uuid;

use super::{ErrorNote, Pager};
use crate::api::upload_rejected;
use crate::i18n::{Key, tr};

#[component]
pub fn RejectedList(upload_id: Uuid) -> impl IntoView {
    let offset = RwSignal::new(0i64);
    let open = RwSignal::new(false);
    let page = Resource::new(
        move || (open.get(), offset.get()),
        move |(open, offset)| async move { if open { upload_rejected(upload_id, offset).await.map(Some) } else { Ok(None) } },
    );
    view! {
        <div class="panel-sub" data-testid="rejected">
            <button class="btn btn-link" data-testid="show-rejected" aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)>
                {move || if open.get() { "▾ " } else { "▸ " }}{tr(Key::ShowRejected)}
            </button>
            <Suspense fallback=move || view! { <p class="muted">{tr(Key::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                        Ok(None) => view! { <span/> }.into_any(),
                        Ok(Some(p)) => {
                            let total = p.total;
                            view! {
                                <div class="table-wrap"><table class="table table-compact">
                                    <thead><tr>
                                        <th scope="col">{tr(Key::File)}</th>
                                        <th scope="col" class="num">{tr(Key::Line)}</th>
                                        <th scope="col">{tr(Key::Reason)}</th>
                                        <th scope="col">"Raw"</th>
                                    </tr></thead>
                                    <tbody>{p.rows.into_iter().map(|r| view! {
                                        <tr>
                                            <td>{r.file}{r.sheet.map(|s| format!(" › {s}"))}</td>
                                            <td class="num">{r.line_no}</td>
                                            <td>{crate::components::note(&r.reason)}</td>
                                            <td><code class="raw">{r.raw}</code></td>
                                        </tr>
                                    }).collect_view()}</tbody>
                                </table></div>
                                <Pager offset on_page=move |o| offset.set(o) page=50 total label=Key::PageOf/>
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </div>
    }
}
