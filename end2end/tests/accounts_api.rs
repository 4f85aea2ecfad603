//! Accounts against a running server: sessions rotate at sign-in and can be listed and ended one by
//! one or everywhere; API tokens work until revoked or expired; an admin reset forces a new
//! password; roles and assignments (with expiry) change what a user may do at once; sensitive
//! changes need a fresh sign-in; every write and sign-in attempt is audited.


use end2end::TestServer;
use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::{Value, json};

const PASSWORD: &str = "a long enough secret";

/// The `dgs_session=…` pair a response sets, if any.
fn session_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("dgs_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
}

async fn login_raw(server: &TestServer, http: &reqwest::Client, cookie: Option<&str>, user: &str, pw: &str) -> anyhow::Result<reqwest::Response> {
    let mut req = http.post(server.url("/api/v1/auth/login")).json(&json!({ "username": user, "password": pw }));
    if let Some(c) = cookie {
        req = req.header(COOKIE, c);
    }
    Ok(req.send().await?)
}

async fn me_with_cookie(server: &TestServer, http: &reqwest::Client, cookie: &str) -> anyhow::Result<u16> {
    Ok(http.get(server.url("/api/v1/auth/me")).header(COOKIE, cookie).send().await?.status().as_u16())
}

async fn anon_get_me(server: &TestServer, token: &str) -> anyhow::Result<u16> {
    Ok(reqwest::Client::new().get(server.url("/api/v1/auth/me")).bearer_auth(token).send().await?.status().as_u16())
}

#[tokio::test]
async fn sessions_rotate_and_end_one_by_one_or_everywhere() -> anyhow::Result<()> {
    let server = TestServer::start(&[]).await?;
    server.create_user("ana", "analyst", PASSWORD)?;
    server.create_user("bob", "analyst", PASSWORD)?;
    let http = reqwest::Client::new();

    // Signing in again on the same browser gives a new cookie id; the old one is dead at once.
    let r = login_raw(&server, &http, None, "ana", PASSWORD).await?;
    assert_eq!(r.status(), 200);
    let first = session_cookie(&r).ok_or_else(|| anyhow::anyhow!("no session cookie"))?;
    let set = r.headers().get(SET_COOKIE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_ascii_lowercase();
    assert!(set.contains("httponly") && set.contains("samesite=lax"), "cookie flags: {set}");
    assert_eq!(me_with_cookie(&server, &http, &first).await?, 200);
    let r = login_raw(&server, &http, Some(&first), "bob", PASSWORD).await?;
    assert_eq!(r.status(), 200);
    let second = session_cookie(&r).ok_or_else(|| anyhow::anyhow!("no rotated cookie"))?;
    assert_ne!(first, second, "sign-in must rotate the session id");
    assert_eq!(me_with_cookie(&server, &http, &first).await?, 401, "the pre-login id must not stay signed in");
    let me: Value = http.get(server.url("/api/v1/auth/me")).header(COOKIE, &second).send().await?.json().await?;
    assert_eq!(me["username"], "bob");

    // Three browsers signed in as ana.
    let x = server.client("ana", PASSWORD).await?;
    let y = server.client("ana", PASSWORD).await?;
    let z = server.client("ana", PASSWORD).await?;
    let list: Vec<Value> = x.get(server.url("/api/v1/auth/sessions")).send().await?.json().await?;
    // The first raw sign-in as ana was ended by bob's sign-in on that browser.
    assert_eq!(list.len(), 3, "{list:?}");
    assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);
    assert!(list.iter().all(|s| s["method"] == "password" && s["ip"] == "127.0.0.1"), "{list:?}");
    let y_id = {
        let mine: Vec<Value> = y.get(server.url("/api/v1/auth/sessions")).send().await?.json().await?;
        mine.iter().find(|s| s["current"] == true).and_then(|s| s["id"].as_str()).map(str::to_string).unwrap_or_default()
    };

    // Sign out one session from another.
    let r = x.delete(server.url(&format!("/api/v1/auth/sessions/{y_id}"))).send().await?;
    assert_eq!(r.status(), 204);
    assert_eq!(y.get(server.url("/api/v1/auth/me")).send().await?.status(), 401);
    // Someone else's session id is simply not found.
    let bob = server.client("bob", PASSWORD).await?;
    let xs: Vec<Value> = x.get(server.url("/api/v1/auth/sessions")).send().await?.json().await?;
    let x_id = xs.iter().find(|s| s["current"] == true).and_then(|s| s["id"].as_str()).unwrap_or_default().to_string();
    assert_eq!(bob.delete(server.url(&format!("/api/v1/auth/sessions/{x_id}"))).send().await?.status(), 404);

    // Sign out the others, then everywhere.
    assert_eq!(x.delete(server.url("/api/v1/auth/sessions?keep_current=true")).send().await?.status(), 204);
    assert_eq!(z.get(server.url("/api/v1/auth/me")).send().await?.status(), 401);
    assert_eq!(x.get(server.url("/api/v1/auth/me")).send().await?.status(), 200);
    let w = server.client("ana", PASSWORD).await?;
    assert_eq!(x.delete(server.url("/api/v1/auth/sessions")).send().await?.status(), 204);
    for c in [&x, &w] {
        assert_eq!(c.get(server.url("/api/v1/auth/me")).send().await?.status(), 401);
    }
    assert_eq!(bob.get(server.url("/api/v1/auth/me")).send().await?.status(), 200, "other users are untouched");

    // Sign-out ends the row: the same cookie replayed later is refused.
    let r = login_raw(&server, &http, None, "ana", PASSWORD).await?;
    let c = session_cookie(&r).unwrap_or_default();
    assert_eq!(http.post(server.url("/api/v1/auth/logout")).header(COOKIE, &c).send().await?.status(), 204);
    assert_eq!(me_with_cookie(&server, &http, &c).await?, 401);
    Ok(())
}

