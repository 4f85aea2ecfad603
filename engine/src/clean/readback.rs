//! Reading chosen columns of a table's stored rows back, in row order, with `COPY … TO STDOUT`: for a
//! million rows it is several times cheaper than the query protocol's per-row messages and decoding.

use futures::TryStreamExt;
use futures::stream::BoxStream;
use sqlx::PgPool;
use sqlx::postgres::PgPoolCopyExt;
use bytes::Bytes;
use uuid::Uuid;

use crate::error::{EngineError, Result};

pub struct RowStream {
    stream: BoxStream<'static, sqlx::Result<Bytes>>,
    pending: Vec<u8>,
    start: usize,
    width: usize,
    done: bool,
}

/// A string as an SQL literal (standard_conforming_strings is on: only quotes need doubling).
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''").replace('\0', ""))
}

impl RowStream {
    /// Streams `(row_no, [value of each wanted column])` for the rows of `table_id`, in row order.
    pub async fn open(pool: &PgPool, table_id: Uuid, wanted: &[String]) -> Result<Self> {
        let cols: Vec<String> = wanted.iter().map(|c| format!("coalesce(data->>{}, '')", literal(c))).collect();
        // Column names are quoted as literals and the id is a parsed UUID: nothing user-typed is
        // spliced in unescaped.
        let sql = format!(
            "COPY (SELECT row_no, {} FROM upload_rows WHERE table_id = '{table_id}' ORDER BY row_no) TO STDOUT",
            cols.join(", ")
        );
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
        assert_eq!(literal("it's"), "'it''s'");
    }
}
