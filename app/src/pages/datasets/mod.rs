//! Datasets: the list of datasets and recent uploads, and the upload wizard (its own pages).

use leptos::prelude::*;

mod upload;
mod upload_clean;
mod upload_tables;

pub use upload::{NewUploadPage, UploadPage};
use crate::api::{RemoveUpload, list_datasets, recent_uploads};
use crate::format::fmt_int;
use crate::components::{ErrorNote, browser};
use crate::i18n::{Key, t, tr, use_locale};

#[component]
pub fn DatasetsPage() -> impl IntoView {
    let datasets = Resource::new(|| (), |_| list_datasets());
    let remove = ServerAction::<RemoveUpload>::new();
    let uploads = Resource::new(move || remove.version().get(), |_| recent_uploads());
    let locale = use_locale();
    view! {
        <div class="stack">
            <section class="panel">
                <div class="title-row">
                    <h1>{tr(Key::DatasetsTitle)}</h1>
                    <a class="btn btn-primary" href="/upload" data-testid="upload-link">{tr(Key::UploadFiles)}</a>
                </div>
                <Suspense fallback=move || view! { <p class="muted">{tr(Key::Loading)}</p> }>
                    {move || Suspend::new(async move {
                        match datasets.await {
                            Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                            Ok(list) if list.is_empty() => view! {
                                <div class="empty" data-testid="no-datasets">
                                    <p>{tr(Key::NoDatasets)}</p>
                                    <a class="btn btn-primary" href="/upload">{tr(Key::UploadFirstFile)}</a>
                                </div>
                            }.into_any(),
                            Ok(list) => view! {
                                <div class="table-wrap"><table class="table" data-testid="datasets">
                                    <thead><tr>
                                        <th scope="col">{tr(Key::Name)}</th>
                                        <th scope="col" class="num">{tr(Key::Rows)}</th>
                                        <th scope="col" class="num">{tr(Key::UniqueLines)}</th>
                                        <th scope="col">{tr(Key::DescriptionColumn)}</th>
                                        <th scope="col">{tr(Key::Owner)}</th>
                                        <th scope="col">{tr(Key::Created)}</th>
                                    </tr></thead>
                                    <tbody>
                                        {list.into_iter().map(|d| view! {
                                            <tr>
                                                <td><a href=format!("/datasets/{}", d.id)>{d.name}</a></td>
                                                <td class="num">{fmt_int(d.rows)}</td>
                                                <td class="num">{fmt_int(d.unique_lines)}</td>
                                                <td><code>{d.description_column}</code></td>
                                                <td>{d.owner.unwrap_or_default()}</td>
                                                <td>{crate::format::fmt_time(&d.created_at)}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table></div>
                            }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    uploads.await.ok().filter(|u| !u.is_empty()).map(|list| view! {
                        <section class="panel" aria-labelledby="uploads-title">
                            <h2 id="uploads-title">{tr(Key::RecentUploads)}</h2>
                            <div class="table-wrap"><table class="table table-compact" data-testid="uploads">
                                <thead><tr>
                                    <th scope="col">{tr(Key::File)}</th>
                                    <th scope="col" class="num">{tr(Key::TablesKept)}</th>
                                    <th scope="col" class="num">{tr(Key::Rows)}</th>
                                    <th scope="col" class="num">{tr(Key::RejectedRows)}</th>
                                    <th scope="col" class="num">{tr(Key::DatasetsTitle)}</th>
                                    <th scope="col">{tr(Key::Owner)}</th>
                                    <th scope="col">{tr(Key::Created)}</th>
                                    <th scope="col"><span class="visually-hidden">{tr(Key::Delete)}</span></th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|u| view! {
                                        <tr>
                                            <td><a href=format!("/uploads/{}", u.id)>{u.name}</a></td>
                                            <td class="num">{fmt_int(u.tables)}</td>
                                            <td class="num">{fmt_int(u.rows)}</td>
                                            <td class="num">{fmt_int(u.rejected)}</td>
                                            <td class="num">{fmt_int(u.datasets)}</td>
                                            <td>{u.owner.clone().unwrap_or_default()}</td>
                                            <td>{crate::format::fmt_time(&u.created_at)}</td>
                                            <td>{(u.datasets == 0).then(|| view! {
                                                <button class="btn btn-ghost" data-testid="delete-upload" on:click=move |_| {
                                                    if browser::confirm(t(locale.get_untracked(), Key::ConfirmDeleteUpload)) {
                                                        remove.dispatch(RemoveUpload { id: u.id });
                                                    }
                                                }>{tr(Key::Delete)}</button>
                                            })}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table></div>
                        </section>
                    })
                })}
            </Suspense>
            {move || remove.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
            <span hidden>{move || locale.get().code()}</span>
        </div>
    }
}