#[tokio::test]
async fn api_tokens_work_until_revoked_or_expired() -> anyhow::Result<()> {
    let server = TestServer::start(&[]).await?;
    server.create_user("ana", "analyst", PASSWORD)?;
    server.create_user("bob", "analyst", PASSWORD)?;
    let ana = server.client("ana", PASSWORD).await?;
    let bob = server.client("bob", PASSWORD).await?;
    let bare = reqwest::Client::new();

    let r = ana.post(server.url("/api/v1/tokens")).json(&json!({ "name": "nightly export" })).send().await?;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await?;
    let secret = created["token"].as_str().unwrap_or_default().to_string();
    let id = created["id"].as_str().unwrap_or_default().to_string();
    assert!(secret.starts_with("dgs_") && secret.len() > 40, "{secret}");

    // The token alone, no cookie, answers as ana.
    let me: Value = bare.get(server.url("/api/v1/auth/me")).bearer_auth(&secret).send().await?.json().await?;
    assert_eq!(me["username"], "ana");
    assert_eq!(bare.get(server.url("/api/v1/datasets")).bearer_auth(&secret).send().await?.status(), 200);

    // Listed without its secret; stored only as a hash.
    let listed = ana.get(server.url("/api/v1/tokens")).send().await?.text().await?;
    assert!(listed.contains("nightly export") && !listed.contains(&secret), "{listed}");
    let db = server.db().await?;
    let stored: Vec<u8> = sqlx::query_scalar("SELECT token_hash FROM api_tokens WHERE id = $1::uuid").bind(&id).fetch_one(&db).await?;
    assert_eq!(stored.len(), 32, "a SHA-256, not the secret");

    // Another user cannot revoke it; ana can, and it stops working at once.
    assert_eq!(bob.delete(server.url(&format!("/api/v1/tokens/{id}"))).send().await?.status(), 404);
    assert_eq!(ana.delete(server.url(&format!("/api/v1/tokens/{id}"))).send().await?.status(), 204);
    let r = bare.get(server.url("/api/v1/auth/me")).bearer_auth(&secret).send().await?;
    assert_eq!(r.status(), 401);
    let err: Value = r.json().await?;
    assert_eq!(err["error"]["code"], "unauthenticated");
    assert_eq!(bare.get(server.url("/api/v1/auth/me")).bearer_auth("dgs_not-a-real-token").send().await?.status(), 401);

    // Expiry: in the past is refused; a short one stops working when it passes.
    let past = (chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339();
    assert_eq!(ana.post(server.url("/api/v1/tokens")).json(&json!({ "name": "old", "expires_at": past })).send().await?.status(), 422);
    let beyond = (chrono::Utc::now() + chrono::Duration::days(3651)).to_rfc3339();
    let r = ana.post(server.url("/api/v1/tokens")).json(&json!({ "name": "forever-ish", "expires_at": beyond })).send().await?;
    assert_eq!(r.status(), 422, "REST caps a token's life like the account page does");
    let soon = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let short: Value = ana.post(server.url("/api/v1/tokens")).json(&json!({ "name": "short", "expires_at": soon })).send().await?.json().await?;
    let (short, short_id) = (short["token"].as_str().unwrap_or_default().to_string(), short["id"].as_str().unwrap_or_default().to_string());
    assert_eq!(bare.get(server.url("/api/v1/auth/me")).bearer_auth(&short).send().await?.status(), 200);
    // Its hour passes (moved in the database, not waited for).
    let db = server.db().await?;
    sqlx::query("UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1::uuid").bind(&short_id).execute(&db).await?;
    assert_eq!(bare.get(server.url("/api/v1/auth/me")).bearer_auth(&short).send().await?.status(), 401);

    // A token cannot mint tokens, nor do anything else that needs a fresh sign-in, and stops with
    // its deactivated owner.
    let fresh: Value = ana.post(server.url("/api/v1/tokens")).json(&json!({ "name": "pw" })).send().await?.json().await?;
    let fresh = fresh["token"].as_str().unwrap_or_default().to_string();
    let r = bare.post(server.url("/api/v1/tokens")).bearer_auth(&fresh).json(&json!({ "name": "minted by a token" })).send().await?;
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().await?["error"]["code"], "reauthentication_required");
    let r = bare.post(server.url("/api/v1/auth/password")).bearer_auth(&fresh).json(&json!({ "current": PASSWORD, "new": "a different long secret" })).send().await?;
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().await?["error"]["code"], "reauthentication_required");
    server.create_user("root", "admin", PASSWORD)?;
    let root = server.client("root", PASSWORD).await?;
    let ana_id = me["id"].as_str().unwrap_or_default();
    let r = root.patch(server.url(&format!("/api/v1/admin/users/{ana_id}"))).json(&json!({ "is_active": false })).send().await?;
    assert_eq!(r.status(), 204);
    assert_eq!(bare.get(server.url("/api/v1/auth/me")).bearer_auth(&fresh).send().await?.status(), 401);
    assert_eq!(ana.get(server.url("/api/v1/auth/me")).send().await?.status(), 401);
    Ok(())
}

