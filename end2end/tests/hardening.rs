//! What a hostile or careless client can no longer do: buffer a huge body, hold the server with slow
//! sockets, crash an upload with NUL bytes or a 100 kB cell, overflow a page offset, invent metric
//! labels, read the metrics, find usernames, make the setup page hash, or use a token beyond its
//! scope or after a password change.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use end2end::{TestServer, upload_and_run, wait_run};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

const PASSWORD: &str = "correct horse battery";

fn port(server: &TestServer) -> u16 {
    server.base.rsplit(':').next().and_then(|p| p.parse().ok()).unwrap_or_default()
}

/// A socket to the server from `from` (any 127.x address is this machine).
async fn connect_from(server: &TestServer, from: &str) -> anyhow::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(format!("{from}:0").parse()?)?;
    Ok(socket.connect(format!("127.0.0.1:{}", port(server)).parse()?).await?)
}

/// Reads what the server answered until it closes or `limit` passes.
async fn read_answer(stream: &mut TcpStream, limit: Duration) -> String {
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(limit, async {
        let mut chunk = [0u8; 4096];
        while let Ok(n) = stream.read(&mut chunk).await {
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
            if String::from_utf8_lossy(&buf).contains("\"error\"") && buf.ends_with(b"}") {
                break;
            }
        }
    })
    .await;
    String::from_utf8_lossy(&buf).into_owned()
}

#[tokio::test]
async fn huge_bodies_are_refused_before_they_are_read_and_slow_sockets_starve_no_one() -> anyhow::Result<()> {
    let server = TestServer::start(&[("HEADER_READ_TIMEOUT_SECS", "2"), ("MAX_CONNECTIONS_PER_ADDRESS", "100")]).await?;
    server.create_user("ana", "analyst", PASSWORD)?;

    // 50 MB announced: 413 in our JSON shape at once, after a few kilobytes were sent.
    let mut s = connect_from(&server, "127.0.0.1").await?;
    let started = Instant::now();
    let head = format!("POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost:{}\r\nContent-Type: application/json\r\nContent-Length: 52428800\r\n\r\n", port(&server));
    s.write_all(head.as_bytes()).await?;
    s.write_all(&[b' '; 8192]).await?;
    let answer = read_answer(&mut s, Duration::from_secs(5)).await;
    let took = started.elapsed();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"code\":\"body_too_large\""), "{answer}");
    assert!(took < Duration::from_secs(2), "the refusal took {took:?}");

    // Without a length (chunked), the body is cut where it passes the limit: 413 again.
    let mut s = connect_from(&server, "127.0.0.1").await?;
    let head = format!("POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost:{}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n", port(&server));
    s.write_all(head.as_bytes()).await?;
    let (mut rd, mut wr) = s.into_split();
    let writer = tokio::spawn(async move {
        let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, " ".repeat(64 * 1024));
        for _ in 0..32 {
            if wr.write_all(chunk.as_bytes()).await.is_err() {
                break;
            }
        }
    });
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), rd.read(&mut buf)).await??;
    let answer = String::from_utf8_lossy(&buf[..n]).to_string();
    writer.abort();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    // 200 sockets trickling their headers from one address.
    let mut slow = Vec::new();
    for _ in 0..200 {
        if let Ok(mut s) = connect_from(&server, "127.0.0.1").await {
            let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ").await;
            slow.push(s);
        }
    }
    // A client from another address is served at once...
    let other = reqwest::Client::builder().local_address("127.0.0.2".parse::<IpAddr>()?).timeout(Duration::from_secs(2)).build()?;
    for _ in 0..5 {
        let started = Instant::now();
        let r = other.get(server.url("/healthz")).send().await?;
        assert_eq!(r.status(), 200);
        assert!(started.elapsed() < Duration::from_secs(1), "served in {:?}", started.elapsed());
    }
    // ...and the slow ones are cut when their header time is up: waited for (the server closing
    // them), not guessed with a sleep; 15 s in all is far past the 2 s limit.
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut closed = 0;
    for s in &mut slow {
        let mut b = [0u8; 512];
        match tokio::time::timeout(deadline.saturating_duration_since(Instant::now()), s.read(&mut b)).await {
            Ok(Ok(_)) | Ok(Err(_)) => closed += 1,
            Err(_) => {}
        }
    }
    assert_eq!(closed, slow.len(), "every slow socket was answered or closed");
    // With them gone, the same address is served again.
    let started = Instant::now();
    let r = reqwest::Client::builder().timeout(Duration::from_secs(2)).build()?.get(server.url("/healthz")).send().await?;
    assert_eq!(r.status(), 200);
    assert!(started.elapsed() < Duration::from_secs(1));
    Ok(())
}

