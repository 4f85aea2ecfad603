//! Seed 003's aggregation stage for one batch: per user (count, value, events in timestamp order,
//! last activity) and per event. Bounded: events listed per user stop at 1000, users answered at
//! 1000 (all are counted).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use super::validate::EventRecord;
use super::wire::{EventAggregate, UserAggregate};

const EVENTS_PER_USER: usize = 1000;
const USERS_ANSWERED: usize = 1000;

#[derive(Default)]
struct UserAcc {
    total: i64,
    value: f64,
    events: Vec<(DateTime<Utc>, i64, String)>,
    last: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct Aggregates {
    users: HashMap<String, UserAcc>,
    events: HashMap<String, EventAggregate>,
}

impl Aggregates {
    pub fn add(&mut self, r: &EventRecord) {
        let u = self.users.entry(r.user_id.clone()).or_default();
        u.total += 1;
        u.value += r.value;
        u.last = u.last.max(Some(r.at));
        u.events.push((r.at, r.id, r.event.clone()));
        if u.events.len() > EVENTS_PER_USER * 2 {
            u.events.sort();
            u.events.truncate(EVENTS_PER_USER);
        }
        let e = self.events.entry(r.event.clone()).or_insert(EventAggregate { total_events: 0, total_value: 0.0, last_activity: r.at });
        e.total_events += 1;
        e.total_value += r.value;
        e.last_activity = e.last_activity.max(r.at);
    }

    /// Users (the first 1000 by name), how many in all, and events.
    pub fn report(&self) -> (BTreeMap<String, UserAggregate>, usize, BTreeMap<String, EventAggregate>) {
        let mut names: Vec<&String> = self.users.keys().collect();
        names.sort();
        let users = names
            .into_iter()
            .take(USERS_ANSWERED)
            .filter_map(|name| {
                let u = &self.users[name];
                let mut ev = u.events.clone();
                ev.sort();
                ev.truncate(EVENTS_PER_USER);
                Some((name.clone(), UserAggregate { total_events: u.total, total_value: u.value, events: ev.into_iter().map(|(_, _, e)| e).collect(), last_activity: u.last? }))
            })
            .collect();
        (users, self.users.len(), self.events.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    }
}
