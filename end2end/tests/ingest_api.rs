//! Ingestion through the REST API of a running server: a ZIP mixing every format (with a nested ZIP,
//! system files, an unsupported file and a corrupt workbook), the counts per table, rejected rows,
//! a dataset over several tables with its statistics and rows, and hostile uploads refused with JSON.

use std::io::Write;

use end2end::TestServer;
use serde_json::{Value, json};

const PASSWORD: &str = "a long enough secret";

fn zip_of(entries: &[(&str, Vec<u8>)]) -> anyhow::Result<Vec<u8>> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in entries {
        w.start_file(*name, zip::write::SimpleFileOptions::default())?;
        w.write_all(bytes)?;
    }
    Ok(w.finish()?.into_inner())
}

fn workbook() -> anyhow::Result<Vec<u8>> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let s = book.add_worksheet().set_name("Enero")?;
    s.write_string(0, 0, "Extracto enero")?; // a title above the header
    for (c, h) in ["fecha", "concepto", "importe"].iter().enumerate() {
        s.write_string(2, c as u16, *h)?;
    }
    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2024, 1, 15)?;
    let fmt = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
    for r in 0..4u32 {
        s.write_datetime_with_format(3 + r, 0, &date, &fmt)?;
        s.write_string(3 + r, 1, if r % 2 == 0 { "TAXI Madrid" } else { "Iberdrola luz" })?;
        s.write_number(3 + r, 2, 10.5 + f64::from(r))?;
    }
    let s2 = book.add_worksheet().set_name("Febrero")?;
    for (c, h) in ["fecha", "concepto", "importe"].iter().enumerate() {
        s2.write_string(0, c as u16, *h)?;
    }
    s2.write_string(1, 1, "taxi   madrid")?;
    book.add_worksheet().set_name("Vacía")?;
    Ok(book.save_to_buffer()?)
}

async fn upload(client: &reqwest::Client, server: &TestServer, name: &str, bytes: Vec<u8>) -> anyhow::Result<reqwest::Response> {
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()));
    Ok(client.post(server.url("/api/v1/uploads")).multipart(form).send().await?)
}