#[tokio::test]
async fn roles_assignments_resets_and_audit() -> anyhow::Result<()> {
    let server = TestServer::start(&[]).await?;
    server.create_user("root", "admin", PASSWORD)?;
    server.create_user("vera", "viewer", PASSWORD)?;
    server.create_user("ana", "analyst", PASSWORD)?;
    let root = server.client("root", PASSWORD).await?;
    let vera = server.client("vera", PASSWORD).await?;
    let users: Vec<Value> = root.get(server.url("/api/v1/admin/users")).send().await?.json().await?;
    let id_of = |name: &str| users.iter().find(|u| u["username"] == name).and_then(|u| u["id"].as_str()).unwrap_or_default().to_string();
    let (vera_id, ana_id, root_id) = (id_of("vera"), id_of("ana"), id_of("root"));
    let prompt = json!({ "name": "Gastos", "template": "Clasifica", "categories": [{ "name": "Viajes" }] });

    // A viewer cannot write a prompt; an analyst role until a near expiry lets her, then it lapses.
    assert_eq!(vera.post(server.url("/api/v1/prompts")).json(&prompt).send().await?.status(), 403);
    let until = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let r = root.put(server.url(&format!("/api/v1/admin/users/{vera_id}/roles/analyst"))).json(&json!({ "expires_at": until })).send().await?;
    assert_eq!(r.status(), 204, "{}", r.text().await?);
    assert_eq!(vera.post(server.url("/api/v1/prompts")).json(&prompt).send().await?.status(), 201);
    // The hour passes (moved in the database, not waited for).
    let db = server.db().await?;
    sqlx::query("UPDATE role_assignments SET expires_at = now() - interval '1 second' WHERE user_id = $1::uuid AND role = 'analyst'")
        .bind(&vera_id)
        .execute(&db)
        .await?;
    assert_eq!(vera.post(server.url("/api/v1/prompts")).json(&prompt).send().await?.status(), 403);

    // A custom role: created, given, used; system roles cannot be deleted or redefined.
    let r = root.post(server.url("/api/v1/admin/roles")).json(&json!({ "name": "prompt-writer", "description": "Writes prompts", "permissions": ["dataset:read", "prompt:edit"] })).send().await?;
    assert_eq!(r.status(), 200, "{}", r.text().await?);
    let r = root.post(server.url("/api/v1/admin/roles")).json(&json!({ "name": "bad", "permissions": ["dataset:destroy"] })).send().await?;
    assert_eq!(r.status(), 422);
    assert_eq!(root.put(server.url(&format!("/api/v1/admin/users/{vera_id}/roles/prompt-writer"))).json(&json!({})).send().await?.status(), 204);
    assert_eq!(vera.post(server.url("/api/v1/prompts")).json(&prompt).send().await?.status(), 201);
    let me: Value = vera.get(server.url("/api/v1/auth/me")).send().await?.json().await?;
    assert!(me["permissions"].as_array().is_some_and(|p| p.contains(&json!("prompt:edit"))), "{me}");
    assert_eq!(root.delete(server.url("/api/v1/admin/roles/viewer")).send().await?.status(), 409);
    assert_eq!(root.post(server.url("/api/v1/admin/roles")).json(&json!({ "name": "admin", "permissions": [] })).send().await?.status(), 409);
    let db = server.db().await?;
    assert!(sqlx::query("DELETE FROM roles WHERE name = 'analyst'").execute(&db).await.is_err(), "the database refuses it too");
    assert_eq!(root.delete(server.url("/api/v1/admin/roles/prompt-writer")).send().await?.status(), 204);
    assert_eq!(vera.post(server.url("/api/v1/prompts")).json(&prompt).send().await?.status(), 403, "gone with its role");
    // The last administrator keeps the role, and cannot be given an end date for it.
    let r = root.delete(server.url(&format!("/api/v1/admin/users/{root_id}/roles/admin"))).send().await?;
    assert_eq!(r.status(), 409);
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let r = root.put(server.url(&format!("/api/v1/admin/users/{root_id}/roles/admin"))).json(&json!({ "expires_at": tomorrow })).send().await?;
    assert_eq!(r.status(), 409);

    // An admin reset: ana's sessions end and her tokens are revoked; her temporary password works
    // only to choose a new one.
    let ana = server.client("ana", PASSWORD).await?;
    let token: Value = ana.post(server.url("/api/v1/tokens")).json(&json!({ "name": "before reset" })).send().await?.json().await?;
    let token = token["token"].as_str().unwrap_or_default().to_string();
    assert_eq!(anon_get_me(&server, &token).await?, 200);
    let temp = "temporary passphrase forty two";
    let r = root.post(server.url(&format!("/api/v1/admin/users/{ana_id}/password-reset"))).json(&json!({ "temporary": temp })).send().await?;
    assert_eq!(r.status(), 204, "{}", r.text().await?);
    assert_eq!(ana.get(server.url("/api/v1/auth/me")).send().await?.status(), 401);
    assert_eq!(anon_get_me(&server, &token).await?, 401, "the reset revoked the token");
    let ana = server.client("ana", temp).await?;
    let ana_elsewhere = server.client("ana", temp).await?;
    let me: Value = ana.get(server.url("/api/v1/auth/me")).send().await?.json().await?;
    assert_eq!(me["must_change_password"], true);
    let r = ana.get(server.url("/api/v1/datasets")).send().await?;
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().await?["error"]["code"], "password_change_required");
    let r = ana.post(server.url("/api/v1/auth/password")).json(&json!({ "current": temp, "new": "password123" })).send().await?;
    assert_eq!(r.status(), 422, "a common password is refused");
    let r = ana.post(server.url("/api/v1/auth/password")).json(&json!({ "current": "wrong", "new": "my own new long secret" })).send().await?;
    assert_eq!(r.status(), 422, "the current password must be right");
    let r = ana.post(server.url("/api/v1/auth/password")).json(&json!({ "current": temp, "new": "my own new long secret" })).send().await?;
    assert_eq!(r.status(), 204);
    assert_eq!(ana.get(server.url("/api/v1/datasets")).send().await?.status(), 200);
    assert_eq!(ana_elsewhere.get(server.url("/api/v1/auth/me")).send().await?.status(), 401, "a password change signs out the other sessions");

    // The audit log has the sign-ins (as typed, with outcomes) and the writes; only admins read it.
    let anon = reqwest::Client::new();
    anon.post(server.url("/api/v1/auth/login")).json(&json!({ "username": "ghost", "password": "whatever it is" })).send().await?;
    let log: Vec<Value> = root.get(server.url("/api/v1/admin/audit?action=sign_in&limit=500")).send().await?.json().await?;
    let has = |who: &str, outcome: &str| log.iter().any(|e| e["actor_name"] == who && e["outcome"] == outcome && e["ip"] == "127.0.0.1");
    assert!(has("ghost", "denied") && has("ana", "ok") && has("root", "ok"), "{log:?}");
    let writes: Vec<Value> = root.get(server.url("/api/v1/admin/audit?actor=root&limit=500")).send().await?.json().await?;
    assert!(writes.iter().any(|e| e["action"].as_str().is_some_and(|a| a.starts_with("PUT /api/v1/admin/users/")) && e["outcome"] == "ok"
        && e["details"]["args"]["expires_at"].is_string()), "what was written is recorded: {writes:?}");
    let resets: Vec<Value> = root.get(server.url("/api/v1/admin/audit?action=password-reset")).send().await?.json().await?;
    assert!(resets.iter().all(|e| e["details"]["args"]["temporary"] == "***"), "secrets are blanked: {resets:?}");
    assert!(!resets.is_empty());
    assert!(writes.iter().any(|e| e["action"] == "DELETE /api/v1/admin/roles/viewer" && e["outcome"] == "failed" && e["status"] == 409), "{writes:?}");
    let denied: Vec<Value> = root.get(server.url("/api/v1/admin/audit?actor=vera&outcome=denied")).send().await?.json().await?;
    assert!(denied.iter().any(|e| e["action"] == "POST /api/v1/prompts" && e["status"] == 403), "{denied:?}");
    assert_eq!(vera.get(server.url("/api/v1/admin/audit")).send().await?.status(), 403);
    assert!(sqlx::query("DELETE FROM audit_log").execute(&db).await.is_err(), "append-only");
    assert!(sqlx::query("UPDATE audit_log SET outcome = 'ok'").execute(&db).await.is_err(), "append-only");
    Ok(())
}

