//! Domain events: the transactional outbox (`domain_events`, seed §3.2.4 and §8.4) and its
//! consumers. Writers add an event in the transaction of their change; `outbox` hands each event to
//! the consumers at least once, in creation order per aggregate.

pub mod outbox;