#[tokio::test]
async fn a_zip_of_every_format_is_read_counted_and_deduplicated() -> anyhow::Result<()> {
    let server = TestServer::start(&[]).await?;
    server.create_user("ana", "analyst", PASSWORD)?;
    let ana = server.client("ana", PASSWORD).await?;

    let csv = b"fecha;concepto;importe\r\n02/01/2024;Caf\xe9 del Mar;12,50\r\n03/01/2024;Taxi Madrid;9,00\r\n04/01/2024;x;1;2;3\r\n".to_vec();
    let jsonl = b"{\"fecha\":\"2024-01-05\",\"concepto\":\"CAFE DEL MAR\",\"importe\":3,\"meta\":{\"tarjeta\":\"1234\"}}\nnot json\n{\"fecha\":\"2024-01-06\",\"concepto\":\"Telefonica\",\"importe\":40}\n".to_vec();
    let nested = zip_of(&[("extra.tsv", b"fecha\tconcepto\timporte\n2024-01-07\tTaxi Madrid\t7\n".to_vec())])?;
    let archive = zip_of(&[
        ("datos/ventas.csv", csv),
        ("datos/movimientos.jsonl", jsonl),
        ("datos/libro.xlsx", workbook()?),
        ("datos/roto.xlsx", b"PK\x03\x04 this is not a workbook".to_vec()),
        ("datos/notas.pdf", b"%PDF-1.4".to_vec()),
        ("__MACOSX/datos/._ventas.csv", b"\x00\x05\x16\x07".to_vec()),
        ("datos/.DS_Store", b"junk".to_vec()),
        ("anexos.zip", nested),
    ])?;
    let r = upload(&ana, &server, "enero.zip", archive).await?;
    assert_eq!(r.status(), 201, "{}", r.text().await?);
    let up: Value = r.json().await?;
    let files = up["files"].as_array().cloned().unwrap_or_default();
    let by_name = |n: &str| files.iter().find(|f| f["name"].as_str() == Some(n)).cloned().unwrap_or(Value::Null);

    let ventas = by_name("datos/ventas.csv");
    assert_eq!((ventas["rows_read"].as_i64(), ventas["rows"].as_i64(), ventas["rejected"].as_i64()), (Some(3), Some(2), Some(1)));
    let movimientos = by_name("datos/movimientos.jsonl");
    assert_eq!((movimientos["rows"].as_i64(), movimientos["rejected"].as_i64()), (Some(2), Some(1)));
    let names: Vec<&str> = movimientos["columns"].as_array().map(|c| c.iter().filter_map(|c| c["name"].as_str()).collect()).unwrap_or_default();
    assert_eq!(names, ["fecha", "concepto", "importe", "meta.tarjeta"], "nested objects flatten into dotted names");
    let enero = by_name("datos/libro.xlsx › Enero");
    assert_eq!(enero["rows"].as_i64(), Some(4));
    assert!(enero["warnings"].to_string().contains("sobre la cabecera"), "{enero}");
    assert_eq!(enero["columns"][0]["type"], "date", "spreadsheet dates are dates: {}", enero["columns"][0]);
    assert_eq!(by_name("datos/libro.xlsx › Febrero")["rows"].as_i64(), Some(1));
    assert!(by_name("datos/libro.xlsx › Vacía").is_null(), "empty sheets are not tables");
    assert_eq!(by_name("anexos.zip/extra.tsv")["rows"].as_i64(), Some(1), "nested ZIPs are read one level deep");
    for f in &files {
        assert_eq!(f["rows_read"].as_i64(), Some(f["rows"].as_i64().unwrap_or(-1) + f["rejected"].as_i64().unwrap_or(-1)), "{f}");
    }
    let skipped = up["skipped"].to_string();
    for s in ["__MACOSX", ".DS_Store", "notas.pdf"] {
        assert!(skipped.contains(s), "{s} should be listed as skipped: {skipped}");
    }
    assert_eq!(up["failed"][0]["name"], "datos/roto.xlsx", "{}", up["failed"]);
    assert!(up["failed"][0]["reason"].as_str().is_some_and(|r| !r.is_empty()));

    let id = up["id"].as_str().unwrap_or_default().to_string();
    let rejected: Value = ana.get(server.url(&format!("/api/v1/uploads/{id}/rejected?lang=en"))).send().await?.json().await?;
    assert_eq!(rejected["total"], 2);
    let first = &rejected["rows"][0];
    assert_eq!((first["file"].as_str(), first["line_no"].as_i64()), (Some("datos/ventas.csv"), Some(4)));
    assert!(first["reason"].as_str().is_some_and(|r| r.contains("5 fields")), "{first}");
    assert_eq!(rejected["rows"][1]["line_no"], 2);

    // A column's type can be corrected by hand; the evidence for the detected one stays.
    let table = ventas["table_id"].as_str().unwrap_or_default();
    let r = ana.put(server.url(&format!("/api/v1/uploads/{id}/tables/{table}/column-type"))).json(&json!({"column": "importe", "type": "text"})).send().await?;
    assert_eq!(r.status(), 200);
    let fixed: Value = r.json().await?;
    assert_eq!((fixed["columns"][2]["type"].as_str(), fixed["columns"][2]["detected"].as_str()), (Some("text"), Some("decimal")));

    // A dataset over every table that has the description column, de-duplicated on cleaned text.
    let tables: Vec<Value> = files.iter().map(|f| f["table_id"].clone()).collect();
    let r = ana.post(server.url("/api/v1/datasets"))
        .json(&json!({"upload_id": id, "table_ids": tables, "description_columns": ["concepto"], "dedup": {"strategy": "cleaned"}}))
        .send().await?;
    assert_eq!(r.status(), 201, "{}", r.text().await?);
    let ds: Value = r.json().await?;
    // 2 + 2 + 4 + 1 + 1 rows; café del mar ×2, taxi madrid ×5 (csv, xlsx ×2, febrero, tsv), iberdrola ×2, telefonica.
    assert_eq!((ds["rows"].as_i64(), ds["unique_lines"].as_i64()), (Some(10), Some(4)));
    let detail: Value = ana.get(server.url(&format!("/api/v1/datasets/{}", ds["id"].as_str().unwrap_or_default()))).send().await?.json().await?;
    assert_eq!((detail["duplicate_groups"].as_i64(), detail["duplicate_rows"].as_i64()), (Some(3), Some(6)));
    assert_eq!((detail["largest_groups"][0]["clean_text"].as_str(), detail["largest_groups"][0]["rows"].as_i64()), (Some("taxi madrid"), Some(5)));
    let rows: Value = ana.get(server.url(&format!("/api/v1/datasets/{}/rows?q=taxi&sort=importe&desc=true", ds["id"].as_str().unwrap_or_default()))).send().await?.json().await?;
    assert_eq!(rows["total"], 5);
    assert!(rows["columns"].as_array().is_some_and(|c| c.iter().any(|c| c == "clean_concepto")));
    assert!(rows["rows"].as_array().is_some_and(|r| r.iter().all(|r| r["group_rows"] == 5)));

    // Exact de-duplication keeps case and accents apart.
    let r = ana.post(server.url("/api/v1/datasets"))
        .json(&json!({"upload_id": id, "table_ids": tables, "description_column": "concepto", "dedup": {"strategy": "exact"}}))
        .send().await?;
    let exact: Value = r.json().await?;
    assert_eq!(exact["unique_lines"].as_i64(), Some(7), "{exact}");

    let metrics = reqwest::get(server.url("/metrics")).await?.text().await?;
    assert!(metrics.contains("dgs_ingest_rows_total"), "ingest metrics are exported");

    // Deleting: an upload with datasets is kept (409) until they are gone; then it goes with its rows.
    let r = ana.delete(server.url(&format!("/api/v1/uploads/{id}"))).send().await?;
    assert_eq!(r.status(), 409);
    for d in [&ds, &exact] {
        let r = ana.delete(server.url(&format!("/api/v1/datasets/{}", d["id"].as_str().unwrap_or_default()))).send().await?;
        assert_eq!(r.status(), 204);
    }
    let r = ana.delete(server.url(&format!("/api/v1/uploads/{id}"))).send().await?;
    assert_eq!(r.status(), 204);
    assert_eq!(ana.get(server.url(&format!("/api/v1/uploads/{id}"))).send().await?.status(), 404);
    let pool = server.db().await?;
    let left: (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM pg_tables WHERE schemaname = 'upload_data'), (SELECT count(*) FROM rejected_rows), (SELECT count(*) FROM dataset_maps)",
    )
    .fetch_one(&pool)
    .await?;
    assert_eq!(left, (0, 0, 0), "rows, rejected rows and links go with their upload and datasets");
    Ok(())
}

