//! What the browser tests share: Debian's Chromium under playwright, and where screenshots go.
#![allow(dead_code)]

use std::path::PathBuf;

use playwright_rs::{Browser, BrowserContextOptions, LaunchOptions, Page, Playwright};

pub fn shots_dir() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "../target".into());
    let dir = PathBuf::from(target).join("screenshots");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// Headless Chromium with downloads allowed, and one page with a 15 s default timeout.
pub async fn launch() -> anyhow::Result<(Playwright, Browser, Page)> {
    let pw = Playwright::launch().await?;
    let options = LaunchOptions::new()
        .headless(true)
        .executable_path("/usr/bin/chromium".to_string())
        .chromium_sandbox(false)
        .args(
            ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
                .map(String::from)
                .to_vec(),
        );
    let browser = pw.chromium().launch_with_options(options).await?;
    let ctx = browser.new_context_with_options(BrowserContextOptions::builder().accept_downloads(true).build()).await?;
    let page = ctx.new_page().await?;
    page.set_default_timeout(15_000.0).await;
    Ok((pw, browser, page))
}