#[tokio::test]
async fn sign_in_routes_are_limited_per_address_and_do_not_reveal_names() -> anyhow::Result<()> {
    let server = TestServer::start(&[("AUTH_RATE_PER_MINUTE", "6")]).await?;
    server.create_user("ana", "analyst", PASSWORD)?;
    let anon = reqwest::Client::new();
    // The same answer for a known name with a wrong password and for a name that is no account.
    let known = anon.post(server.url("/api/v1/auth/login")).json(&json!({ "username": "ana", "password": "not it at all" })).send().await?;
    let (ks, kb) = (known.status(), known.text().await?);
    let unknown = anon.post(server.url("/api/v1/auth/login")).json(&json!({ "username": "nobody", "password": "not it at all" })).send().await?;
    let (us, ub) = (unknown.status(), unknown.text().await?);
    assert_eq!((ks.as_u16(), us.as_u16()), (401, 401));
    assert_eq!(kb, ub, "the bodies must not tell the names apart");

    // Different names each time, so the per-name lockout is not what stops them.
    for i in 0..4 {
        let r = anon.post(server.url("/api/v1/auth/login")).json(&json!({ "username": format!("guess{i}"), "password": "x" })).send().await?;
        assert_eq!(r.status(), 401, "attempt {i}");
    }
    let r = anon.post(server.url("/api/v1/auth/login")).json(&json!({ "username": "guess9", "password": "x" })).send().await?;
    assert_eq!(r.status(), 429);
    assert!(r.headers().get("retry-after").is_some());
    assert_eq!(r.json::<Value>().await?["error"]["code"], "rate_limited");
    // The server-function sign-in shares the limit.
    let r = anon.post(server.url("/api/auth/login")).form(&[("username", "ana"), ("password", PASSWORD)]).send().await?;
    assert_eq!(r.status(), 429);
    // Other routes are not limited.
    assert_eq!(anon.get(server.url("/api/v1/auth/me")).send().await?.status(), 401);
    // Operators see both in the metrics.
    let metrics = anon.get(server.url("/metrics")).send().await?.text().await?;
    let line = |needle: &str| metrics.lines().find(|l| l.contains(needle)).map(str::to_string).unwrap_or_default();
    assert!(line("dgs_security_refusals_total{reason=\"rate_limited\"}").ends_with(" 2"), "{metrics}");
    assert!(line("dgs_sign_ins_total{method=\"password\",outcome=\"denied\"}").ends_with(" 6"), "{metrics}");
    Ok(())
}

