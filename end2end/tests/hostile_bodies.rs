//! Hostile JSON bodies on every operation of the OpenAPI document that takes one (issue 20): a
//! body built from the operation's own schema with a NUL byte in every text field, the same with
//! huge numbers in every number field, nesting 5,000 levels deep, invalid UTF-8 and a body over
//! `JSON_BODY_MAX_BYTES` (413 `body_too_large`). Each is answered 4xx in our JSON error shape (a huge number may also be accepted where any number goes)
//! — never 5xx, never a hang.

use std::time::Duration;

use end2end::TestServer;
use end2end::openapi::fill;
use serde_json::{Map, Value, json};

const PASSWORD: &str = "correct horse battery";

/// How a generated body differs from a plain one.
#[derive(Clone, Copy, PartialEq)]
enum Twist {
    Nul,
    HugeNumbers,
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str().and_then(|r| r.strip_prefix("#/")) {
        Some(path) => path.split('/').fold(doc, |v, k| &v[k]),
        None => schema,
    }
}

/// A value the schema describes (every property filled), twisted.
fn example(doc: &Value, schema: &Value, twist: Twist, depth: usize) -> Value {
    let s = resolve(doc, schema);
    if depth > 8 {
        return Value::Null;
    }
    if let Some(first) = ["oneOf", "anyOf", "allOf"].iter().find_map(|k| s[*k].as_array().and_then(|a| a.iter().find(|x| x["type"] != "null"))) {
        return example(doc, first, twist, depth + 1);
    }
    if let Some(e) = s["enum"].as_array().and_then(|e| e.first()) {
        return e.clone();
    }
    let ty = match &s["type"] {
        Value::Array(types) => types.iter().find(|t| *t != "null").and_then(Value::as_str).unwrap_or("string"),
        t => t.as_str().unwrap_or(if s["properties"].is_object() { "object" } else { "string" }),
    };
    match ty {
        "object" => {
            let mut out = Map::new();
            for (k, v) in s["properties"].as_object().into_iter().flatten() {
                out.insert(k.clone(), example(doc, v, twist, depth + 1));
            }
            Value::Object(out)
        }
        "array" => json!([example(doc, &s["items"], twist, depth + 1)]),
        "integer" | "number" if twist == Twist::HugeNumbers => json!(1e300),
        "integer" => json!(1),
        "number" => json!(1.5),
        "boolean" => json!(true),
        _ => match s["format"].as_str() {
            Some("uuid") => json!(uuid::Uuid::new_v4()),
            Some("date") => json!("2026-01-01"),
            Some("date-time") => json!("2026-01-01T00:00:00Z"),
            _ if twist == Twist::Nul => json!("a\u{0}b"),
            _ => json!("word"),
        },
    }
}

#[tokio::test]
async fn nul_bytes_huge_numbers_deep_nesting_bad_utf8_and_oversized_bodies_get_4xx_on_every_operation() -> anyhow::Result<()> {
    let server = TestServer::start(&[("AUTH_RATE_PER_MINUTE", "10000"), ("JSON_BODY_MAX_BYTES", "65536")]).await?;
    server.create_user("root", "admin", PASSWORD)?;
    let root = server.client("root", PASSWORD).await?;
    let doc: Value = root.get(server.url("/api/v1/openapi.json")).send().await?.error_for_status()?.json().await?;
    let deep = format!("{}1{}", "[".repeat(5_000), "]".repeat(5_000));
    let (mut sent, mut wrong) = (0, Vec::new());
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let Some(schema) = op["requestBody"]["content"]["application/json"]["schema"].as_object() else { continue };
            let schema = Value::Object(schema.clone());
            // Signing out or changing the password would end this session for the rest of the test.
            if path.ends_with("/auth/logout") || path.ends_with("/auth/password") {
                continue;
            }
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes())?;
            let url = server.url(&fill(path, op, None));
            let bodies: Vec<(&str, Vec<u8>)> = vec![
                ("NUL in every text", serde_json::to_vec(&example(&doc, &schema, Twist::Nul, 0))?),
                ("huge numbers", serde_json::to_vec(&example(&doc, &schema, Twist::HugeNumbers, 0))?),
                ("nesting 5,000 deep", deep.clone().into_bytes()),
                ("invalid UTF-8", b"{\"name\": \"\xff\xfe\xfd\"}".to_vec()),
                ("over the body limit", format!("{{\"name\": \"{}\"}}", "x".repeat(70_000)).into_bytes()),
            ];
            for (what, body) in bodies {
                sent += 1;
                let r = tokio::time::timeout(Duration::from_secs(10), root.request(m.clone(), &url).header("content-type", "application/json").body(body).send()).await;
                let Ok(r) = r else {
                    wrong.push(format!("{method} {path} ({what}): no answer in 10 s"));
                    continue;
                };
                let r = r?;
                let status = r.status().as_u16();
                let body: Value = r.json().await.unwrap_or(Value::Null);
                let shaped = body["error"]["code"].is_string();
                // A huge number may be acceptable where any number goes; a NUL byte, a body
                // nested past reason or not UTF-8 never is. Neither may be a 5xx or an error
                // outside our shape.
                let refused = (400..500).contains(&status) && shaped;
                let fine = match what {
                    "huge numbers" => status < 400 || refused,
                    "over the body limit" => status == 413 && body["error"]["code"] == "body_too_large",
                    _ => refused,
                };
                if !fine {
                    wrong.push(format!("{method} {path} ({what}): {status} {body}"));
                }
            }
        }
    }
    println!("{sent} hostile bodies sent");
    assert!(sent > 200, "only {sent} hostile bodies were sent");
    assert!(wrong.is_empty(), "{} of {sent} hostile bodies were mishandled:\n{}", wrong.len(), wrong.join("\n"));
    Ok(())
}
