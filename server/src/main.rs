//! `dgs`: the Data Governance Service. `dgs serve` runs the web app and the job workers (or one of
//! them, with `--role`); `dgs user create` adds an account from a script; `dgs migrate` only migrates.

mod api;
mod app_routes;
mod cli;
mod config;
mod observability;
mod serve;
mod state;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    observability::init_logging();
    cli::run().await
}
