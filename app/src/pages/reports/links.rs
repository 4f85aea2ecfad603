//! Every shared link of every report, for admins (`report:admin`): who shared what, until when,
//! how often it was opened, and revoke or rotate from here.

use leptos::prelude::*;

use super::share::LinksTable;
use crate::api::{RevokeReportLink, RotateReportLink, get_link_inventory};
use crate::components::ErrorNote;
use crate::i18n::{Key, tr};

#[component]
pub fn LinkInventoryPage() -> impl IntoView {
    let revoke = ServerAction::<RevokeReportLink>::new();
    let rotate = ServerAction::<RotateReportLink>::new();
    let links = Resource::new(move || (revoke.version().get(), rotate.version().get()), |_| get_link_inventory());
    view! {
        <div class="stack">
            <section class="panel" aria-labelledby="inventory-title">
                <div class="title-row">
                    <h1 id="inventory-title">{tr(Key::SharedLinks)}</h1>
                    <a class="btn" href="/reports">{tr(Key::NavReports)}</a>
                </div>
                <p class="muted">{tr(Key::InventoryHint)}</p>
                <Suspense fallback=move || view! { <p class="muted">{tr(Key::Loading)}</p> }>
                    {move || Suspend::new(async move {
                        match links.await {
                            Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                            Ok(ls) => view! { <LinksTable links=ls revoke rotate with_report=true/> }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
        </div>
    }
}
