//! The load suite (issue 20, seed 004 §14.4): a real `dgs` with its own database, a fixture like the
//! seed's (PRODUCTS with rows, a report, a finished run), and goose users that replay the seed's
//! k6 script (list, read one, create; think times 1 s, 1 s, 3 s) beside our other hot paths: the
//! query API, a report execution, a run's progress stream and a 10 MB upload.
//! - `fixture`: what the users find when they start;
//! - `users`: the goose scenarios;
//! - `measure`: per-endpoint numbers, thresholds and the README table;
//! - `modes`: short (CI), full (the seed's stages), stress and soak.

pub mod fixture;
pub mod measure;
pub mod modes;
pub mod users;

pub use fixture::Fixture;
pub use measure::{Endpoint, Summary};
