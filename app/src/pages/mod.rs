//! One module per screen; a screen's parts live in its folder. Screens share only `components`.

pub mod account;
pub mod admin;
pub mod auth;
pub mod classify;
pub mod dataset;
pub mod datasets;
pub mod enrol;
pub mod imports;
pub mod marketing;
pub mod prompts;
pub mod reports;
pub mod review;
pub mod reviews;
pub mod run;
pub mod tables;
