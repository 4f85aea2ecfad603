//! Passkeys in a real browser, with Chromium's virtual authenticator (DevTools WebAuthn domain):
//! sign in with a password, register a passkey, sign in with it through the browser's autofill and
//! through the "no username" button (even while the password is locked out), see the session it
//! opened, remove it (its session ends), and have the server answer 404 for the forgotten credential.
//! Screenshots of the sign-in, account and admin pages at desktop and phone widths.

mod common;

use std::time::Duration;

use common::{launch, shots_dir};
use end2end::TestServer;
use playwright_rs::{Page, ScreenshotOptions, expect};
use serde_json::{Value, json};

const PASSWORD: &str = "a long enough secret";

/// `fetch` from the page (same origin, its cookies): the status and the JSON body.
/// Waits until `selector` matches `n` elements, across a navigation the page makes meanwhile (a
/// query that meets the old document going away is asked again of the new one).
async fn wait_for_count(page: &Page, selector: &str, n: usize, timeout: Duration) -> anyhow::Result<()> {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let seen = page.locator(selector).count().await;
        if matches!(seen, Ok(c) if c == n) {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            anyhow::bail!("{selector} did not reach {n} elements in {timeout:?} (last: {seen:?})");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn fetch(page: &Page, method: &str, path: &str) -> anyhow::Result<(u16, Value)> {
    let script = format!(
        "async () => {{ const r = await fetch({path:?}, {{ method: {method:?}, credentials: 'same-origin' }}); \
         const t = await r.text(); let j = null; try {{ j = JSON.parse(t); }} catch (_) {{}} return [r.status, j]; }}"
    );
    // A navigation the page started itself (after a sign-in) can replace the document under the
    // call: wait a moment and ask the new one.
    let mut last = None;
    for _ in 0..5 {
        match page.evaluate::<(), (u16, Value)>(&script, None).await {
            Ok(answer) => return Ok(answer),
            Err(e) if e.to_string().contains("Execution context was destroyed") => {
                last = Some(e);
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(last.map(anyhow::Error::from).unwrap_or_else(|| anyhow::anyhow!("fetch {path} failed")))
}

async fn shots(page: &Page, name: &str) -> anyhow::Result<()> {
    page.screenshot_to_file(&shots_dir().join(format!("{name}-desktop.png")), ScreenshotOptions::builder().full_page(true).build()).await?;
    page.set_viewport_size(playwright_rs::protocol::Viewport { width: 390, height: 844 }).await?;
    page.screenshot_to_file(&shots_dir().join(format!("{name}-phone.png")), ScreenshotOptions::builder().full_page(true).build()).await?;
    page.set_viewport_size(playwright_rs::protocol::Viewport { width: 1280, height: 900 }).await?;
    Ok(())
}

async fn sign_out(page: &Page) -> anyhow::Result<()> {
    let (status, _) = fetch(page, "POST", "/api/v1/auth/logout").await?;
    anyhow::ensure!(status == 204, "logout answered {status}");
    Ok(())
}

/// The virtual authenticator: a platform passkey store that verifies the user and says yes.
async fn virtual_authenticator(page: &Page) -> anyhow::Result<(playwright_rs::protocol::CDPSession, String)> {
    let cdp = page.context()?.new_cdp_session(page).await?;
    cdp.send("WebAuthn.enable", Some(json!({ "enableUI": false }))).await?;
    let added = cdp
        .send(
            "WebAuthn.addVirtualAuthenticator",
            Some(json!({ "options": { "protocol": "ctap2", "transport": "internal", "hasResidentKey": true,
                "hasUserVerification": true, "isUserVerified": true, "automaticPresenceSimulation": true } })),
        )
        .await?;
    let authenticator = added["result"]["authenticatorId"].as_str().or(added["authenticatorId"].as_str()).unwrap_or_default().to_string();
    anyhow::ensure!(!authenticator.is_empty(), "no authenticator id in {added}");
    Ok((cdp, authenticator))
}

#[tokio::test]
async fn register_a_passkey_and_sign_in_with_it_and_with_a_password() -> anyhow::Result<()> {
    let server = TestServer::start(&[]).await?;
    server.create_user("ana", "admin", PASSWORD)?;
    let (_pw, _browser, page) = launch().await?;
    page.on_dialog(|d| async move { d.accept(None).await }).await?;

    let (cdp, authenticator) = virtual_authenticator(&page).await?;
    let credentials = || async {
        let r = cdp.send("WebAuthn.getCredentials", Some(json!({ "authenticatorId": authenticator }))).await?;
        let list = r["result"]["credentials"].as_array().or(r["credentials"].as_array()).cloned().unwrap_or_default();
        anyhow::Ok(list)
    };

    // 1. Sign in with the password.
    page.goto(&server.url("/login"), None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    shots(&page, "login").await?;
    page.locator("input[name=username]").fill("ana", None).await?;
    page.locator("input[name=password]").fill(PASSWORD, None).await?;
    page.locator("form button[type=submit]").click(None).await?;
    page.wait_for_url("**/datasets", None).await?;
    expect(page.locator("[data-testid=who]")).to_contain_text("ana").await?;

    // 2. Register a passkey from the account page.
    page.goto(&server.url("/account"), None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    expect(page.locator("[data-testid=no-passkeys]")).to_be_visible().await?;
    page.locator("[data-testid=passkey-name]").fill("Portátil", None).await?;
    page.locator("[data-testid=add-passkey]").click(None).await?;
    // The page reloads itself once the passkey is stored: count the rows of whichever document is up.
    wait_for_count(&page, "[data-testid=passkeys] tbody tr", 1, Duration::from_secs(20)).await?;
    let held = credentials().await?;
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["isResidentCredential"], true, "a discoverable credential: {held:?}");
    let (_, mine) = fetch(&page, "GET", "/api/v1/auth/passkeys").await?;
    assert_eq!(mine[0]["name"], "Portátil");
    shots(&page, "account").await?;

    // 3. A password lockout does not stop the passkey: five wrong passwords lock the name.
    let anon = reqwest::Client::new();
    for _ in 0..5 {
        anon.post(server.url("/api/v1/auth/login")).json(&json!({ "username": "ana", "password": "wrong wrong" })).send().await?;
    }
    let r = anon.post(server.url("/api/v1/auth/login")).json(&json!({ "username": "ana", "password": PASSWORD })).send().await?;
    assert_eq!(r.status(), 429, "the password is locked");

    // 4. Sign in through the browser's autofill: the username field offers the passkey (conditional
    // mediation); the virtual authenticator picks it at once.
    sign_out(&page).await?;
    page.goto(&server.url("/login"), None).await?;
    page.wait_for_url("**/datasets", None).await?;
    expect(page.locator("[data-testid=who]")).to_contain_text("ana").await?;
    let (_, sessions) = fetch(&page, "GET", "/api/v1/auth/sessions").await?;
    let current = sessions.as_array().and_then(|s| s.iter().find(|s| s["current"] == true).cloned()).unwrap_or_default();
    assert_eq!((current["method"].as_str(), current["passkey_name"].as_str()), (Some("passkey"), Some("Portátil")), "{sessions}");

    // 5. The "no username" button, with autofill switched off in this browser.
    sign_out(&page).await?;
    page.add_init_script("PublicKeyCredential.isConditionalMediationAvailable = async () => false;").await?;
    page.goto(&server.url("/login"), None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    assert!(page.url().contains("/login"), "no autofill this time");
    page.locator("[data-testid=passkey-sign-in]").click(None).await?;
    page.wait_for_url("**/datasets", None).await?;
    let (status, me) = fetch(&page, "GET", "/api/v1/auth/me").await?;
    assert_eq!((status, me["username"].as_str()), (200, Some("ana")));
    let sign_count_before = mine[0]["sign_count"].as_i64().unwrap_or_default();
    let (_, mine) = fetch(&page, "GET", "/api/v1/auth/passkeys").await?;
    assert!(mine[0]["last_used_at"].is_string(), "last use recorded: {mine}");
    assert!(mine[0]["sign_count"].as_i64().unwrap_or_default() >= sign_count_before, "{mine}");

    // The admin pages, while signed in as an admin.
    for (path, name) in [("/admin/users", "admin-users"), ("/admin/roles", "admin-roles"), ("/admin/audit", "admin-audit")] {
        page.goto(&server.url(path), None).await?;
        page.locator("body[data-hydrated=true]").wait_for(None).await?;
        shots(&page, name).await?;
    }
    expect(page.locator("[data-testid=audit] tbody tr").first()).to_be_visible().await?;

    // 6. Remove the passkey from the account page: the session it opened (this one) ends.
    page.goto(&server.url("/account"), None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    page.locator("[data-testid=remove-passkey]").click(None).await?;
    let mut ended = false;
    for _ in 0..50 {
        if fetch(&page, "GET", "/api/v1/auth/me").await?.0 == 401 {
            ended = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ended, "the session opened with the removed passkey must end");

    // 7. The authenticator still holds the credential; the server no longer knows it: 404.
    page.goto(&server.url("/login"), None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    page.locator("[data-testid=passkey-sign-in]").click(None).await?;
    expect(page.locator("[data-passkey-status]")).with_timeout(Duration::from_secs(15)).to_contain_text("no está registrada").await?;
    let db = server.db().await?;
    let denied: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'sign_in' AND outcome = 'denied' AND details->>'method' = 'passkey'")
        .fetch_one(&db)
        .await?;
    assert_eq!(denied, 1, "the refused passkey sign-in is audited");
    common::assert_no_console_errors();
    Ok(())
}

#[tokio::test]
async fn an_invited_user_enrols_a_passkey_from_the_link_and_signs_in_with_it() -> anyhow::Result<()> {
    let server = TestServer::start(&[]).await?;
    server.create_user("root", "admin", PASSWORD)?;
    let root = server.client("root", PASSWORD).await?;
    let nora: Value = root.post(server.url("/api/v1/admin/users")).json(&json!({ "username": "nora", "role": "analyst" })).send().await?.error_for_status()?.json().await?;
    let link: Value = root.post(server.url(&format!("/api/v1/admin/users/{}/enrolment-link", nora["id"].as_str().unwrap_or_default())))
        .send().await?.error_for_status()?.json().await?;

    let (_pw, _browser, page) = launch().await?;
    let _authenticator = virtual_authenticator(&page).await?;
    page.goto(&server.url(link["path"].as_str().unwrap_or_default()), None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    page.locator("[data-testid=enrol-continue]").click(None).await?;
    expect(page.locator("[data-testid=enrol-welcome]")).to_contain_text("nora").await?;
    shots(&page, "enrol").await?;
    page.locator("[data-passkey=register]").click(None).await?;
    page.wait_for_url("**/datasets", None).await?;

    // A passkey-only account: sign out, then in again with the passkey alone.
    sign_out(&page).await?;
    page.goto(&server.url("/login"), None).await?;
    page.wait_for_url("**/datasets", None).await?;
    let (status, me) = fetch(&page, "GET", "/api/v1/auth/me").await?;
    assert_eq!((status, me["username"].as_str()), (200, Some("nora")));
    let (_, keys) = fetch(&page, "GET", "/api/v1/auth/passkeys").await?;
    assert_eq!(keys.as_array().map(Vec::len), Some(1), "{keys}");
    common::assert_no_console_errors();
    Ok(())
}
