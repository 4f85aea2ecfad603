//! Reading chosen columns of a table's stored rows back, in row order, with `COPY … TO STDOUT`: for a
//! million rows it is several times cheaper than the query protocol's per-row messages and decoding.

use futures::TryStreamExt;
use futures::stream::BoxStream;
use sqlx::PgPool;
use sqlx::postgres::PgPoolCopyExt;
use bytes::Bytes;
use uuid::Uuid;

use crate::error::{EngineError, Result};
use crate::ingest::tables::{physical_name, rows_source, stored_tables};

pub struct RowStream {
    stream: BoxStream<'static, sqlx::Result<Bytes>>,
    pending: Vec<u8>,
    start: usize,
    width: usize,
    done: bool,
}

impl RowStream {
    /// Streams `(row_no, [value of each wanted column])` for the rows of `table_id`, in row order.
    pub async fn open(pool: &PgPool, table_id: Uuid, wanted: &[String]) -> Result<Self> {
        let table = stored_tables(pool, &[table_id]).await?.pop().ok_or(EngineError::NotFound { what: "table" })?;
        let cols: Vec<String> = wanted.iter().map(|c| format!("coalesce({}, '')", table.column_expr(c))).collect();
        // Column names are quoted as literals and the table's name comes from a parsed UUID: nothing
        // user-typed is spliced in unescaped.
        let sql = format!("COPY (SELECT row_no, {} FROM {} ORDER BY row_no) TO STDOUT", cols.join(", "), physical_name(table_id));
        let stream = pool.copy_out_raw(&sql).await?;
        Ok(Self { stream, pending: Vec::new(), start: 0, width: wanted.len() + 1, done: false })
    }

    pub async fn next(&mut self) -> Result<Option<(i64, Vec<String>)>> {
        loop {
            if let Some(pos) = self.pending[self.start..].iter().position(|&b| b == b'\n') {
                let line = &self.pending[self.start..self.start + pos];
                let mut fields = unescape_fields(line)?;
                self.start += pos + 1;
                if fields.len() != self.width {
                    return Err(EngineError::internal(format!("COPY row with {} fields, expected {}", fields.len(), self.width)));
                }
                let row_no: i64 = fields[0].parse().map_err(EngineError::internal)?;
                fields.remove(0);
                return Ok(Some((row_no, fields)));
            }
            if self.done {
                return Ok(None);
            }
            self.pending.drain(..self.start);
            self.start = 0;
            match self.stream.try_next().await? {
                Some(chunk) => self.pending.extend_from_slice(&chunk),
                None => self.done = true,
            }
        }
    }
}

/// A FROM item with the original rows of a dataset's tables as `(table_id, row_no, line_no, data)`,
/// for queries that join the dataset's links to its rows.
pub async fn dataset_rows_source(pool: &PgPool, dataset_id: Uuid) -> Result<String> {
    let ids = sqlx::query_scalar!("SELECT table_ids FROM datasets WHERE id = $1", dataset_id)
        .fetch_optional(pool)
        .await?
        .ok_or(EngineError::NotFound { what: "dataset" })?;
    Ok(rows_source(&stored_tables(pool, &ids).await?))
}

/// Splits one line of COPY text output into its fields, undoing the format's backslash escapes.
fn unescape_fields(line: &[u8]) -> Result<Vec<String>> {
    let mut fields = Vec::new();
    let mut cur: Vec<u8> = Vec::with_capacity(line.len());
    let mut i = 0;
    while i < line.len() {
        match line[i] {
            b'\t' => fields.push(String::from_utf8(std::mem::take(&mut cur)).map_err(EngineError::internal)?),
            b'\\' if i + 1 < line.len() => {
                i += 1;
                cur.push(match line[i] {
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'b' => 8,
                    b'f' => 12,
                    b'v' => 11,
                    other => other,
                });
            }
            b => cur.push(b),
        }
        i += 1;
    }
    fields.push(String::from_utf8(cur).map_err(EngineError::internal)?);
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_fields_are_unescaped() {
        let f = unescape_fields(b"7\ta\\tb\\\\c\\nd\t").expect("valid");
        assert_eq!(f, ["7", "a\tb\\c\nd", ""]);
    }
}
