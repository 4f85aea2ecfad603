//! Prompts through the REST API: create, save a version, read it back, duplicate, default.

use end2end::TestServer;
use serde_json::{Value, json};

const PASSWORD: &str = "a long enough secret";

#[tokio::test]
async fn prompts_are_versioned_over_rest() -> anyhow::Result<()> {
    let server = TestServer::start(&[]).await?;
    server.create_user("ana", "analyst", PASSWORD)?;
    server.create_user("root", "admin", PASSWORD)?;
    let ana = server.client("ana", PASSWORD).await?;
    let body = json!({"name": "Gastos", "template": "Clasifica.", "categories": [
        {"name": "Viajes", "description": "transporte", "keywords": ["taxi"]},
        {"name": "Suministros", "keywords": ["luz"]}]});
    let r = ana.post(server.url("/api/v1/prompts")).json(&body).send().await?;
    assert_eq!(r.status(), 201);
    let v1: Value = r.json().await?;
    let id = v1["prompt_id"].as_str().unwrap_or_default().to_string();
    assert!(v1["compiled"].as_str().is_some_and(|c| c.contains("2. Suministros")));

    let r = ana.post(server.url(&format!("/api/v1/prompts/{id}/versions"))).json(&json!({"template": "Clasifica bien.", "categories": [{"name": "Viajes"}]})).send().await?;
    assert_eq!(r.status(), 201);
    let v2: Value = r.json().await?;
    assert_eq!(v2["version"], 2);
    let versions: Value = ana.get(server.url(&format!("/api/v1/prompts/{id}/versions"))).send().await?.json().await?;
    assert_eq!(versions.as_array().map(Vec::len), Some(2));
    let one: Value = ana.get(server.url(&format!("/api/v1/prompt-versions/{}", v1["id"].as_str().unwrap_or_default()))).send().await?.json().await?;
    assert_eq!(one["template"], "Clasifica.", "version 1 is unchanged");

    let r = ana.post(server.url("/api/v1/prompts")).json(&json!({"name": "Bad", "template": "x", "categories": []})).send().await?;
    assert_eq!(r.status(), 422);
    let r = ana.put(server.url(&format!("/api/v1/prompts/{id}/default"))).send().await?;
    assert_eq!(r.status(), 403);
    let root = server.client("root", PASSWORD).await?;
    assert_eq!(root.put(server.url(&format!("/api/v1/prompts/{id}/default"))).send().await?.status(), 204);
    let list: Value = ana.get(server.url("/api/v1/prompts")).send().await?.json().await?;
    assert_eq!(list[0]["id"].as_str(), Some(id.as_str()), "the default comes first");
    assert_eq!(list[0]["is_default"], true);

    let r = ana.post(server.url(&format!("/api/v1/prompts/{id}/duplicate"))).json(&json!({"name": "Mi copia"})).send().await?;
    assert_eq!(r.status(), 201);
    Ok(())
}
