//! The event pipeline (seed 003) live: records accepted, stored and rejected, records per second,
//! latency, what is in flight, and how many validators and storage connections are busy against
//! their limits — read every second.

use leptos::prelude::*;

use crate::api::get_event_stats;
use crate::components::{ErrorNote, Stat};
use crate::format::{fmt_int, fmt_number};
use crate::i18n::{Key, tr};

#[component]
pub fn EventsPage() -> impl IntoView {
    let tick = RwSignal::new(0u32);
    let stats = Resource::new(move || tick.get(), |_| get_event_stats());
    crate::components::browser::poll_while(tick, std::time::Duration::from_secs(1), || true);
    view! {
        <div class="stack">
            <section class="panel" aria-labelledby="events-title" data-testid="event-stats">
                <a class="back-link" href="/marketing">{tr(Key::NavMarketing)}</a>
                <h1 id="events-title">{tr(Key::EventPipeline)}</h1>
                <p class="muted">{tr(Key::EventPipelineHint)}</p>
                <Transition fallback=move || view! { <p class="muted">{tr(Key::Loading)}</p> }>
                    {move || Suspend::new(async move {
                        match stats.await {
                            Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                            Ok(s) => view! {
                                <div class="stats">
                                    <Stat label=Key::Accepted value=fmt_int(s.accepted as i64) testid="ev-accepted"/>
                                    <Stat label=Key::Stored value=fmt_int(s.stored as i64) testid="ev-stored"/>
                                    <Stat label=Key::Duplicates value=fmt_int(s.duplicates as i64) testid="ev-duplicates"/>
                                    <Stat label=Key::Rejected value=fmt_int(s.rejected as i64) testid="ev-rejected"/>
                                    <Stat label=Key::PerSecond value=fmt_number(s.records_per_sec, 0) testid="ev-rate"/>
                                    <Stat label=Key::Latency value=format!("{} ms", fmt_number(s.avg_latency_ms, 1)) testid="ev-latency"/>
                                    <Stat label=Key::InFlight value=fmt_int(s.in_flight as i64) testid="ev-in-flight"/>
                                </div>
                                <p class="muted small" data-testid="ev-workers">
                                    {tr(Key::Validators)}{format!(": {} / {} (max {}) · ", s.validators_busy, s.validators, s.max_validators_seen)}
                                    {tr(Key::Storers)}{format!(": {} / {} (max {})", s.storers_busy, s.storers, s.max_storers_seen)}
                                </p>
                            }.into_any(),
                        }
                    })}
                </Transition>
                <p class="muted small">"POST /api/v1/events · GET /api/v1/events/users/{user_id} · "<a href="/api/v1/docs/" rel="external">{tr(Key::ApiDocs)}</a></p>
            </section>
        </div>
    }
}
