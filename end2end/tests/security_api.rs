//! Protections at the edge of a running server: a write sent from another site's page is refused
//! before it reaches a handler, the same write from the app's own origin goes through, and every
//! response carries the security headers; repeated wrong passwords lock a name.

use end2end::TestServer;
use serde_json::{Value, json};

const PASSWORD: &str = "a long enough secret";

#[tokio::test]
async fn writes_from_other_sites_are_refused_and_headers_are_set() -> anyhow::Result<()> {
    let server = TestServer::start(&[]).await?;
    server.create_user("ana", "analyst", PASSWORD)?;
    let ana = server.client("ana", PASSWORD).await?;
    let own_origin = server.url("");
    let body = json!({ "name": "Gastos", "template": "Clasifica", "categories": [{ "name": "Viajes" }] });

    // A page on another site posting with ana's cookie: refused, and nothing is created.
    let r = ana.post(server.url("/api/v1/prompts")).header("Origin", "https://evil.example").json(&body).send().await?;
    assert_eq!(r.status(), 403);
    let err: Value = r.json().await?;
    assert_eq!(err["error"]["code"], "forbidden_origin");
    assert!(err["error"]["message"].as_str().unwrap_or_default().contains("evil.example"));
    let r = ana.post(server.url("/api/v1/prompts")).header("Referer", "https://evil.example/page").json(&body).send().await?;
    assert_eq!(r.status(), 403, "a Referer from another site is refused too");
    let r = ana.delete(server.url("/api/v1/uploads/00000000-0000-0000-0000-000000000000")).header("Origin", "null").send().await?;
    assert_eq!(r.status(), 403, "an opaque origin cannot be this site");
    let prompts: Value = ana.get(server.url("/api/v1/prompts")).header("Origin", "https://evil.example").send().await?.json().await?;
    let names: Vec<&str> = prompts.as_array().map(|a| a.iter().filter_map(|p| p["name"].as_str()).collect()).unwrap_or_default();
    assert!(!names.contains(&"Gastos"), "the refused write created nothing: {names:?}");

    // The same write from the app's own pages, or from a program that sends no Origin, goes through.
    let r = ana.post(server.url("/api/v1/prompts")).header("Origin", own_origin.trim_end_matches('/')).json(&body).send().await?;
    assert_eq!(r.status(), 201, "{}", r.text().await?);
    let r = ana.post(server.url("/api/v1/prompts")).json(&json!({ "name": "Otro", "template": "t", "categories": [{ "name": "A" }] })).send().await?;
    assert_eq!(r.status(), 201);

    // Every response, pages and API alike, carries the security headers.
    for path in ["/", "/api/v1/prompts", "/healthz"] {
        let r = ana.get(server.url(path)).send().await?;
        let h = r.headers();
        assert_eq!(h.get("x-content-type-options").and_then(|v| v.to_str().ok()), Some("nosniff"), "{path}");
        assert_eq!(h.get("x-frame-options").and_then(|v| v.to_str().ok()), Some("DENY"), "{path}");
        assert!(h.get("content-security-policy").and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("frame-ancestors 'none'")), "{path}");
        assert!(h.get("referrer-policy").is_some(), "{path}");
    }

    // Five wrong passwords lock the name: the sixth try, even with the right password, gets 429
    // with Retry-After; a name that is no account locks the same way.
    for who in ["ana", "ghost"] {
        let anon = reqwest::Client::new();
        for _ in 0..5 {
            let r = anon.post(server.url("/api/v1/auth/login")).json(&json!({ "username": who, "password": "not the secret" })).send().await?;
            assert_eq!(r.status(), 401, "{who}");
        }
        let r = anon.post(server.url("/api/v1/auth/login")).json(&json!({ "username": who, "password": PASSWORD })).send().await?;
        assert_eq!(r.status(), 429, "{who}");
        assert!(r.headers().get("retry-after").is_some(), "{who}");
        let err: Value = r.json().await?;
        assert_eq!(err["error"]["code"], "too_many_attempts", "{who}");
    }
    Ok(())
}
