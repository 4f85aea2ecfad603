#![recursion_limit = "256"]
//! `dgs`: the Data Governance Service. `dgs serve` runs the web app and the job workers (or one of
//! them, with `--role`); `dgs user create` adds an account from a script; `dgs migrate` only migrates.

mod api;
mod app_routes;
mod cli;
mod config;
mod connections;
mod identity;
mod observability;
mod render;
mod runtimes;
mod security;
mod serve;
mod shared_page;
mod state;

fn main() -> anyhow::Result<()> {
    // `dgs read-workbook <kind> <path>` is the memory-capped child the ingest pipeline starts for old
    // workbook formats: no runtime, no logging, just JSON lines on stdout.
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(engine::ingest::isolate::CHILD_COMMAND) {
        std::process::exit(engine::ingest::isolate::child_main(&args[2..]));
    }
    observability::init_logging();
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(cli::run())
}
