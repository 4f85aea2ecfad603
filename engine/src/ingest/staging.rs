//! An upload arriving over the network: streamed to `DATA_DIR/uploads/<id>/original` (never held in
//! memory) under the byte limit, then read in a task of its own, so a client that hangs up cancels
//! the reading and nothing of the upload is left behind. Every entry point that receives files uses
//! it.

use std::path::PathBuf;

use tokio::io::AsyncWriteExt;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{NewUpload, PipelineOptions, UploadSummary, ingest_upload};
use crate::Services;
use crate::auth::{CurrentUser, Permission};
use crate::error::{EngineError, Result};

pub struct StagedUpload {
    id: Uuid,
    name: String,
    dir: PathBuf,
    path: PathBuf,
    file: tokio::fs::File,
    size: u64,
    limit: u64,
}

impl StagedUpload {
    /// Starts receiving a file named `raw_name` by its sender. Refused before anything touches
    /// the disk when the user may not upload.
    pub async fn start(services: &Services, user: &CurrentUser, raw_name: &str) -> Result<StagedUpload> {
        user.require(Permission::DatasetCreate)?;
        let id = Uuid::new_v4();
        let dir = services.data_dir.join("uploads").join(id.to_string());
        tokio::fs::create_dir_all(&dir).await?;
        let path = dir.join("original");
        let file = tokio::fs::File::create(&path).await?;
        Ok(StagedUpload { id, name: sanitise_name(raw_name), dir, path, file, size: 0, limit: services.upload_max_bytes })
    }

    /// Appends a chunk; past the limit the upload is refused (and removed when dropped).
    pub async fn write(&mut self, chunk: &[u8]) -> Result<()> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            return Err(EngineError::UploadTooLarge { limit: self.limit });
        }
        self.file.write_all(chunk).await?;
        Ok(())
    }

    /// Reads and stores what was received. The reading runs as its own task: dropping this future
    /// (the client hung up) cancels it, and it still cleans up after itself.
    pub async fn ingest(mut self, services: &Services, user: &CurrentUser) -> Result<UploadSummary> {
        self.file.flush().await?;
        let cancel = CancellationToken::new();
        let _cancel_on_drop = cancel.clone().drop_guard();
        let (services, user) = (services.clone(), user.clone());
        let staged = self;
        let task = tokio::spawn(async move {
            let opts = PipelineOptions { cancel, ..services.pipeline_options() };
            let up = NewUpload { id: staged.id, name: &staged.name, path: &staged.path, size_bytes: staged.size as i64 };
            let summary = ingest_upload(&services.pool, &user, up, &services.ingest_limits, &opts).await;
            if summary.is_ok() {
                staged.keep();
            }
            summary
        });
        task.await.map_err(EngineError::internal)?
    }

    /// The file stays: it is the upload's original now.
    fn keep(mut self) {
        self.dir = PathBuf::new();
    }
}

impl Drop for StagedUpload {
    /// Anything not kept (refused, failed, abandoned) is removed with its folder.
    fn drop(&mut self) {
        if !self.dir.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Keeps the last path component and drops control characters: a name is for display, never a path.
pub fn sanitise_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let clean: String = last.chars().filter(|c| !c.is_control()).take(200).collect();
    if clean.trim().is_empty() { "upload".into() } else { clean }
}

#[cfg(test)]
mod tests {
    use super::sanitise_name;

    #[test]
    fn a_name_is_never_a_path() {
        assert_eq!(sanitise_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitise_name("C:\\Users\\ana\\gastos.csv"), "gastos.csv");
        assert_eq!(sanitise_name("ga\u{0}stos\n.csv"), "gastos.csv");
        assert_eq!(sanitise_name("   "), "upload");
        assert_eq!(sanitise_name("/"), "upload");
    }
}
