//! A running `dgs` for tests: its own database, data folder and port, started and stopped as a real
//! process so tests can kill it, send it SIGTERM and start it again.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::Value;

pub mod openapi;
mod private_pg;
pub use private_pg::PrivatePostgres;

pub struct TestServer {
    pub base: String,
    pub database_url: String,
    admin_url: String,
    db_name: String,
    env: Vec<(String, String)>,
    child: Option<Child>,
    _data_dir: tempfile::TempDir,
}

fn binary() -> String {
    let bin = std::env::var("DGS_BIN").unwrap_or_else(|_| {
        let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "../target".into());
        format!("{target}/debug/dgs")
    });
    if let Some(newer) = source_newer_than(&bin) {
        panic!("{bin} is older than {newer}: these tests would run yesterday's server; build it first (`cargo leptos build`)");
    }
    bin
}

/// A source file built into the server (its crates and migrations) changed after `bin` was built.
fn source_newer_than(bin: &str) -> Option<String> {
    let built = std::fs::metadata(bin).and_then(|m| m.modified()).unwrap_or_else(|e| panic!("no server binary at {bin}: {e}"));
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent()?;
    let mut stack: Vec<std::path::PathBuf> = ["app", "engine/src", "server/src", "migrations"].iter().map(|d| root.join(d)).collect();
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if entry.metadata().and_then(|m| m.modified()).is_ok_and(|m| m > built) {
                return Some(path.display().to_string());
            }
        }
    }
    None
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl TestServer {
    /// Starts `dgs serve` on a fresh database with `extra` environment variables.
    pub async fn start(extra: &[(&str, &str)]) -> anyhow::Result<Self> {
        let admin_url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        Self::start_on(&admin_url, extra).await
    }

    /// The same on a database made through `admin_url` (e.g. a `PrivatePostgres` a test stops).
    pub async fn start_on(admin_url: &str, extra: &[(&str, &str)]) -> anyhow::Result<Self> {
        let admin_url = admin_url.to_string();
        let db_name = format!("dgs_e2e_{}", uuid::Uuid::new_v4().simple());
        let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url).await?;
        // The name is ours (a uuid), never user input.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db_name}"))).execute(&mut admin).await?;
        let database_url = match admin_url.rsplit_once('/') {
            Some((base, _)) => format!("{base}/{db_name}"),
            None => bail!("DATABASE_URL has no database name"),
        };
        let port = free_port()?;
        let data_dir = tempfile::tempdir()?;
        let site_root = std::env::var("LEPTOS_SITE_ROOT")
            .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../target/site").into());
        let mut env: Vec<(String, String)> = vec![
            ("DATABASE_URL".into(), database_url.clone()),
            ("LEPTOS_SITE_ADDR".into(), format!("127.0.0.1:{port}")),
            ("LEPTOS_SITE_ROOT".into(), site_root),
            ("DATA_DIR".into(), data_dir.path().display().to_string()),
            ("RUST_LOG".into(), "warn".into()),
            // Test servers share the machine's Redis; each gets its own queue, as its own database.
            ("JOB_QUEUE".into(), format!("dgs-runs-{db_name}")),
        ];
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let mut server = TestServer {
            base: format!("http://localhost:{port}"),
            database_url,
            admin_url,
            db_name,
            env,
            child: None,
            _data_dir: data_dir,
        };
        server.spawn().await?;
        Ok(server)
    }

    /// Starts the process (again) and waits until `/readyz` answers 200.
    pub async fn spawn(&mut self) -> anyhow::Result<()> {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(format!("/tmp/{}.log", self.db_name))?;
        let child = Command::new(binary())
            .arg("serve")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .spawn()
            .with_context(|| format!("cannot start {} (build it with `cargo leptos build`)", binary()))?;
        self.child = Some(child);
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(r) = client.get(format!("{}/readyz", self.base)).send().await {
                if r.status().is_success() {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("dgs did not become ready; see /tmp/{}.log", self.db_name)
    }

    /// The running process's id (for `/proc` readings).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// SIGKILL: no chance to clean up, as when a machine dies.
    pub fn kill(&mut self) -> anyhow::Result<()> {
        if let Some(mut c) = self.child.take() {
            c.kill()?;
            c.wait()?;
        }
        Ok(())
    }

    /// SIGTERM, then waits for the process to exit; returns how long that took.
    pub async fn terminate(&mut self) -> anyhow::Result<Duration> {
        let Some(mut child) = self.child.take() else { bail!("not running") };
        let start = Instant::now();
        let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status()?;
        anyhow::ensure!(status.success(), "kill -TERM failed");
        loop {
            if child.try_wait()?.is_some() {
                return Ok(start.elapsed());
            }
            if start.elapsed() > Duration::from_secs(30) {
                child.kill()?;
                bail!("dgs ignored SIGTERM for 30 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `dgs user create`, with the password on standard input, as a script would.
    pub fn create_user(&self, username: &str, role: &str, password: &str) -> anyhow::Result<()> {
        use std::io::Write;
        let mut child = Command::new(binary())
            .args(["user", "create", "--username", username, "--role", role])
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        child.stdin.take().context("stdin")?.write_all(password.as_bytes())?;
        let out = child.wait_with_output()?;
        anyhow::ensure!(out.status.success(), "user create failed: {}", String::from_utf8_lossy(&out.stderr));
        Ok(())
    }

    /// A client with a cookie jar, signed in as `username`.
    pub async fn client(&self, username: &str, password: &str) -> anyhow::Result<reqwest::Client> {
        let client = reqwest::Client::builder().cookie_store(true).build()?;
        let r = client
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&serde_json::json!({ "username": username, "password": password }))
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "login failed: {}", r.status());
        Ok(client)
    }

    pub async fn db(&self) -> anyhow::Result<sqlx::PgPool> {
        Ok(sqlx::PgPool::connect(&self.database_url).await?)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// Uploads `bytes` as `name` and builds a dataset on `column`; returns the dataset JSON.
pub async fn upload_dataset(server: &TestServer, client: &reqwest::Client, name: &str, bytes: Vec<u8>, column: &str) -> anyhow::Result<Value> {
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()));
    let upload: Value = client.post(server.url("/api/v1/uploads")).multipart(form).send().await?.error_for_status()?.json().await?;
    Ok(client
        .post(server.url("/api/v1/datasets"))
        .json(&serde_json::json!({ "upload_id": upload["id"], "description_column": column }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

/// Uploads `csv` as `name`, builds a dataset on `column` and starts a run; returns (dataset, run) JSON.
pub async fn upload_and_run(server: &TestServer, client: &reqwest::Client, name: &str, csv: Vec<u8>, column: &str) -> anyhow::Result<(Value, Value)> {
    let dataset = upload_dataset(server, client, name, csv, column).await?;
    let run: Value = client
        .post(server.url("/api/v1/runs"))
        .json(&serde_json::json!({ "dataset_id": dataset["id"] }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok((dataset, run))
}

/// Polls the run until `until` holds for its JSON, or fails after `timeout`.
pub async fn wait_run(server: &TestServer, client: &reqwest::Client, run_id: &str, timeout: Duration, until: impl Fn(&Value) -> bool) -> anyhow::Result<Value> {
    let deadline = Instant::now() + timeout;
    loop {
        let r: Value = client.get(server.url(&format!("/api/v1/runs/{run_id}"))).send().await?.json().await?;
        if until(&r) {
            return Ok(r);
        }
        if Instant::now() > deadline {
            bail!("run did not reach the expected state in time: {r}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.kill();
        // Best effort: a leftover test database is harmless, so failures here are ignored.
        let (admin, name) = (self.admin_url.clone(), self.db_name.clone());
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async {
                if let Ok(mut c) = <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).execute(&mut c).await;
                }
            });
        })
        .join();
    }
}
