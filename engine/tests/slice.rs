//! The thin slice through the engine on the real PostgreSQL and Redis: ingest a messy CSV, build a
//! dataset, run the offline classifier, interrupt it, resume it, and check every count reconciles.

use std::io::Write;
use std::time::Duration;

mod support;

use engine::auth::{Password, Role, Username, create_user};
use engine::classify::runs::{RunOutcome, create_run, execute_run, results_csv, results_page, run_progress};
use engine::classify::{NewRun, RunOverrides, RunStatus, prompts::ensure_default_prompt};
use engine::clean::{NewDataset, create_dataset};
use engine::ingest::{NewUpload, ingest_upload, rejected_rows};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use support::{analyst, context};
use uuid::Uuid;

/// Semicolon-delimited, Windows-1252 encoded (é = 0xE9), with a row too long and one too short.
fn messy_csv(dir: &tempfile::TempDir) -> anyhow::Result<std::path::PathBuf> {
    let path = dir.path().join("gastos.csv");
    let mut f = std::fs::File::create(&path)?;
    f.write_all(b"fecha;concepto;importe\r\n")?;
    f.write_all(b"2024-01-02;TAXI Madrid;12,50\r\n")?;
    f.write_all(b"2024-01-03;taxi   madrid;9,00\r\n")?;
    f.write_all(b"2024-01-04;Caf\xe9 del Mar, cena;40,10\r\n")?;
    f.write_all(b"2024-01-05;CAFE DEL MAR CENA;38,00\r\n")?;
    f.write_all(b"2024-01-06;Iberdrola luz;80;extra;fields\r\n")?;
    f.write_all(b"2024-01-07;\"Licencia Microsoft; anual\"\r\n")?;
    f.write_all(b"\r\n")?;
    for i in 0..40 {
        f.write_all(format!("2024-02-{:02};Proveedor {i};1\r\n", i % 28 + 1).as_bytes())?;
    }
    Ok(path)
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn messy_csv_becomes_a_classified_dataset_that_survives_interruption(pool: PgPool) -> anyhow::Result<()> {
    ensure_default_prompt(&pool).await?;
    let user = analyst(&pool).await?;
    let dir = tempfile::tempdir()?;
    let path = messy_csv(&dir)?;
    let size = std::fs::metadata(&path)?.len() as i64;

    let upload = ingest_upload(&pool, &user, NewUpload { id: Uuid::new_v4(), name: "gastos.csv", path: &path, size_bytes: size }, &Default::default(), &Default::default()).await?;
    let file = &upload.files[0];
    assert_eq!(file.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["fecha", "concepto", "importe"]);
    assert_eq!((file.rows, file.rejected), (45, 1), "46 data rows read: 45 stored, 1 rejected");
    let rejected = rejected_rows(&pool, &user, upload.id, 0, 100).await?;
    assert_eq!((rejected.total, rejected.rows.len()), (1, 1));
    let rejected = rejected.rows;
    assert_eq!(rejected[0].line_no, 6);
    assert!(engine::ingest::notes::note_text(&rejected[0].reason, engine::Lang::En).contains("5 fields where the header has 3"), "{}", rejected[0].reason);
    // Each table's rows live in a table of their own, one text column per source column.
    let rows_table = engine::ingest::tables::physical_name(file.table_id);
    let stored: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {rows_table}"))).fetch_one(&pool).await?;
    assert_eq!(stored, 45);
    let decoded: String =
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT c2 FROM {rows_table} WHERE line_no = 4"))).fetch_one(&pool).await?;
    assert_eq!(decoded, "Café del Mar, cena");

    let req = NewDataset { upload_id: upload.id, description_column: Some("concepto".into()), ..Default::default() };
    let dataset = create_dataset(&pool, &user, &req).await?;
    // taxi ×2 → 1, café del mar cena ×2 → 1, licencia 1, proveedor 0..39 → 40
    assert_eq!((dataset.rows, dataset.unique_lines), (45, 43));

    let bad = NewDataset { description_column: Some("nope".into()), ..req.clone() };
    let err = create_dataset(&pool, &user, &bad).await.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("'nope' does not exist") && err.contains("concepto"), "{err}");

    let ctx = engine::classify::runs::RunContext { offline_chunk_delay: Duration::from_millis(150), ..context(&pool, None).await? };
    let overrides = RunOverrides { chunk_size: Some(10), ..Default::default() };
    let run_id = create_run(&ctx, &user, &NewRun { dataset_id: dataset.id, prompt_id: None, prompt_version_id: None, overrides }).await?;

    // Interrupt after the first chunks, as a shutdown would.
    let stop = CancellationToken::new();
    let stopper = {
        let (stop, pool) = (stop.clone(), pool.clone());
        tokio::spawn(async move {
            // Stop as soon as the first chunk is stored, well before the other four are.
            while sqlx::query_scalar::<_, i64>("SELECT count(*) FROM run_chunks WHERE status = 'done'").fetch_one(&pool).await.unwrap_or(0) == 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            stop.cancel();
        })
    };
    let first = execute_run(&ctx, run_id, &stop).await?;
    stopper.await?;
    assert_eq!(first, RunOutcome::Interrupted);
    let mid = run_progress(&pool, &user, run_id).await?;
    assert_eq!(mid.status, RunStatus::Running);
    assert!(mid.done > 0 && mid.done < 43, "done {}", mid.done);

    let second = execute_run(&ctx, run_id, &CancellationToken::new()).await?;
    assert_eq!(second, RunOutcome::Finished(RunStatus::Succeeded));
    let done = run_progress(&pool, &user, run_id).await?;
    assert_eq!((done.done, done.total, done.failed), (43, 43, 0));
    let per_line: Vec<(i32, i64)> =
        sqlx::query_as("SELECT line_idx, count(*) FROM run_results WHERE run_id = $1 GROUP BY 1").bind(run_id).fetch_all(&pool).await?;
    assert_eq!(per_line.len(), 43);
    assert!(per_line.iter().all(|(_, n)| *n == 1));

    let page = results_page(&pool, &user, run_id, &Default::default(), 0, 100).await?;
    assert_eq!((page.total_rows, page.rows.len()), (45, 45), "one result per original row");
    assert_eq!(page.rows[0].category, "Viajes y transporte");
    assert_eq!(page.rows[0].category, page.rows[1].category, "duplicates share their line's result");
    let csv = String::from_utf8(results_csv(&pool, &user, run_id, None, engine::export::ExportOptions { lang: engine::Lang::En, separator: engine::export::Separator::Comma }).await?)?;
    let csv = csv.strip_prefix('\u{feff}').ok_or_else(|| anyhow::anyhow!("an export for people starts with the UTF-8 byte order mark"))?.to_string();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("fecha,concepto,importe,category,score,reason"));
    assert_eq!(csv.lines().count(), 46);

    // A finished run is not executed again.
    assert_eq!(execute_run(&ctx, run_id, &CancellationToken::new()).await?, RunOutcome::Finished(RunStatus::Succeeded));
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn viewers_cannot_upload_and_others_cannot_see_uploads(pool: PgPool) -> anyhow::Result<()> {
    let owner = analyst(&pool).await?;
    let vname = Username::parse("vera")?;
    let viewer = create_user(&pool, &vname, &Password::parse("another long secret", &vname)?, Role::Viewer).await?;
    let dir = tempfile::tempdir()?;
    let path = messy_csv(&dir)?;
    let up = |id| NewUpload { id, name: "gastos.csv", path: &path, size_bytes: 1 };
    let err = ingest_upload(&pool, &viewer, up(Uuid::new_v4()), &Default::default(), &Default::default()).await.err().map(|e| e.code());
    assert_eq!(err, Some(engine::ErrorCode::Forbidden));
    let upload = ingest_upload(&pool, &owner, up(Uuid::new_v4()), &Default::default(), &Default::default()).await?;
    let err = engine::ingest::upload_summary(&pool, &viewer, upload.id).await.err().map(|e| e.code());
    assert_eq!(err, Some(engine::ErrorCode::UploadNotFound));
    let uploads: i64 = sqlx::query_scalar("SELECT count(*) FROM uploads").fetch_one(&pool).await?;
    assert_eq!(uploads, 1, "the refused upload left nothing behind");
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn unreadable_files_are_refused_with_the_reason_and_leave_nothing(pool: PgPool) -> anyhow::Result<()> {
    let user = analyst(&pool).await?;
    let dir = tempfile::tempdir()?;
    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, b"  \n")?;
    let err = ingest_upload(&pool, &user, NewUpload { id: Uuid::new_v4(), name: "empty.csv", path: &empty, size_bytes: 3 }, &Default::default(), &Default::default()).await;
    assert!(matches!(&err, Err(e) if e.to_string().contains("empty.csv") && e.to_string().contains("empty")), "{err:?}");
    let err = ingest_upload(&pool, &user, NewUpload { id: Uuid::new_v4(), name: "x.pdf", path: &empty, size_bytes: 3 }, &Default::default(), &Default::default()).await;
    assert!(matches!(&err, Err(e) if e.code() == engine::ErrorCode::UnreadableFile), "{err:?}");
    let uploads: i64 = sqlx::query_scalar("SELECT count(*) FROM uploads").fetch_one(&pool).await?;
    assert_eq!(uploads, 0);
    Ok(())
}