#[tokio::test]
async fn hostile_uploads_are_refused_with_the_file_and_the_reason() -> anyhow::Result<()> {
    let server = TestServer::start(&[]).await?;
    server.create_user("ana", "analyst", PASSWORD)?;
    let ana = server.client("ana", PASSWORD).await?;

    let slip = zip_of(&[("../../etc/evil.csv", b"a\n1\n".to_vec())])?;
    let r = upload(&ana, &server, "slip.zip", slip).await?;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await?;
    assert_eq!(body["error"]["code"], "refused_file");
    assert_eq!(body["error"]["details"]["file"], "slip.zip");
    assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("outside the archive")), "{body}");

    let mut zeros = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zeros.start_file("zeros.csv", zip::write::SimpleFileOptions::default())?;
    zeros.write_all(&vec![b'0'; 30 << 20])?;
    let r = upload(&ana, &server, "bomb.zip", zeros.finish()?.into_inner()).await?;
    assert_eq!(r.status(), 422);
    assert!(r.text().await?.contains("zip bomb"));

    let r = upload(&ana, &server, "empty.zip", zip_of(&[("readme.md", b"# hi".to_vec())])?).await?;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await?;
    assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("no readable data file") && m.contains("readme.md")), "{body}");

    let r = upload(&ana, &server, "broken.json", b"[{\"a\": 1}, {\"a\": ".to_vec()).await?;
    assert_eq!(r.status(), 422);
    assert!(r.text().await?.contains("not valid JSON"));

    let pool = server.db().await?;
    let left: (i64, i64) = sqlx::query_as("SELECT (SELECT count(*) FROM uploads), (SELECT count(*) FROM pg_tables WHERE schemaname = 'upload_data')").fetch_one(&pool).await?;
    assert_eq!(left, (0, 0), "refused uploads leave nothing behind");
    Ok(())
}

/// `shared/corpus` beside the checkout or any folder above it (or `DGS_CORPUS`).
fn corpus_file(rel: &str) -> anyhow::Result<std::path::PathBuf> {
    let base = match std::env::var_os("DGS_CORPUS") {
        Some(d) => std::path::PathBuf::from(d),
        None => std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .map(|a| a.join("shared/corpus"))
            .find(|p| p.is_dir())
            .ok_or_else(|| anyhow::anyhow!("shared/corpus not found; set DGS_CORPUS"))?,
    };
    Ok(base.join(rel))
}

#[tokio::test]
async fn old_workbooks_are_read_in_a_capped_child_and_a_crafted_one_fails_alone() -> anyhow::Result<()> {
    let server = TestServer::start(&[("WORKBOOK_MEMORY_LIMIT_MB", "512")]).await?;
    server.create_user("ana", "analyst", PASSWORD)?;
    let ana = server.client("ana", PASSWORD).await?;
    let dir = "03_spreadsheets/ExcelDataReader/src/TestData";

    let r = upload(&ana, &server, "Test10x10000.xls", std::fs::read(corpus_file(&format!("{dir}/Test10x10000.xls"))?)?).await?;
    assert_eq!(r.status(), 201, "{}", r.text().await?);
    let up: Value = r.json().await?;
    let rows: i64 = up["files"].as_array().map(|f| f.iter().filter_map(|t| t["rows"].as_i64()).sum()).unwrap_or(0);
    assert!(rows >= 9_999, "a 10,000-row .xls is read whole: {rows}");

    // calamine would need tens of GB for this file; the child hits its cap, the server carries on.
    let r = upload(&ana, &server, "oom.xls", std::fs::read(corpus_file(&format!("{dir}/Test_git_issue_382_oom.xls"))?)?).await?;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await?;
    assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("memory")), "{body}");
    assert_eq!(reqwest::get(server.url("/healthz")).await?.status(), 200, "the server survived");
    Ok(())
}
