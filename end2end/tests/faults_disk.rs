//! The disk under `DATA_DIR` full during an upload (issue 20). `DATA_DIR` is a small tmpfs the test
//! mounts (the CI machine runs tests as root) and fills. The upload gets a clear 507 with
//! `storage_full`; nothing is half-stored (no upload listed or recorded, no file left); once space is
//! freed, the same file is stored whole.

use std::process::Command;

use end2end::TestServer;
use serde_json::Value;

const PASSWORD: &str = "a long enough secret";

/// A tmpfs of `mb` MiB, unmounted when dropped.
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount(mb: u64) -> anyhow::Result<Tmpfs> {
        let dir = tempfile::tempdir()?;
        let ok = Command::new("mount").args(["-t", "tmpfs", "-o", &format!("size={mb}m"), "tmpfs"]).arg(dir.path()).status()?.success();
        anyhow::ensure!(ok, "mounting a tmpfs failed: this test fills a disk of its own and needs root");
        Ok(Tmpfs(dir))
    }

    fn path(&self) -> &std::path::Path {
        self.0.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.0.path()).status();
    }
}

fn ledger(lines: usize) -> Vec<u8> {
    let mut out = b"fecha;concepto;importe\n".to_vec();
    for i in 0..lines {
        out.extend_from_slice(format!("2026-03-{:02};PROVEEDOR {i:07} MATERIAL DE OFICINA Y SUMINISTROS;{}.{:02}\n", i % 28 + 1, i % 5000, i % 100).as_bytes());
    }
    out
}

async fn upload(server: &TestServer, client: &reqwest::Client, bytes: Vec<u8>) -> anyhow::Result<(u16, Value)> {
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(bytes).file_name("ledger.csv"));
    let r = client.post(server.url("/api/v1/uploads")).multipart(form).send().await?;
    Ok((r.status().as_u16(), r.json().await.unwrap_or(Value::Null)))
}

fn entries(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

#[tokio::test]
async fn a_full_disk_during_an_upload_is_a_clear_507_and_nothing_is_half_stored() -> anyhow::Result<()> {
    let disk = Tmpfs::mount(12)?;
    let data_dir = disk.path().display().to_string();
    let server = TestServer::start(&[("DATA_DIR", data_dir.as_str())]).await?;
    server.create_user("ana", "analyst", PASSWORD)?;
    let ana = server.client("ana", PASSWORD).await?;
    // Leave about 2 MiB free, then send a 4.5 MiB ledger.
    let ballast = disk.path().join("ballast");
    std::fs::write(&ballast, vec![0u8; 10 << 20])?;
    let lines = 60_000;
    let file = ledger(lines);
    assert!(file.len() > 4 << 20, "{} bytes", file.len());

    let (status, body) = upload(&server, &ana, file.clone()).await?;
    assert_eq!(status, 507, "{body}");
    assert_eq!(body["error"]["code"], "storage_full", "{body}");
    let listed: Vec<Value> = ana.get(server.url("/api/v1/uploads")).send().await?.error_for_status()?.json().await?;
    assert!(listed.is_empty(), "nothing listed: {listed:?}");
    let db = server.db().await?;
    let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM uploads").fetch_one(&db).await?;
    assert_eq!(recorded, 0, "nothing recorded");
    assert_eq!(entries(&disk.path().join("uploads")), 0, "no file left under DATA_DIR/uploads");
    // The server still works on what fits.
    let (small, body) = upload(&server, &ana, ledger(100)).await?;
    assert_eq!(small, 201, "{body}");

    // Space freed: the same file is stored whole.
    std::fs::remove_file(&ballast)?;
    let (status, body) = upload(&server, &ana, file).await?;
    assert_eq!(status, 201, "{body}");
    let listed: Vec<Value> = ana.get(server.url("/api/v1/uploads")).send().await?.error_for_status()?.json().await?;
    let rows: Vec<i64> = listed.iter().map(|u| u["rows"].as_i64().unwrap_or(-1)).collect();
    assert_eq!(rows, vec![lines as i64, 100], "newest first, every row stored once");
    assert_eq!(entries(&disk.path().join("uploads")), 2, "one folder per stored upload");
    Ok(())
}
