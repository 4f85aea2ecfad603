//! A prompt's examples in the editor: the current set (search, per-category counts, remove, add one,
//! export), versioned with the prompt so runs can say which set they used.

use engine::classify::examples::ExamplesPage;
use leptos::prelude::*;
use uuid::Uuid;

use super::import::ImportExamples;
use crate::api::{AddPromptExample, RemovePromptExamples, get_examples};
use crate::components::{ErrorNote, Pager};
use crate::format::fmt_int;
use crate::i18n::{Key, tr};

const PAGE: i64 = 20;

#[component]
pub fn PromptExamples(prompt_id: Uuid, categories: Signal<Vec<String>>, #[prop(into)] on_categories: Callback<()>) -> impl IntoView {
    let offset = RwSignal::new(0i64);
    let search = RwSignal::new(String::new());
    let category = RwSignal::new(String::new());
    let changed = RwSignal::new(0u32);
    let add = ServerAction::<AddPromptExample>::new();
    let remove = ServerAction::<RemovePromptExamples>::new();
    let page = Resource::new(
        move || (offset.get(), search.get(), category.get(), changed.get(), add.version().get(), remove.version().get()),
        move |(off, q, cat, ..)| get_examples(prompt_id, Some(q).filter(|q| !q.is_empty()), Some(cat).filter(|c| !c.is_empty()), off),
    );
    let new_text = RwSignal::new(String::new());
    let new_category = RwSignal::new(String::new());
    Effect::new(move || {
        if let Some(Ok(_)) = add.value().get() {
            new_text.set(String::new());
        }
    });
    let imported = Callback::new(move |created: bool| {
        changed.update(|c| *c += 1);
        offset.set(0);
        if created {
            on_categories.run(());
        }
    });
    view! {
        <section class="panel stack" aria-labelledby="examples-title" data-testid="prompt-examples">
            <div class="title-row">
                <h2 id="examples-title">{tr(Key::Examples)}</h2>
                <a class="btn" data-testid="export-examples" href=format!("/api/v1/prompts/{prompt_id}/examples?format=csv") download="">{tr(Key::ExportCsv)}</a>
            </div>
            <p class="hint">{tr(Key::ExamplesHint)}</p>
            <ImportExamples prompt_id on_done=imported/>
            <details>
                <summary>{tr(Key::AddExample)}</summary>
                <form class="form-grid" on:submit=move |ev| {
                    ev.prevent_default();
                    add.dispatch(AddPromptExample { prompt_id, text: new_text.get_untracked(), category: new_category.get_untracked() });
                }>
                    <label class="field">
                        <span>{tr(Key::Line)}</span>
                        <input type="text" data-testid="example-text" prop:value=move || new_text.get() on:input=move |ev| new_text.set(event_target_value(&ev))/>
                    </label>
                    <label class="field">
                        <span>{tr(Key::Category)}</span>
                        <select data-testid="example-category" on:change=move |ev| new_category.set(event_target_value(&ev))>
                            <option value="">"—"</option>
                            {move || categories.get().into_iter().map(|c| view! { <option value=c.clone()>{c.clone()}</option> }).collect_view()}
                        </select>
                    </label>
                    <div class="actions"><button class="btn" type="submit" disabled=move || add.pending().get()>{tr(Key::Add)}</button></div>
                </form>
                {move || add.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
            </details>
            <label class="field">
                <span>{tr(Key::Search)}</span>
                <input type="search" data-testid="examples-search" prop:value=move || search.get()
                    on:change=move |ev| { search.set(event_target_value(&ev)); offset.set(0); }/>
            </label>
            <Transition fallback=move || view! { <p class="muted">{tr(Key::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                        Ok(p) => view! { <ExamplesTable p offset category remove add categories prompt_id/> }.into_any(),
                    }
                })}
            </Transition>
            {move || remove.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
        </section>
    }
}

#[component]
#[allow(clippy::too_many_arguments)]
fn ExamplesTable(
    p: ExamplesPage,
    offset: RwSignal<i64>,
    category: RwSignal<String>,
    remove: ServerAction<RemovePromptExamples>,
    add: ServerAction<AddPromptExample>,
    categories: Signal<Vec<String>>,
    prompt_id: Uuid,
) -> impl IntoView {
    let editable = p.editable;
    let matching = p.matching;
    view! {
        <p data-testid="examples-summary">
            <strong>{fmt_int(p.total)}</strong>" "{tr(Key::ExamplesLower)}" · "{tr(Key::ExampleSet)}" v"{p.examples_version}
            " · "{fmt_int(p.validated)}" "{tr(Key::ValidatedInReviews)}
        </p>
        <div class="chips" data-testid="examples-by-category">
            <button class="chip" class:active=move || category.get().is_empty() on:click=move |_| { category.set(String::new()); offset.set(0); }>{tr(Key::AllCategories)}</button>
            {p.by_category.into_iter().map(|c| {
                let name = c.name.clone();
                let mine = c.name.clone();
                view! {
                    <button class="chip" class:active=move || category.get() == mine
                        on:click=move |_| { category.set(name.clone()); offset.set(0); }>{c.name.clone()}" · "{fmt_int(c.count)}</button>
                }
            }).collect_view()}
        </div>
        {if p.rows.is_empty() {
            view! { <p class="muted" data-testid="no-examples">{tr(Key::NoExamples)}</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap"><table class="table table-stack" data-testid="examples">
                    <thead><tr>
                        <th scope="col">{tr(Key::Line)}</th>
                        <th scope="col">{tr(Key::Category)}</th>
                        <th scope="col">{tr(Key::Origin)}</th>
                        <th scope="col"><span class="sr-only">{tr(Key::Delete)}</span></th>
                    </tr></thead>
                    <tbody>
                        {p.rows.into_iter().map(|r| {
                            let id = r.id;
                            view! {
                                <tr>
                                    <td class="cell-line">{r.text.clone()}</td>
                                    <td>{if editable {
                                        // Another category for the same text: a new set where it has that one.
                                        let text = r.text.clone();
                                        let current = r.category.clone();
                                        view! {
                                            <select class="select-compact" data-testid="example-recategorise" aria-label=tr(Key::Category)
                                                on:change=move |ev| { add.dispatch(AddPromptExample { prompt_id, text: text.clone(), category: event_target_value(&ev) }); }>
                                                {move || {
                                                    let mut names = categories.get();
                                                    if !names.contains(&current) { names.insert(0, current.clone()); }
                                                    names.into_iter().map(|c| { let on = c == current; view! { <option value=c.clone() selected=on>{c.clone()}</option> } }).collect_view()
                                                }}
                                            </select>
                                        }.into_any()
                                    } else {
                                        view! { <span class="chip">{r.category}</span> }.into_any()
                                    }}</td>
                                    <td class="muted">{r.source.unwrap_or(r.origin)}" · v"{r.added_in}</td>
                                    <td>{editable.then(|| view! {
                                        <button class="btn btn-ghost" aria-label=tr(Key::Delete) data-testid="remove-example"
                                            on:click=move |_| { remove.dispatch(RemovePromptExamples { prompt_id, ids: vec![id] }); }>"✕"</button>
                                    })}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table></div>
                <Pager offset on_page=move |o| offset.set(o) page=PAGE total=matching label=Key::PageOf/>
            }.into_any()
        }}
    }
}
