//! Cancelling an ingest (a client hanging up) stops every stage and leaves nothing behind; the same
//! file read whole becomes a dataset whose row links span several segments.

use std::io::Write;
use std::time::{Duration, Instant};

use engine::auth::{Password, Role, Username, create_user};
use engine::clean::{NewDataset, RowsQuery, create_dataset, dataset_rows};
use engine::ingest::{NewUpload, PipelineOptions, ingest_upload};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn a_cancelled_ingest_stops_and_leaves_nothing_and_a_big_dataset_pages_across_segments(pool: PgPool) -> anyhow::Result<()> {
    let name = Username::parse("ana")?;
    let user = create_user(&pool, &name, &Password::parse("a long enough secret", &name)?, Role::Analyst).await?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("big.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path)?);
    writeln!(f, "fecha,concepto,importe")?;
    for i in 0..600_000 {
        writeln!(f, "2024-01-{:02},Proveedor {} factura {i},{}.50", i % 28 + 1, i % 500, i % 900)?;
    }
    f.flush()?;
    drop(f);

    let cancel = CancellationToken::new();
    let opts = PipelineOptions { cancel: cancel.clone(), ..Default::default() };
    // Cancelled mid-write: once a writer's COPY is running (a state, not a guess at a duration).
    let stopper = {
        let (cancel, pool) = (cancel.clone(), pool.clone());
        tokio::spawn(async move {
            let waited = Instant::now();
            loop {
                let copying: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY upload_data.%' AND state <> 'idle'",
                )
                .fetch_one(&pool)
                .await
                .unwrap_or(0);
                if copying > 0 || waited.elapsed() > Duration::from_secs(30) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            cancel.cancel();
        })
    };
    let size = std::fs::metadata(&path)?.len() as i64;
    let started = Instant::now();
    let up = NewUpload { id: Uuid::new_v4(), name: "big.csv", path: &path, size_bytes: size };
    let result = ingest_upload(&pool, &user, up, &Default::default(), &opts).await;
    stopper.await?;
    assert!(matches!(result, Err(engine::EngineError::Cancelled)), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(10), "stopped promptly: {:?}", started.elapsed());
    let left: (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM uploads), (SELECT count(*) FROM pg_tables WHERE schemaname = 'upload_data'), (SELECT count(*) FROM rejected_rows)",
    )
    .fetch_one(&pool)
    .await?;
    assert_eq!(left, (0, 0, 0), "a cancelled upload leaves nothing behind");

    // The same file, not cancelled, is read whole: the cancellation above was not a failure to read.
    let up = NewUpload { id: Uuid::new_v4(), name: "big.csv", path: &path, size_bytes: size };
    let done = ingest_upload(&pool, &user, up, &Default::default(), &Default::default()).await?;
    assert_eq!(done.rows(), 600_000);

    // A dataset this size spans several link segments; rows on both sides of a boundary (262,144)
    // still find their original line and their unique line.
    let req = NewDataset { upload_id: done.id, description_column: Some("concepto".into()), ..Default::default() };
    let ds = create_dataset(&pool, &user, &req).await?;
    assert_eq!((ds.rows, ds.unique_lines), (600_000, 600_000));
    let q = RowsQuery { offset: 262_140, limit: Some(10), ..Default::default() };
    let page = dataset_rows(&pool, &user, ds.id, &q).await?;
    let concepto = page.columns.iter().position(|c| c == "concepto").expect("concepto column");
    assert_eq!(page.rows.len(), 10);
    for r in &page.rows {
        let i = r.row_no - 1;
        assert_eq!(r.line_no, r.row_no + 1, "the header is line 1");
        assert_eq!(r.values[concepto], format!("Proveedor {} factura {i}", i % 500));
    }
    assert_eq!(page.rows.first().map(|r| r.row_no), Some(262_141));

    // An upload a dead process left half-read is swept once it is old enough, and only then.
    sqlx::query("INSERT INTO uploads (id, owner_id, original_name, size_bytes, status, created_at)
                 VALUES ($1, $2, 'stuck.csv', 1, 'ingesting', now() - interval '7 hours'),
                        ($3, $2, 'running.csv', 1, 'ingesting', now())")
        .bind(Uuid::new_v4())
        .bind(user.id)
        .bind(Uuid::new_v4())
        .execute(&pool)
        .await?;
    let swept = engine::ingest::sweep_abandoned_uploads(&pool, Duration::from_secs(6 * 3600), tempfile::tempdir()?.path()).await?;
    assert_eq!(swept, 1);
    let names: Vec<String> = sqlx::query_scalar("SELECT original_name FROM uploads WHERE status = 'ingesting'").fetch_all(&pool).await?;
    assert_eq!(names, ["running.csv"]);
    Ok(())
}
