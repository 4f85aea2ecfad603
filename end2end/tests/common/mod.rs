//! What the browser tests share: Debian's Chromium under playwright, and where screenshots go.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Mutex;

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
    watch_console(&page).await?;
    Ok((pw, browser, page))
}

/// Every console error and uncaught exception of the pages a test visits (one test per process).
static CONSOLE_ERRORS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn record(error: String) {
    CONSOLE_ERRORS.lock().unwrap_or_else(|p| p.into_inner()).push(error);
}

/// Collects `page`'s console errors and uncaught exceptions (a hydration panic is both) for
/// [`assert_no_console_errors`]. A 4xx answer to a request is the app's normal way of saying no
/// (a wrong password, a refused change) and the browser logs it as an error: those are not counted.
pub async fn watch_console(page: &Page) -> anyhow::Result<()> {
    page.on_console(|msg| async move {
        let expected_refusal = msg.text().starts_with("Failed to load resource: the server responded with a status of 4");
        if msg.type_() == "error" && !expected_refusal {
            record(format!("console error on {}: {}", msg.location().url, msg.text()));
        }
        Ok(())
    })
    .await?;
    page.on_pageerror(|e| async move {
        record(format!("uncaught exception: {e}"));
        Ok(())
    })
    .await?;
    Ok(())
}

/// Fails the test if any watched page logged an error or threw since it started.
pub fn assert_no_console_errors() {
    let errors = CONSOLE_ERRORS.lock().unwrap_or_else(|p| p.into_inner()).clone();
    assert!(errors.is_empty(), "the pages logged {} error(s):\n{}", errors.len(), errors.join("\n"));
}

/// Signs `username` in through the login form and waits for the datasets screen.
pub async fn sign_in(page: &Page, server: &end2end::TestServer, username: &str, password: &str) -> anyhow::Result<()> {
    page.goto(&server.url("/login"), None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    page.locator("input[name=username]").fill(username, None).await?;
    page.locator("input[name=password]").fill(password, None).await?;
    page.locator("form button[type=submit]").click(None).await?;
    page.wait_for_url("**/datasets", None).await?;
    Ok(())
}

/// A full-page screenshot into `shots_dir()`, named `name.png`.
pub async fn shot(page: &Page, name: &str) -> anyhow::Result<()> {
    page.screenshot_to_file(&shots_dir().join(format!("{name}.png")), playwright_rs::ScreenshotOptions::builder().full_page(true).build()).await?;
    Ok(())
}

/// POSTs `body` to the REST API (`/api/v1` + `path`) and returns the answer; anything but 2xx fails.
pub async fn post_json(api: &reqwest::Client, server: &end2end::TestServer, path: &str, body: serde_json::Value) -> anyhow::Result<serde_json::Value> {
    let r = api.post(server.url(&format!("/api/v1{path}"))).json(&body).send().await?;
    let status = r.status();
    let answer: serde_json::Value = r.json().await.unwrap_or(serde_json::Value::Null);
    anyhow::ensure!(status.is_success(), "POST {path}: {status} {answer}");
    Ok(answer)
}
