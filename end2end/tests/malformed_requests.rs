//! Every route of the OpenAPI document, sent what it cannot read — an id that is not one, a query
//! value of the wrong type, a body that is not JSON — answers our JSON error with a 400
//! (`malformed_request`), never axum's plain text.

use end2end::TestServer;
use end2end::openapi::{fill, is_uuid, params};
use serde_json::Value;

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn every_route_answers_malformed_paths_queries_and_bodies_with_json_400() -> anyhow::Result<()> {
    let server = TestServer::start(&[("AUTH_RATE_PER_MINUTE", "10000")]).await?;
    server.create_user("root", "admin", PASSWORD)?;
    let root = server.client("root", PASSWORD).await?;
    let doc: Value = root.get(server.url("/api/v1/openapi.json")).send().await?.error_for_status()?.json().await?;
    let paths = doc["paths"].as_object().cloned().unwrap_or_default();
    assert!(paths.len() > 40, "the document lists the routes");

    let mut checked = 0;
    let mut wrong = Vec::new();
    for (path, item) in &paths {
        for (method, op) in item.as_object().into_iter().flatten() {
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes())?;
            let mut attempts: Vec<(String, reqwest::RequestBuilder)> = Vec::new();
            // A path parameter that is not what it should be: an id that is not one, a name that
            // is not UTF-8.
            for p in params(op, "path") {
                let name = p["name"].as_str().unwrap_or_default();
                let bad = if is_uuid(p) { "not-a-uuid" } else { "%FF%FE" };
                let url = server.url(&fill(path, op, Some((name, bad))));
                attempts.push((format!("path {name}"), root.request(m.clone(), url).header("content-type", "application/json").body("{}")));
            }
            // A typed query parameter with a value of another type.
            for p in params(op, "query") {
                let typed = is_uuid(p) || matches!(p["schema"]["type"].as_str(), Some("integer" | "number" | "boolean"));
                if typed {
                    let name = p["name"].as_str().unwrap_or_default();
                    let url = server.url(&format!("{}?{name}=%40%40", fill(path, op, None)));
                    attempts.push((format!("query {name}"), root.request(m.clone(), url).header("content-type", "application/json").body("{}")));
                }
            }
            // A JSON body that is not JSON.
            if op["requestBody"]["content"]["application/json"].is_object() {
                let url = server.url(&fill(path, op, None));
                attempts.push(("body".into(), root.request(m.clone(), url).header("content-type", "application/json").body("{not json")));
            }
            for (what, req) in attempts {
                let r = req.send().await?;
                let status = r.status().as_u16();
                let body: Option<Value> = r.json().await.ok();
                let code = body.as_ref().and_then(|b| b["error"]["code"].as_str().map(String::from));
                checked += 1;
                if status != 400 || code.as_deref() != Some("malformed_request") {
                    wrong.push(format!("{method} {path} ({what}): {status} {body:?}"));
                }
            }
        }
    }
    assert!(checked > 60, "only {checked} malformed requests were sent");
    assert!(wrong.is_empty(), "{} of {checked} malformed requests were not answered 400 malformed_request:\n{}", wrong.len(), wrong.join("\n"));
    println!("{checked} malformed requests over {} paths, each answered 400 malformed_request", paths.len());
    Ok(())
}
