//! The ingestion stage: a request body read as it arrives and handed record by record to the
//! pipeline. NDJSON is split by lines and streamed (memory stays flat however long it is); a JSON
//! array is read whole (within the body limit) and its elements handed on. A line that is not JSON
//! is a rejected record, never the end of the stream.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};

use super::pipeline::{Batch, Pipeline};
use super::wire::BatchReport;
use crate::error::{EngineError, Result};
use crate::etl::EtlError;

/// A line longer than this is refused as a record (and skipped to its end).
const MAX_LINE: usize = 1 << 20;

/// Feeds `body` to `pipeline` as one batch and waits for its report.
pub async fn feed<S, E>(pipeline: &Pipeline, body: S) -> Result<BatchReport>
where
    S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let batch = pipeline.batch();
    let read = read_into(pipeline, &batch, body).await;
    // Whatever was accepted before a failure is still stored or rejected, and reported.
    let report = pipeline.finish(&batch).await;
    read.map(|()| report)
}

async fn read_into<S, E>(pipeline: &Pipeline, batch: &Arc<Batch>, mut body: S) -> Result<()>
where
    S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut buf = BytesMut::new();
    let mut array: Option<BytesMut> = None;
    let mut line_no: u64 = 0;
    let mut skipping = false;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| EngineError::from(EtlError::EventsInvalid(format!("the body could not be read: {e}"))))?;
        if let Some(a) = array.as_mut() {
            a.extend_from_slice(&chunk);
            continue;
        }
        buf.extend_from_slice(&chunk);
        if line_no == 0 && buf.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
            array = Some(std::mem::take(&mut buf));
            continue;
        }
        while let Some(i) = memchr::memchr(b'\n', &buf) {
            let line = buf.split_to(i + 1).freeze();
            line_no += 1;
            if std::mem::take(&mut skipping) {
                continue;
            }
            submit_line(pipeline, batch, line_no, line).await?;
        }
        if buf.len() > MAX_LINE && !skipping {
            // Refused now; the rest of it, up to its line break, is skipped as it comes.
            pipeline.reject_unreadable(batch, line_no + 1, format!("line longer than {MAX_LINE} bytes"));
            skipping = true;
        }
        if skipping {
            buf.clear();
        }
    }
    if let Some(a) = array {
        let items: Vec<&serde_json::value::RawValue> =
            serde_json::from_slice(&a).map_err(|e| EngineError::from(EtlError::EventsInvalid(format!("the body is not a JSON array of records: {e}"))))?;
        for (i, item) in items.iter().enumerate() {
            pipeline.submit(batch, i as u64 + 1, Bytes::copy_from_slice(item.get().as_bytes())).await?;
        }
        return Ok(());
    }
    if !buf.is_empty() && !skipping {
        submit_line(pipeline, batch, line_no + 1, buf.freeze()).await?;
    }
    Ok(())
}

async fn submit_line(pipeline: &Pipeline, batch: &Arc<Batch>, position: u64, line: Bytes) -> Result<()> {
    let trimmed = line.trim_ascii();
    if trimmed.is_empty() {
        return Ok(());
    }
    let start = trimmed.as_ptr() as usize - line.as_ptr() as usize;
    pipeline.submit(batch, position, line.slice(start..start + trimmed.len())).await
}