#[tokio::test]
async fn nul_bytes_long_cells_and_huge_offsets_get_answers_not_500s() -> anyhow::Result<()> {
    let server = TestServer::start(&[]).await?;
    server.create_user("ana", "analyst", PASSWORD)?;
    let ana = server.client("ana", PASSWORD).await?;
    let upload = |name: &str, bytes: Vec<u8>| {
        let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()));
        ana.post(server.url("/api/v1/uploads")).multipart(form).send()
    };

    // NUL in a CSV header and in a JSON key: the column keeps its name without it.
    let r = upload("nul.csv", b"fe\0cha,concepto\n2024-01-01,taxi\n".to_vec()).await?;
    assert_eq!(r.status(), 201, "{}", r.text().await?);
    let u: Value = r.json().await?;
    let names: Vec<&str> = u["files"][0]["columns"].as_array().into_iter().flatten().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names, ["fecha", "concepto"]);
    let r = upload("nul.jsonl", b"{\"con\\u0000cepto\": \"taxi\", \"x\": 1}\n{\"con\\u0000cepto\": \"tren\", \"late\\u0000key\": 2}\n".to_vec()).await?;
    assert_eq!(r.status(), 201, "{}", r.text().await?);
    let u: Value = r.json().await?;
    let names: Vec<&str> = u["files"][0]["columns"].as_array().into_iter().flatten().filter_map(|c| c["name"].as_str()).collect();
    assert!(names.contains(&"concepto"), "{names:?}");

    // A 100 kB description is a line like any other.
    let long = "proveedor ".repeat(10_000);
    let csv = format!("concepto\n{long}\ntaxi\n{long}\n");
    let (dataset, run) = upload_and_run(&server, &ana, "largo.csv", csv.into_bytes(), "concepto").await?;
    assert_eq!(dataset["unique_lines"], 2, "{dataset}");
    let run_id = run["id"].as_str().unwrap_or_default().to_string();
    wait_run(&server, &ana, &run_id, Duration::from_secs(60), |r| r["status"] == "succeeded").await?;

    // Offsets past any table: a clear 422, never an overflow.
    let dataset_id = dataset["id"].as_str().unwrap_or_default();
    for path in [format!("/api/v1/runs/{run_id}/results?offset=9223372036854775807"), format!("/api/v1/datasets/{dataset_id}/rows?offset=9223372036854775807")] {
        let r = ana.get(server.url(&path)).send().await?;
        assert_eq!(r.status(), 422, "{path}");
        let body: Value = r.json().await?;
        assert_eq!(body["error"]["code"], "invalid_input", "{body}");
        assert!(body["error"]["message"].as_str().unwrap_or_default().contains("offset"), "{body}");
    }
    Ok(())
}

#[tokio::test]
async fn metrics_are_bounded_and_private() -> anyhow::Result<()> {
    let server = TestServer::start(&[("METRICS_ALLOW", "127.0.0.1/32"), ("METRICS_TOKEN", "scrape-secret-123")]).await?;
    let plain = reqwest::Client::new();
    for m in ["ZZTEST1", "ZZTEST2", "BREW"] {
        plain.request(reqwest::Method::from_bytes(m.as_bytes())?, server.url("/healthz")).send().await?;
    }
    let text = plain.get(server.url("/metrics")).send().await?.error_for_status()?.text().await?;
    assert!(!text.contains("ZZTEST"), "invented methods became labels");
    assert!(text.contains("method=\"other\""), "they share one label");
    // From elsewhere: only with the token.
    let other = reqwest::Client::builder().local_address("127.0.0.2".parse::<IpAddr>()?).build()?;
    let r = other.get(server.url("/metrics")).send().await?;
    assert_eq!(r.status(), 403);
    assert!(r.json::<Value>().await?["error"]["code"].is_string());
    let r = other.get(server.url("/metrics")).bearer_auth("wrong").send().await?;
    assert_eq!(r.status(), 403);
    let r = other.get(server.url("/metrics")).bearer_auth("scrape-secret-123").send().await?;
    assert_eq!(r.status(), 200);
    Ok(())
}

#[tokio::test]
async fn names_versions_and_setup_tell_nothing_and_cost_nothing() -> anyhow::Result<()> {
    let server = TestServer::start(&[]).await?;
    server.create_user("ana", "analyst", PASSWORD)?;
    server.create_user("bruno", "analyst", PASSWORD)?;
    let ana = server.client("ana", PASSWORD).await?;
    let bruno = server.client("bruno", PASSWORD).await?;
    let (dataset, _) = upload_and_run(&server, &ana, "a.csv", b"concepto\ntaxi\n".to_vec(), "concepto").await?;
    let id = dataset["id"].as_str().unwrap_or_default();

    // Sharing with a real name and with an invented one: the same answer.
    let share = |name: &'static str| ana.post(server.url(&format!("/api/v1/datasets/{id}/shares"))).json(&json!({ "username": name })).send();
    let (known, unknown) = (share("bruno").await?, share("nadie-con-este-nombre").await?);
    assert_eq!((known.status(), unknown.status()), (reqwest::StatusCode::NO_CONTENT, reqwest::StatusCode::NO_CONTENT));
    assert_eq!(known.text().await?, unknown.text().await?);

    // A private prompt version and one that does not exist: the same answer.
    let draft = json!({ "name": "privado", "template": "t", "categories": [{ "name": "A" }, { "name": "B" }] });
    let mine: Value = ana.post(server.url("/api/v1/prompts")).json(&draft).send().await?.error_for_status()?.json().await?;
    let private = bruno.get(server.url(&format!("/api/v1/prompt-versions/{}", mine["id"].as_str().unwrap_or_default()))).send().await?;
    let missing = bruno.get(server.url(&format!("/api/v1/prompt-versions/{}", uuid::Uuid::new_v4()))).send().await?;
    assert_eq!((private.status(), missing.status()), (reqwest::StatusCode::NOT_FOUND, reqwest::StatusCode::NOT_FOUND));
    assert_eq!(private.text().await?, missing.text().await?);

    // Setup once users exist: refused before any password is judged or hashed.
    let anon = reqwest::Client::new();
    let form = [("username", "mallory"), ("password", "a very long and fine password 123")];
    let started = Instant::now();
    let r = anon.post(server.url("/api/auth/setup")).form(&form).send().await?;
    let setup = started.elapsed();
    assert_eq!(r.status(), 409);
    let started = Instant::now();
    let r = anon.post(server.url("/api/v1/auth/login")).json(&json!({ "username": "mallory", "password": "wrong password here" })).send().await?;
    let login = started.elapsed();
    assert_eq!(r.status(), 401);
    assert!(setup * 3 < login, "setup took {setup:?}, a hashed sign-in {login:?}");
    Ok(())
}

