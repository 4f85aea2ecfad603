//! Adding or changing a source: start from a ready-made one, set the address and the secret (never
//! shown again: left empty, the stored one is kept), the schedule and the lookback; pagination and
//! the field mapping are under "advanced". The settings are checked as they are typed by the same
//! rules the server applies.

use std::collections::BTreeMap;

use engine::etl::check::checked;
use engine::etl::wire::{FieldSource, PaginationKind, Preset, SinceFormat, SourceInfo, SourceInput};
use leptos::prelude::*;

use crate::api::{DeleteEtlSource, SaveEtlSource};
use crate::components::ErrorNote;
use crate::i18n::{Key, t, tr, use_locale};

fn input_of(s: &SourceInfo) -> SourceInput {
    SourceInput {
        name: s.name.clone(),
        kind: s.kind,
        url: s.url.clone(),
        auth_header: s.auth_header.clone(),
        auth_secret: None,
        records_path: s.records_path.clone(),
        pagination: s.pagination.clone(),
        fields: s.fields.clone(),
        since_param: s.since_param.clone(),
        since_format: s.since_format,
        lookback_days: s.lookback_days,
        schedule: s.schedule.clone(),
        enabled: s.enabled,
        version: Some(s.version),
    }
}

#[component]
pub fn SourceForm(presets: Vec<Preset>, existing: Option<SourceInfo>, editing: Callback<()>, saved: RwSignal<u32>) -> impl IntoView {
    let locale = use_locale();
    let id = existing.as_ref().map(|s| s.id);
    let has_secret = existing.as_ref().is_some_and(|s| s.has_secret);
    let first = existing.as_ref().map(input_of).or_else(|| presets.first().map(|p| p.input.clone()));
    let Some(first) = first else { return ().into_any() };
    let draft = RwSignal::new(first);
    let save = ServerAction::<SaveEtlSource>::new();
    let delete = ServerAction::<DeleteEtlSource>::new();
    let confirming = RwSignal::new(false);
    Effect::new(move || {
        if matches!(save.value().get(), Some(Ok(_))) || matches!(delete.value().get(), Some(Ok(()))) {
            saved.update(|n| *n += 1);
            editing.run(());
        }
    });
    let problem = move || checked(draft.get()).err().map(|e| e.to_string());
    let text = move |get: fn(&SourceInput) -> String, set: fn(&mut SourceInput, String)| {
        (move || get(&draft.get()), move |ev: leptos::ev::Event| draft.update(|d| set(d, event_target_value(&ev))))
    };
    let (name, on_name) = text(|d| d.name.clone(), |d, v| d.name = v);
    let (url, on_url) = text(|d| d.url.clone(), |d, v| d.url = v);
    let (header, on_header) = text(|d| d.auth_header.clone(), |d, v| d.auth_header = v);
    let (records, on_records) = text(|d| d.records_path.clone(), |d, v| d.records_path = v);
    let (schedule, on_schedule) = text(|d| d.schedule.clone().unwrap_or_default(), |d, v| d.schedule = Some(v).filter(|s| !s.trim().is_empty()));
    let (since, on_since) = text(|d| d.since_param.clone(), |d, v| d.since_param = v);
    let (next_path, on_next_path) = text(|d| d.pagination.next_path.clone(), |d, v| d.pagination.next_path = v);
    let (param, on_param) = text(|d| d.pagination.param.clone(), |d, v| d.pagination.param = v);
    let (limit_param, on_limit_param) = text(|d| d.pagination.limit_param.clone(), |d, v| d.pagination.limit_param = v);
    let choose_preset = {
        let presets = presets.clone();
        move |ev: leptos::ev::Event| {
            if let Some(p) = presets.iter().find(|p| p.id == event_target_value(&ev)) {
                draft.set(p.input.clone());
            }
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(SaveEtlSource { id, input: draft.get_untracked() });
    };
    let title = if id.is_some() { Key::EditSource } else { Key::NewSource };
    view! {
        <section class="panel" aria-labelledby="source-form-title" data-testid="source-form">
            <h2 id="source-form-title">{tr(title)}</h2>
            <form class="form" on:submit=submit>
                {id.is_none().then(|| view! {
                    <label class="field"><span>{tr(Key::StartFrom)}</span>
                        <select data-testid="source-preset" on:change=choose_preset>
                            {presets.iter().map(|p| view! { <option value=p.id.clone()>{p.label.clone()}" ("{p.input.kind.as_str().to_uppercase()}")"</option> }).collect_view()}
                        </select>
                    </label>
                })}
                <div class="form-grid">
                    <label class="field"><span>{tr(Key::Name)}</span><input type="text" data-testid="source-name" required prop:value=name on:input=on_name/></label>
                    <label class="field"><span>{tr(Key::Address)}</span><input type="url" data-testid="source-url" required prop:value=url on:input=on_url/></label>
                    <label class="field"><span>{tr(Key::AuthHeader)}</span><input type="text" data-testid="source-header" prop:value=header on:input=on_header/></label>
                    <label class="field"><span>{tr(Key::Secret)}</span>
                        <input type="password" autocomplete="off" data-testid="source-secret"
                            placeholder=move || if has_secret { t(locale.get(), Key::SecretKept) } else { "" }
                            on:input=move |ev| { let v = event_target_value(&ev); draft.update(|d| d.auth_secret = Some(v).filter(|s| !s.is_empty())); }/>
                    </label>
                    <label class="field"><span>{tr(Key::Schedule)}</span><input type="text" data-testid="source-schedule" placeholder="0 0 3 * * *" prop:value=schedule on:input=on_schedule/></label>
                    <label class="field"><span>{tr(Key::LookbackDays)}</span>
                        <input type="number" min="0" max="365" data-testid="source-lookback" prop:value=move || draft.get().lookback_days.to_string()
                            on:input=move |ev| { if let Ok(n) = event_target_value(&ev).parse() { draft.update(|d| d.lookback_days = n); } }/>
                    </label>
                    <label class="check"><input type="checkbox" prop:checked=move || draft.get().enabled on:change=move |ev| { let on = event_target_checked(&ev); draft.update(|d| d.enabled = on); }/>{tr(Key::Enabled)}</label>
                </div>
                <details>
                    <summary>{tr(Key::Advanced)}</summary>
                    <div class="form-grid">
                        <label class="field"><span>{tr(Key::RecordsPath)}</span><input type="text" data-testid="source-records" prop:value=records on:input=on_records/></label>
                        <label class="field"><span>{tr(Key::Pagination)}</span>
                            <select prop:value=move || format!("{:?}", draft.get().pagination.kind) on:change=move |ev| {
                                let kind = match event_target_value(&ev).as_str() { "NextLink" => PaginationKind::NextLink, "Cursor" => PaginationKind::Cursor, "Offset" => PaginationKind::Offset, _ => PaginationKind::None };
                                draft.update(|d| d.pagination.kind = kind);
                            }>
                                <option value="None">{tr(Key::OnePage)}</option>
                                <option value="NextLink">{tr(Key::NextLink)}</option>
                                <option value="Cursor">{tr(Key::CursorParam)}</option>
                                <option value="Offset">"offset"</option>
                            </select>
                        </label>
                        <label class="field"><span>{tr(Key::NextPath)}</span><input type="text" prop:value=next_path on:input=on_next_path/></label>
                        <label class="field"><span>{tr(Key::PageParam)}</span><input type="text" prop:value=param on:input=on_param/></label>
                        <label class="field"><span>{tr(Key::LimitParam)}</span><input type="text" prop:value=limit_param on:input=on_limit_param/></label>
                        <label class="field"><span>{tr(Key::PageSize)}</span>
                            <input type="number" min="1" max="10000" prop:value=move || draft.get().pagination.page_size.to_string()
                                on:input=move |ev| { if let Ok(n) = event_target_value(&ev).parse() { draft.update(|d| d.pagination.page_size = n); } }/>
                        </label>
                        <label class="field"><span>{tr(Key::SinceParam)}</span><input type="text" prop:value=since on:input=on_since/></label>
                        <label class="field"><span>{tr(Key::SinceFormat)}</span>
                            <select prop:value=move || format!("{:?}", draft.get().since_format) on:change=move |ev| {
                                let f = match event_target_value(&ev).as_str() { "DateTime" => SinceFormat::DateTime, "Unix" => SinceFormat::Unix, _ => SinceFormat::Date };
                                draft.update(|d| d.since_format = f);
                            }>
                                <option value="Date">"YYYY-MM-DD"</option>
                                <option value="DateTime">"RFC 3339"</option>
                                <option value="Unix">"Unix"</option>
                            </select>
                        </label>
                    </div>
                    <Mapping draft/>
                </details>
                {move || problem().map(|p| view! { <p class="note note-warn" role="status" data-testid="source-problem">{p}</p> })}
                {move || save.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
                {move || delete.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
                <div class="actions">
                    <button type="submit" class="btn btn-primary" data-testid="save-source" disabled=move || save.pending().get() || problem().is_some()>{tr(Key::Save)}</button>
                    <button type="button" class="btn btn-ghost" on:click=move |_| editing.run(())>{tr(Key::Cancel)}</button>
                    {id.map(|id| view! {
                        <button type="button" class="btn btn-danger" data-testid="delete-source" on:click=move |_| confirming.set(true)>{tr(Key::Delete)}</button>
                        <Show when=move || confirming.get()>
                            <span role="alertdialog">{tr(Key::DeleteSourceQuestion)}" "
                                <button type="button" class="btn btn-danger btn-small" on:click=move |_| { delete.dispatch(DeleteEtlSource { id }); }>{tr(Key::Delete)}</button>
                                <button type="button" class="btn btn-ghost btn-small" on:click=move |_| confirming.set(false)>{tr(Key::Cancel)}</button>
                            </span>
                        </Show>
                    })}
                </div>
            </form>
        </section>
    }
    .into_any()
}

/// Where each field of a record comes from: a path in the source's JSON or a constant, and a scale.
#[component]
fn Mapping(draft: RwSignal<SourceInput>) -> impl IntoView {
    let set = move |field: &'static str, f: Box<dyn Fn(&mut FieldSource, String)>, v: String| {
        draft.update(|d| {
            let mut src = d.fields.get(field).cloned().unwrap_or_default();
            f(&mut src, v);
            if src.path.is_none() && src.constant.is_none() {
                d.fields.remove(field);
            } else {
                d.fields.insert(field.to_string(), src);
            }
        });
    };
    let fields = move || -> (Vec<&'static str>, BTreeMap<String, FieldSource>) {
        let d = draft.get();
        (d.kind.fields().to_vec(), d.fields)
    };
    view! {
        <div class="table-wrap"><table class="table" data-testid="source-mapping">
            <thead><tr><th scope="col">{tr(Key::Field)}</th><th scope="col">{tr(Key::PathInSource)}</th><th scope="col">{tr(Key::Constant)}</th><th scope="col">{tr(Key::Scale)}</th></tr></thead>
            <tbody>
                {move || {
                    let (names, map) = fields();
                    names.into_iter().map(|f| {
                        let src = map.get(f).cloned().unwrap_or_default();
                        view! {
                            <tr>
                                <th scope="row"><code>{f}</code></th>
                                <td><input type="text" aria-label=format!("{f} path") prop:value=src.path.clone().unwrap_or_default()
                                    on:change=move |ev| set(f, Box::new(|s, v| s.path = Some(v).filter(|x| !x.trim().is_empty())), event_target_value(&ev))/></td>
                                <td><input type="text" aria-label=format!("{f} constant") prop:value=src.constant.clone().unwrap_or_default()
                                    on:change=move |ev| set(f, Box::new(|s, v| s.constant = Some(v).filter(|x| !x.trim().is_empty())), event_target_value(&ev))/></td>
                                <td><input aria-label=format!("{f} scale") type="number" step="any" prop:value=src.scale.map(|x| x.to_string()).unwrap_or_default()
                                    on:change=move |ev| set(f, Box::new(|s, v| s.scale = v.parse().ok()), event_target_value(&ev))/></td>
                            </tr>
                        }
                    }).collect_view()
                }}
            </tbody>
        </table></div>
    }
}
