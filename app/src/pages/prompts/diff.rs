//! Two versions of a prompt side by side: pick any two, see what the model reads change line by
//! line, and which categories were added, removed or changed.

use engine::classify::{DiffLineKind, PromptVersionDetail};
use leptos::prelude::*;
use uuid::Uuid;

use crate::api::diff_prompt_versions;
use crate::components::ErrorNote;
use crate::i18n::{Key, tr};

#[component]
pub fn VersionDiff(versions: Vec<PromptVersionDetail>) -> impl IntoView {
    // Newest first: compare the previous version with the latest by default.
    let to = RwSignal::new(versions.first().map(|v| v.id).unwrap_or_default());
    let from = RwSignal::new(versions.get(1).map(|v| v.id).unwrap_or_default());
    let diff = Resource::new(move || (from.get(), to.get()), |(a, b)| diff_prompt_versions(a, b));
    let options = move |selected: RwSignal<Uuid>| {
        versions
            .iter()
            .map(|v| {
                let id = v.id;
                view! { <option value=id.to_string() selected=move || selected.get() == id>{format!("v{}", v.version)}</option> }
            })
            .collect_view()
    };
    let pick = |signal: RwSignal<Uuid>| move |ev| {
        if let Ok(id) = Uuid::parse_str(&event_target_value(&ev)) {
            signal.set(id);
        }
    };
    view! {
        <div class="diff" data-testid="version-diff">
            <div class="title-row">
                <h3>{tr(Key::DiffTitle)}</h3>
                <div class="filters">
                    <select aria-label="from" data-testid="diff-from" on:change=pick(from)>{options(from)}</select>
                    <span class="muted">"→"</span>
                    <select aria-label="to" data-testid="diff-to" on:change=pick(to)>{options(to)}</select>
                </div>
            </div>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match diff.await {
                        Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                        Ok(d) => {
                            let unchanged = d.lines.iter().all(|l| l.kind == DiffLineKind::Same);
                            let summary = [
                                (Key::CategoriesAdded, d.added_categories, "chip chip-added"),
                                (Key::CategoriesRemoved, d.removed_categories, "chip chip-removed"),
                                (Key::CategoriesChanged, d.changed_categories, "chip"),
                            ];
                            view! {
                                {summary.into_iter().filter(|(_, names, _)| !names.is_empty()).map(|(key, names, class)| view! {
                                    <p class="diff-summary"><span class="muted">{tr(key)}": "</span>
                                        {names.into_iter().map(|n| view! { <span class=class>{n}</span>" " }).collect_view()}
                                    </p>
                                }).collect_view()}
                                {unchanged.then(|| view! { <p class="muted">{tr(Key::NoChanges)}</p> })}
                                <pre class="compiled diff-lines" data-testid="diff-lines">
                                    {d.lines.into_iter().map(|l| {
                                        let (class, mark) = match l.kind {
                                            DiffLineKind::Same => ("diff-same", "  "),
                                            DiffLineKind::Added => ("diff-add", "+ "),
                                            DiffLineKind::Removed => ("diff-del", "- "),
                                        };
                                        view! { <span class=class>{mark}{l.text}"\n"</span> }
                                    }).collect_view()}
                                </pre>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </div>
    }
}