#[tokio::test]
async fn tokens_act_within_their_scope_and_die_with_the_password() -> anyhow::Result<()> {
    let server = TestServer::start(&[]).await?;
    server.create_user("ana", "analyst", PASSWORD)?;
    server.create_user("root", "admin", PASSWORD)?;
    let ana = server.client("ana", PASSWORD).await?;
    let root = server.client("root", PASSWORD).await?;
    let mint = |c: &reqwest::Client, scope: Option<&str>| {
        let mut body = json!({ "name": format!("t-{scope:?}") });
        if let Some(s) = scope {
            body["scope"] = json!(s);
        }
        c.post(server.url("/api/v1/tokens")).json(&body).send()
    };
    let token = |v: &Value| v["token"].as_str().unwrap_or_default().to_string();
    let read: Value = mint(&ana, Some("read")).await?.error_for_status()?.json().await?;
    let write: Value = mint(&ana, None).await?.error_for_status()?.json().await?;
    assert_eq!((read["scope"].as_str(), write["scope"].as_str()), (Some("read"), Some("write")));
    assert_eq!(mint(&ana, Some("admin")).await?.status(), 403, "an analyst has nothing to administer");
    let admin_token: Value = mint(&root, Some("admin")).await?.error_for_status()?.json().await?;
    let root_write: Value = mint(&root, Some("write")).await?.error_for_status()?.json().await?;

    let api = reqwest::Client::new();
    let get = |t: String, path: &str| api.get(server.url(path)).bearer_auth(t).send();
    let new_prompt = json!({ "name": "p", "template": "t", "categories": [{ "name": "A" }] });
    assert_eq!(get(token(&read), "/api/v1/datasets").await?.status(), 200);
    let r = api.post(server.url("/api/v1/prompts")).bearer_auth(token(&read)).json(&new_prompt).send().await?;
    assert_eq!(r.status(), 403, "a read token writes nothing");
    let r = api.post(server.url("/api/v1/prompts")).bearer_auth(token(&write)).json(&new_prompt).send().await?;
    assert_eq!(r.status(), 201);
    assert_eq!(get(token(&root_write), "/api/v1/admin/users").await?.status(), 403, "administration needs an admin token");
    assert_eq!(get(token(&admin_token), "/api/v1/admin/users").await?.status(), 200);
    let listed: Vec<Value> = ana.get(server.url("/api/v1/tokens")).send().await?.json().await?;
    assert!(listed.iter().any(|t| t["scope"] == "read") && listed.iter().any(|t| t["scope"] == "write"), "{listed:?}");

    // Her own password change: her tokens stop.
    ana.post(server.url("/api/v1/auth/password"))
        .json(&json!({ "current": PASSWORD, "new": "another fine long passphrase 42" }))
        .send()
        .await?
        .error_for_status()?;
    assert_eq!(get(token(&read), "/api/v1/datasets").await?.status(), 401);
    assert_eq!(get(token(&write), "/api/v1/datasets").await?.status(), 401);
    assert_eq!(get(token(&admin_token), "/api/v1/admin/users").await?.status(), 200, "someone else's stay");
    Ok(())
}

#[tokio::test]
async fn behind_an_https_proxy_cookies_are_secure_and_hsts_is_sent() -> anyhow::Result<()> {
    // Listening on loopback, reached by browsers over HTTPS through a proxy on the same host.
    let server = TestServer::start(&[("PUBLIC_URL", "https://localhost")]).await?;
    server.create_user("ana", "analyst", PASSWORD)?;
    let r = reqwest::Client::new()
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({ "username": "ana", "password": PASSWORD }))
        .send()
        .await?;
    assert_eq!(r.status(), 200);
    let cookie = r.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(cookie.contains("Secure") && cookie.contains("HttpOnly"), "{cookie}");
    assert!(r.headers().get("strict-transport-security").is_some(), "no HSTS behind HTTPS");
    Ok(())
}