#[tokio::test]
async fn a_passkey_only_account_is_invited_with_a_single_use_enrolment_link() -> anyhow::Result<()> {
    let server = TestServer::start(&[]).await?;
    server.create_user("root", "admin", PASSWORD)?;
    let root = server.client("root", PASSWORD).await?;

    // An account without a password: no password opens it, and the answer is the usual one.
    let r = root.post(server.url("/api/v1/admin/users")).json(&json!({ "username": "nora", "role": "analyst" })).send().await?;
    assert_eq!(r.status(), 201, "{}", r.text().await?);
    let nora: Value = r.json().await?;
    let anon = reqwest::Client::new();
    let r = anon.post(server.url("/api/v1/auth/login")).json(&json!({ "username": "nora", "password": "anything at all" })).send().await?;
    assert_eq!(r.status(), 401);

    // The link: created by an admin, used once.
    let link: Value = root.post(server.url(&format!("/api/v1/admin/users/{}/enrolment-link", nora["id"].as_str().unwrap_or_default())))
        .send().await?.error_for_status()?.json().await?;
    let path = link["path"].as_str().unwrap_or_default();
    let token = path.trim_start_matches("/enrol/").to_string();
    assert!(path.starts_with("/enrol/enr_") && token.len() > 40, "{link}");
    let expires = chrono::DateTime::parse_from_rfc3339(link["expires_at"].as_str().unwrap_or_default())?;
    let left = expires.signed_duration_since(chrono::Utc::now()).num_minutes();
    assert!((55..=60).contains(&left), "an hour: {left} min");
    let browser = reqwest::Client::builder().cookie_store(true).build()?;
    let r = browser.post(server.url("/api/v1/auth/enrol")).json(&json!({ "token": token })).send().await?;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await?["username"], "nora");
    let again = reqwest::Client::new().post(server.url("/api/v1/auth/enrol")).json(&json!({ "token": token })).send().await?;
    assert_eq!(again.status(), 404, "single use");

    // The visit is short and may set a password without an old one; then the password works.
    let sessions: Vec<Value> = browser.get(server.url("/api/v1/auth/sessions")).send().await?.json().await?;
    let until = chrono::DateTime::parse_from_rfc3339(sessions[0]["expires_at"].as_str().unwrap_or_default())?;
    assert!(until.signed_duration_since(chrono::Utc::now()).num_minutes() <= 60, "{sessions:?}");
    assert_eq!(sessions[0]["method"], "enrolment");
    let r = browser.post(server.url("/api/v1/auth/password")).json(&json!({ "new": "nora chose this one" })).send().await?;
    assert_eq!(r.status(), 204, "{}", r.text().await?);
    server.client("nora", "nora chose this one").await?;
    Ok(())
}
