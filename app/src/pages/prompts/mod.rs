//! Prompts: the list a user can use, and the editor. Editing changes a draft; saving stores it as
//! the next immutable version. The compiled text (what the model reads) follows the draft as you type.
//! Below, the prompt's examples (`examples`) and the import of a labelled history (`import`).

mod diff;
mod examples;
mod import;

use crate::api::AppError;
use engine::classify::{Category, PromptDraft, PromptSummary, compile_prompt};
use leptos::prelude::*;
use uuid::Uuid;

use crate::api::{CopyPrompt, MakeDefaultPrompt, SavePrompt, get_prompt_versions, get_prompts, get_sample_prompt};
use crate::components::ErrorNote;
use crate::i18n::{Key, tr};

fn blank_draft() -> PromptDraft {
    PromptDraft {
        name: Some(String::new()),
        label: None,
        template: "Clasifica cada línea de gasto en una de las categorías.".into(),
        categories: vec![Category { name: String::new(), description: String::new(), keywords: vec![], priority: 0 }],
        shared: Some(false),
    }
}

#[component]
pub fn PromptsPage() -> impl IntoView {
    let save = ServerAction::<SavePrompt>::new();
    let copy = ServerAction::<CopyPrompt>::new();
    let make_default = ServerAction::<MakeDefaultPrompt>::new();
    let list = Resource::new(
        move || (save.version().get(), copy.version().get(), make_default.version().get()),
        |_| get_prompts(),
    );
    let selected = RwSignal::new(None::<Uuid>);
    // The opened prompt is everyone's default: saving a version asks first.
    let selected_default = RwSignal::new(false);
    let draft = RwSignal::new(blank_draft());
    // Bumped when an import created categories: the editor reloads the version that holds them.
    let reloaded = RwSignal::new(0u32);
    let versions = Resource::new(move || (selected.get(), save.version().get(), reloaded.get()), |(id, _, _)| async move {
        match id {
            Some(id) => get_prompt_versions(id).await,
            None => Ok(vec![]),
        }
    });
    // After a save or a copy, the editor follows the prompt that was written.
    Effect::new(move || {
        if let Some(Ok(v)) = save.value().get() {
            selected.set(Some(v.prompt_id));
        }
    });
    Effect::new(move || {
        if let Some(Ok(v)) = copy.value().get() {
            selected.set(Some(v.prompt_id));
            selected_default.set(false);
            draft.update(|d| {
                d.template = v.template.clone();
                d.categories = v.categories.clone();
            });
        }
    });
    Effect::new(move || {
        if let Some(Ok(())) = make_default.value().get() {
            selected_default.set(true);
        }
    });
    let open = move |p: PromptSummary| {
        selected.set(Some(p.id));
        selected_default.set(p.is_default);
        draft.set(PromptDraft { name: Some(p.name), label: Some(p.label), template: String::new(), categories: vec![], shared: Some(p.is_shared) });
    };
    // Opened from a review (`?sample=…`): the sampled prompt opens with the corrections beside it.
    let query = leptos_router::hooks::use_query_map();
    let sample = move || query.with(|q| q.get("sample").and_then(|s| Uuid::parse_str(&s).ok()));
    let sample_prompt = Resource::new(sample, |s| async move {
        match s {
            Some(s) => get_sample_prompt(s).await.map(Some),
            None => Ok(None),
        }
    });
    Effect::new(move || {
        if let (Some(Ok(Some(prompt_id))), Some(Ok(prompts))) = (sample_prompt.get(), list.get())
            && selected.get_untracked().is_none()
            && let Some(p) = prompts.into_iter().find(|p| p.id == prompt_id)
        {
            open(p);
        }
    });
    // Load the latest version into the draft when a prompt is opened.
    Effect::new(move || {
        if let Some(Ok(vs)) = versions.get()
            && let Some(latest) = vs.first()
            && draft.with_untracked(|d| d.template.is_empty())
        {
            draft.update(|d| {
                d.template = latest.template.clone();
                d.categories = latest.categories.clone();
            });
        }
    });
    view! {
        <div class="prompts-layout">
            <section class="panel" aria-labelledby="prompts-title">
                <div class="title-row">
                    <h1 id="prompts-title">{tr(Key::NavPrompts)}</h1>
                    <button class="btn" data-testid="new-prompt" on:click=move |_| { selected.set(None); selected_default.set(false); draft.set(blank_draft()); }>
                        {tr(Key::NewPrompt)}
                    </button>
                </div>
                <Transition fallback=move || view! { <p class="muted">{tr(Key::Loading)}</p> }>
                    {move || Suspend::new(async move {
                        match list.await {
                            Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                            Ok(prompts) => view! {
                                <ul class="prompt-list" data-testid="prompt-list">
                                    {prompts.into_iter().map(|p| {
                                        let id = p.id;
                                        let item = p.clone();
                                        view! {
                                            <li class:active=move || selected.get() == Some(id)>
                                                <button class="prompt-item" on:click=move |_| open(item.clone())>
                                                    <strong>{p.name.clone()}</strong>
                                                    <span class="muted">" v"{p.latest_version}</span>
                                                    <span class="muted prompt-owner" data-testid="prompt-owner">
                                                        {match p.owner.clone() { Some(o) => view! { " · "{o} }.into_any(), None => view! { " · "{tr(Key::BuiltIn)} }.into_any() }}
                                                    </span>
                                                    {p.is_default.then(|| view! { <span class="badge">{tr(Key::DefaultBadge)}</span> })}
                                                    {p.is_shared.then(|| view! { <span class="chip">{tr(Key::SharedBadge)}</span> })}
                                                </button>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            <PromptEditor draft selected selected_default save copy make_default versions/>
            {move || selected.get().map(|prompt_id| {
                let categories = Signal::derive(move || draft.with(|d| d.categories.iter().map(|c| c.name.clone()).filter(|n| !n.is_empty()).collect()));
                let on_categories = move |_| {
                    draft.update(|d| d.template.clear());
                    reloaded.update(|r| *r += 1);
                };
                view! { <examples::PromptExamples prompt_id categories on_categories/> }
            })}
            {move || sample().map(|sample_id| view! { <crate::components::SampleCorrections sample_id/> })}
        </div>
    }
}

#[component]
fn PromptEditor(
    draft: RwSignal<PromptDraft>,
    selected: RwSignal<Option<Uuid>>,
    selected_default: RwSignal<bool>,
    save: ServerAction<SavePrompt>,
    copy: ServerAction<CopyPrompt>,
    make_default: ServerAction<MakeDefaultPrompt>,
    versions: Resource<Result<Vec<engine::classify::PromptVersionDetail>, AppError>>,
) -> impl IntoView {
    let compiled = move || draft.with(|d| compile_prompt(&d.template, &d.categories));
    let count = move || draft.with(|d| d.categories.len());
    let confirming = RwSignal::new(false);
    let do_save = move || {
        confirming.set(false);
        save.dispatch(SavePrompt { id: selected.get_untracked(), draft: draft.get_untracked() });
    };
    view! {
        <section class="panel stack" aria-labelledby="editor-title">
            <h2 id="editor-title">{move || if selected.get().is_some() { tr(Key::EditPrompt)() } else { tr(Key::NewPrompt)() }}</h2>
            <label class="field">
                <span>{tr(Key::Name)}</span>
                <input type="text" data-testid="prompt-name" prop:value=move || draft.with(|d| d.name.clone().unwrap_or_default())
                    on:input=move |ev| draft.update(|d| d.name = Some(event_target_value(&ev)))/>
            </label>
            <label class="field">
                <span>{tr(Key::Template)}</span>
                <textarea rows="4" data-testid="prompt-template" prop:value=move || draft.with(|d| d.template.clone())
                    on:input=move |ev| draft.update(|d| d.template = event_target_value(&ev))></textarea>
            </label>
            <fieldset class="fieldset">
                <legend>{tr(Key::Categories)}" ("{count}")"</legend>
                <div class="stack-sm">
                    {move || (0..count()).map(|i| view! { <CategoryRow draft i/> }).collect_view()}
                </div>
                <button class="btn" data-testid="add-category" on:click=move |_| draft.update(|d| d.categories.push(Category {
                    name: String::new(), description: String::new(), keywords: vec![], priority: 0,
                }))>{tr(Key::AddCategory)}</button>
            </fieldset>
            <label class="check">
                <input type="checkbox" prop:checked=move || draft.with(|d| d.shared.unwrap_or(false))
                    on:change=move |ev| draft.update(|d| d.shared = Some(event_target_checked(&ev)))/>
                {tr(Key::ShareWithTeam)}
            </label>
            <div class="actions">
                <button class="btn btn-primary" data-testid="save-prompt" disabled=move || save.pending().get()
                    on:click=move |_| if selected.get_untracked().is_some() && selected_default.get_untracked() { confirming.set(true) } else { do_save() }>
                    {tr(Key::SaveVersion)}
                </button>
                {move || selected.get().map(|id| view! {
                    <button class="btn" on:click=move |_| { copy.dispatch(CopyPrompt { id }); }>{tr(Key::Duplicate)}</button>
                    <button class="btn btn-ghost" on:click=move |_| { make_default.dispatch(MakeDefaultPrompt { id }); }>{tr(Key::MakeDefault)}</button>
                })}
            </div>
            <Show when=move || confirming.get()>
                <div class="confirm-box" role="alertdialog" aria-labelledby="default-save-warning" data-testid="confirm-default">
                    <p id="default-save-warning">{tr(Key::DefaultPromptWarning)}</p>
                    <div class="actions">
                        <button class="btn" on:click=move |_| confirming.set(false)>{tr(Key::Cancel)}</button>
                        {move || selected.get().map(|id| view! {
                            <button class="btn" on:click=move |_| { confirming.set(false); copy.dispatch(CopyPrompt { id }); }>{tr(Key::Duplicate)}</button>
                        })}
                        <button class="btn btn-primary" data-testid="confirm-default-save" on:click=move |_| do_save()>{tr(Key::SaveDefaultAnyway)}</button>
                    </div>
                </div>
            </Show>
            {move || save.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
            {move || make_default.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
            {move || save.value().get().and_then(|r| r.ok()).map(|v| view! {
                <p class="note" role="status" data-testid="saved">{tr(Key::SavedVersion)}" "{v.version}</p>
            })}
            <details>
                <summary>{tr(Key::CompiledPrompt)}</summary>
                <pre class="compiled" data-testid="compiled">{compiled}</pre>
            </details>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    versions.await.ok().filter(|v| !v.is_empty()).map(|vs| view! {
                        {(vs.len() > 1).then(|| view! { <diff::VersionDiff versions=vs.clone()/> })}
                        <h3>{tr(Key::History)}</h3>
                        <ul class="history" data-testid="history">
                            {vs.into_iter().map(|v| view! {
                                <li>
                                    <strong>"v"{v.version}</strong>" · "{v.categories.len()}" "{tr(Key::Categories)}" · "
                                    {v.created_by.unwrap_or_default()}" · "{crate::format::fmt_time(&v.created_at)}
                                </li>
                            }).collect_view()}
                        </ul>
                    })
                })}
            </Transition>
        </section>
    }
}

/// One category: name, description, keywords as chips (Enter adds one), move up/down, remove.
#[component]
fn CategoryRow(draft: RwSignal<PromptDraft>, i: usize) -> impl IntoView {
    let get = move |f: fn(&Category) -> String| draft.with(|d| d.categories.get(i).map(f).unwrap_or_default());
    let keyword = RwSignal::new(String::new());
    let add_keyword = move || {
        let k = keyword.get_untracked().trim().to_string();
        if !k.is_empty() {
            draft.update(|d| {
                if let Some(c) = d.categories.get_mut(i)
                    && !c.keywords.contains(&k)
                {
                    c.keywords.push(k);
                }
            });
            keyword.set(String::new());
        }
    };
    view! {
        <div class="category-row" data-testid="category-row">
            <span class="muted num">{i + 1}"."</span>
            <input type="text" aria-label=tr(Key::Name) placeholder=tr(Key::Name) data-testid="category-name"
                prop:value=move || get(|c| c.name.clone())
                on:input=move |ev| draft.update(|d| if let Some(c) = d.categories.get_mut(i) { c.name = event_target_value(&ev) })/>
            <input type="text" aria-label=tr(Key::Description) placeholder=tr(Key::Description)
                prop:value=move || get(|c| c.description.clone())
                on:input=move |ev| draft.update(|d| if let Some(c) = d.categories.get_mut(i) { c.description = event_target_value(&ev) })/>
            <div class="chips">
                {move || draft.with(|d| d.categories.get(i).map(|c| c.keywords.clone()).unwrap_or_default()).into_iter().map(|k| {
                    let key = k.clone();
                    view! {
                        <span class="chip">{k.clone()}
                            <button class="chip-x" aria-label=format!("× {k}")
                                on:click=move |_| draft.update(|d| if let Some(c) = d.categories.get_mut(i) { c.keywords.retain(|x| *x != key) })>"×"</button>
                        </span>
                    }
                }).collect_view()}
                <input type="text" class="chip-input" placeholder=tr(Key::AddKeyword) data-testid="keyword-input"
                    prop:value=move || keyword.get() on:input=move |ev| keyword.set(event_target_value(&ev))
                    on:keydown=move |ev| if ev.key() == "Enter" { ev.prevent_default(); add_keyword(); }/>
            </div>
            <div class="row-actions">
                <button class="btn btn-ghost" aria-label="↑" disabled=move || i == 0
                    on:click=move |_| draft.update(|d| d.categories.swap(i, i - 1))>"↑"</button>
                <button class="btn btn-ghost" aria-label="↓" disabled=move || { draft.with(|d| i + 1 >= d.categories.len()) }
                    on:click=move |_| draft.update(|d| d.categories.swap(i, i + 1))>"↓"</button>
                <button class="btn btn-ghost" aria-label=tr(Key::Delete)
                    on:click=move |_| draft.update(|d| { if i < d.categories.len() { d.categories.remove(i); } })>"✕"</button>
            </div>
        </div>
    }
}
