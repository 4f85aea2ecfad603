//! schemathesis (issue 20) against the OpenAPI document, signed in with an admin's API token: every
//! operation, a fixed number of generated requests each (positive and negative, NUL bytes
//! allowed, a fixed seed so a failure can be replayed). Checks: no 5xx, and every answer matches
//! the schema the document gives for its status. `scripts/setup.sh test` installs schemathesis.

use std::process::Command;

use end2end::TestServer;
use serde_json::{Value, json};

const PASSWORD: &str = "a long enough secret";

fn schemathesis() -> String {
    std::env::var("SCHEMATHESIS").unwrap_or_else(|_| {
        let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| format!("{}/.cache/dgs/target", std::env::var("HOME").unwrap_or_default()));
        let cache = std::path::Path::new(&target).parent().map(|p| p.display().to_string()).unwrap_or_default();
        format!("{cache}/schemathesis-venv/bin/schemathesis")
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn schemathesis_finds_no_server_error_and_no_schema_violation() -> anyhow::Result<()> {
    let examples = std::env::var("SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "12".into());
    let server = TestServer::start(&[("AUTH_RATE_PER_MINUTE", "100000"), ("SHARED_RATE_PER_MINUTE", "100000")]).await?;
    server.create_user("root", "admin", PASSWORD)?;
    let session = server.client("root", PASSWORD).await?;
    let token: Value = session.post(server.url("/api/v1/tokens")).json(&json!({ "name": "schemathesis", "scope": "admin" })).send().await?.error_for_status()?.json().await?;
    let token = token["token"].as_str().unwrap_or_default().to_string();
    let report = tempfile::tempdir()?;
    let bin = schemathesis();
    let out = tokio::task::spawn_blocking({
        let (url, report) = (server.url("/api/v1/openapi.json"), report.path().to_path_buf());
        move || {
            Command::new(&bin)
                .env("PYTHONPATH", env!("CARGO_MANIFEST_DIR"))
                .env("SCHEMATHESIS_HOOKS", "schemathesis_hooks")
                .args(["run", &url, "--header", &format!("Authorization: Bearer {token}")])
                .args(["--checks", "not_a_server_error,response_schema_conformance", "--max-examples", &examples, "--seed", "20261205"])
                .args(["--phases", "examples,coverage,fuzzing", "--generation-allow-x00", "true", "--generation-database", "none", "--workers", "2", "--request-timeout", "20"])
                .args(["--no-color", "--report", "junit", "--report-dir"])
                .arg(&report)
                .output()
                .map_err(|e| anyhow::anyhow!("cannot run {bin} ({e}); `scripts/setup.sh test` installs it"))
        }
    })
    .await??;
    let text = String::from_utf8_lossy(&out.stdout);
    let tail: Vec<&str> = text.lines().rev().take(60).collect::<Vec<_>>().into_iter().rev().collect();
    println!("{}", tail.join("\n"));
    assert!(out.status.success(), "schemathesis failed:\n{text}\n{}", String::from_utf8_lossy(&out.stderr));
    Ok(())
}
