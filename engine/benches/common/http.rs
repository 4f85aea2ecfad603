//! The same upload as a user of `make run` makes it: the release `dgs` binary serving on loopback,
//! the ZIP posted over HTTP (curl, multipart) and the dataset built through the REST API. Also the
//! size of the wasm it serves, raw and gzipped.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};

use super::ScratchDb;

const PASSWORD: &str = "benchmark password";

pub struct Served {
    child: Child,
    base: String,
    jar: PathBuf,
    _data: tempfile::TempDir,
    db: Option<ScratchDb>,
}

/// The release binary, unless `DGS_BIN` names another.
pub fn release_binary() -> PathBuf {
    std::env::var_os("DGS_BIN").map(PathBuf::from).unwrap_or_else(|| {
        let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../target").into());
        Path::new(&target).join("release/dgs")
    })
}

fn curl(args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new("curl").args(["-sS", "--fail-with-body"]).args(args).output().context("running curl")?;
    let body = String::from_utf8_lossy(&out.stdout).into_owned();
    ensure!(out.status.success(), "curl {args:?}: {body} {}", String::from_utf8_lossy(&out.stderr));
    Ok(body)
}

impl Served {
    /// Starts `bin` on a free port over a fresh database, with a signed-in analyst.
    pub async fn start(bin: &Path) -> anyhow::Result<Served> {
        let db = ScratchDb::create("dgs_bench_http", 2).await?;
        let data = tempfile::tempdir()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let site = std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../target/site").into());
        let env = [
            ("DATABASE_URL", db.url.clone()),
            ("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}")),
            ("LEPTOS_SITE_ROOT", site),
            ("DATA_DIR", data.path().display().to_string()),
            ("JOB_QUEUE", format!("dgs-bench-{port}")),
            ("RUST_LOG", "warn".into()),
        ];
        let mut create = Command::new(bin)
            .args(["user", "create", "--username", "bench", "--role", "analyst"])
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::piped())
            .spawn()
            .with_context(|| format!("running {}", bin.display()))?;
        create.stdin.take().context("stdin")?.write_all(PASSWORD.as_bytes())?;
        ensure!(create.wait()?.success(), "dgs user create failed");
        let child = Command::new(bin)
            .arg("serve")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null())
            .spawn()?;
        let base = format!("http://127.0.0.1:{port}");
        let jar = data.path().join("cookies");
        let served = Served { child, base, jar, _data: data, db: Some(db) };
        let deadline = Instant::now() + Duration::from_secs(60);
        while curl(&[&format!("{}/readyz", served.base)]).is_err() {
            if Instant::now() > deadline {
                bail!("dgs did not get ready in 60 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        served.post_json("/api/v1/auth/login", &format!(r#"{{"username":"bench","password":"{PASSWORD}"}}"#))?;
        Ok(served)
    }

    fn post_json(&self, path: &str, body: &str) -> anyhow::Result<serde_json::Value> {
        let jar = self.jar.display().to_string();
        let out = curl(&["-b", &jar, "-c", &jar, "-H", "content-type: application/json", "-d", body, &format!("{}{path}", self.base)])?;
        Ok(serde_json::from_str(&out).unwrap_or(serde_json::Value::Null))
    }

    /// Seconds to upload `zip` (until its summary is back) and then to build its dataset.
    pub fn upload_and_build(&self, zip: &Path, rows: u64) -> anyhow::Result<(f64, f64)> {
        let jar = self.jar.display().to_string();
        let started = Instant::now();
        let form = format!("file=@{};filename=ledger.zip", zip.display());
        let summary: serde_json::Value =
            serde_json::from_str(&curl(&["-b", &jar, "-F", &form, &format!("{}/api/v1/uploads", self.base)])?)?;
        let upload = started.elapsed().as_secs_f64();
        let id = summary["id"].as_str().context("upload id")?;
        let body = format!(r#"{{"upload_id":"{id}","description_column":"concepto"}}"#);
        let dataset = self.post_json("/api/v1/datasets", &body)?;
        let total = started.elapsed().as_secs_f64();
        ensure!(dataset["rows"].as_u64() == Some(rows), "the dataset over HTTP has {} rows, not {rows}", dataset["rows"]);
        Ok((upload, total - upload))
    }

    /// The wasm every browser downloads before the page hydrates: its bytes, those bytes gzipped
    /// here, and what the server actually sends to a client that accepts gzip.
    pub fn wasm_size(&self) -> anyhow::Result<(usize, usize, usize)> {
        let url = format!("{}/pkg/dgs.wasm", self.base);
        let out = Command::new("curl").args(["-sS", "--fail", &url]).output()?;
        ensure!(out.status.success(), "GET /pkg/dgs.wasm failed");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&out.stdout)?;
        let wire = curl(&["-o", "/dev/null", "-H", "accept-encoding: gzip", "-w", "%{size_download}", &url])?;
        Ok((out.stdout.len(), gz.finish()?.len(), wire.trim().parse().unwrap_or(0)))
    }

    pub async fn stop(mut self) -> anyhow::Result<()> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(db) = self.db.take() {
            db.drop().await?;
        }
        Ok(())
    }
}