/// The Birmingham card-spend workbook, through the real pipeline: the header repeated at line 3618
/// is kept aside (so the date and amount columns stay typed) and the description guessed is the
/// merchant, the text column with the most different and longest values, not a cost centre.
#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn the_birmingham_workbook_keeps_its_types_and_describes_rows_by_merchant(pool: PgPool) -> anyhow::Result<()> {
    let user = analyst(&pool).await?;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/corpus/01_transactions/birmingham_purchase_cards_en/original/purchase-card-transactions-september-2018.xlsx");
    let size = std::fs::metadata(&path)?.len() as i64;
    let name = "purchase-card-transactions-september-2018.xlsx";
    let upload = ingest_upload(&pool, &user, NewUpload { id: Uuid::new_v4(), name, path: &path, size_bytes: size }, &Default::default(), &Default::default()).await?;
    let file = &upload.files[0];
    let kind = |name: &str| file.columns.iter().find(|c| c.name.contains(name)).map(|c| c.kind);
    assert_eq!(kind("TRANS DATE"), Some(engine::ingest::ColumnType::Date), "{:?}", file.columns.iter().map(|c| (&c.name, c.kind)).collect::<Vec<_>>());
    assert_eq!(kind("ORIGINAL GROSS AMT"), Some(engine::ingest::ColumnType::Decimal));
    let rejected = rejected_rows(&pool, &user, upload.id, 0, 100).await?;
    assert!(rejected.rows.iter().any(|r| r.line_no == 3618 && r.reason == engine::ingest::notes::Note::RepeatedHeader.stored()), "{:?}", rejected.rows);
    assert_eq!(engine::ingest::description_guess(&file.columns).as_deref(), Some("MERCHANT NAME"));
    Ok(())
}
