//! A first-time user's day, in Spanish and in English: the review loop compares like with like
//! (an iteration keeps the sampled run's classifier, "review a sample" reopens the open sample), the
//! wizard keeps its step in the address, a visitor lands on sign-in, every page speaks one language
//! and fits a phone, and exports open in a spreadsheet as they should.

mod common;

use std::time::Duration;

use common::{assert_no_console_errors, launch, shots_dir};
use end2end::{TestServer, upload_dataset, wait_run};
use playwright_rs::{Page, ScreenshotOptions, expect};
use serde_json::{Value, json};

const PASSWORD: &str = "a long enough secret";

/// Spanish ledger lines with a date and an amount column (typed cells in the XLSX).
fn ledger() -> Vec<u8> {
    let mut csv = String::from("fecha;concepto;importe\n");
    let words = ["Taxi aeropuerto", "Hotel Madrid centro", "Factura Iberdrola luz", "Restaurante El Olivo", "Papelería Folder"];
    for i in 0..40 {
        csv.push_str(&format!("{:02}/03/2024;{} {};{},{:02}\n", i % 28 + 1, words[i % words.len()], i % 9, 10 + i, i));
    }
    csv.into_bytes()
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// Signs in through the form in `locale`, landing wherever the sign-in page sends people.
async fn sign_in(page: &Page, server: &TestServer, locale: &str, user: &str) -> anyhow::Result<()> {
    page.goto(&server.url("/login"), None).await?;
    page.evaluate_expression(&format!("document.cookie = 'dgs_locale={locale}; path=/'")).await?;
    page.goto(&server.url("/login"), None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    page.locator("input[name=username]").fill(user, None).await?;
    page.locator("input[name=password]").fill(PASSWORD, None).await?;
    page.locator("form button[type=submit]").click(None).await?;
    page.wait_for_url("**/datasets", None).await?;
    Ok(())
}

async fn finished_run(server: &TestServer, client: &reqwest::Client, body: Value) -> anyhow::Result<Value> {
    let run: Value = client.post(server.url("/api/v1/runs")).json(&body).send().await?.error_for_status()?.json().await?;
    wait_run(server, client, &text(&run["id"]), Duration::from_secs(60), |r| r["status"] == "succeeded").await
}

#[tokio::test]
async fn the_review_loop_keeps_the_sampled_classifier_and_reopens_the_open_sample() -> anyhow::Result<()> {
    // The server's default provider is the (test) OpenAI model: an iteration that fell back to the
    // defaults would show up as openai.
    let model = llm_testserver::LlmTestServer::start().await?;
    let base = model.base_url();
    let server = TestServer::start(&[("LLM_PROVIDER", "openai"), ("OPENAI_BASE_URL", base.as_str()), ("LLM_MODEL", "gpt-test")]).await?;
    server.create_user("ana", "analyst", PASSWORD)?;
    let ana = server.client("ana", PASSWORD).await?;
    let dataset = upload_dataset(&server, &ana, "gastos.csv", ledger(), "concepto").await?;
    let run = finished_run(&server, &ana, json!({ "dataset_id": dataset["id"], "provider": "offline" })).await?;
    let run_id = text(&run["id"]);
    assert_eq!(run["provider"], "offline");
    let sample: Value = ana.post(server.url("/api/v1/samples")).json(&json!({ "run_id": run_id, "size": 8 })).send().await?.error_for_status()?.json().await?;
    let sample_id = text(&sample["id"]);

    // The plan of a re-run, over REST: the sampled run's provider, on the sample's lines only
    // (8 asked for, raised so every predicted category has its minimum).
    let version = text(&run["prompt_version_id"]);
    let plan: Value = ana
        .post(server.url(&format!("/api/v1/samples/{sample_id}/plan")))
        .json(&json!({ "scope": "sample", "prompt_version_id": version }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    assert_eq!(plan["settings"]["provider"], "offline", "{plan}");
    let size = sample["size"].as_i64().unwrap_or_default();
    assert!(size >= 8 && size < 40, "{sample}");
    assert_eq!(plan["lines"], size, "{plan}");
    let whole: Value = ana
        .post(server.url(&format!("/api/v1/samples/{sample_id}/plan")))
        .json(&json!({ "scope": "dataset", "prompt_version_id": version }))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(whole["settings"]["provider"], "offline", "{whole}");
    assert_eq!(whole["lines"], dataset["unique_lines"], "the whole dataset's lines: {dataset}");

    // A value out of range names its field and the range, for the screen to say in its language.
    let r = ana.post(server.url("/api/v1/samples")).json(&json!({ "run_id": run_id, "margin": 0.7 })).send().await?;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await?;
    assert_eq!((body["error"]["code"].clone(), body["error"]["details"]["field"].clone()), (json!("out_of_range"), json!("margin")), "{body}");

    let (_pw, _browser, page) = launch().await?;
    sign_in(&page, &server, "en", "ana").await?;
    // "Review a sample" twice: both times the same open sample, never a second one.
    for _ in 0..2 {
        page.goto(&server.url(&format!("/runs/{run_id}")), None).await?;
        page.locator("body[data-hydrated=true]").wait_for(None).await?;
        expect(page.locator("[data-testid=run-classifier]")).to_contain_text("offline").await?;
        page.locator("[data-testid=review-sample]").click(None).await?;
        page.wait_for_url(&format!("**/samples/{sample_id}"), None).await?;
        page.locator("[data-testid=review-item]").first().wait_for(None).await?;
    }
    let samples: Vec<Value> = ana.get(server.url(&format!("/api/v1/samples?run_id={run_id}"))).send().await?.json().await?;
    assert_eq!(samples.len(), 1, "reopening drew no new sample");

    // Re-run on the sample: the plan names the sampled run's classifier before anything starts.
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    page.locator("[data-testid=rerun-sample]").click(None).await?;
    expect(page.locator("[data-testid=launch-classifier]")).to_contain_text("offline").await?;
    expect(page.locator("[data-testid=launch-plan] [data-testid=plan-cached]")).to_contain_text(&format!("0 / {size}")).await?;
    page.screenshot_to_file(&shots_dir().join("rerun-plan-desktop.png"), ScreenshotOptions::builder().full_page(true).build()).await?;
    page.locator("[data-testid=confirm-launch]").click(None).await?;
    let rows = page.locator("[data-testid=iteration-list] li");
    expect(rows.clone()).with_timeout(Duration::from_secs(20)).to_have_count(2).await?;
    for i in 0..2 {
        expect(rows.nth(i).locator("[data-testid=iteration-model]")).to_contain_text("offline").await?;
    }
    // The same rows in Spanish name the same classifier in Spanish.
    page.evaluate_expression("document.cookie = 'dgs_locale=es; path=/'").await?;
    page.reload(None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    expect(rows.nth(1).locator("[data-testid=iteration-model]")).to_contain_text("sin conexión").await?;
    page.evaluate_expression("document.cookie = 'dgs_locale=en; path=/'").await?;
    let its: Vec<Value> = ana.get(server.url(&format!("/api/v1/samples/{sample_id}/iterations"))).send().await?.json().await?;
    assert_eq!(its.len(), 2);
    assert!(its.iter().all(|i| i["provider"] == "offline"), "every iteration used the sampled run's classifier: {its:?}");

    // Drawing a new sample is a choice, with a fixed size here.
    page.goto(&server.url(&format!("/runs/{run_id}")), None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    page.locator("[data-testid=draw-new-sample]").click(None).await?;
    // A margin of 60 % is refused on the spot, in the page's language.
    page.locator("[data-testid=sample-margin]").fill("60", None).await?;
    page.locator("[data-testid=sample-margin]").press("Tab", None).await?;
    page.locator("[data-testid=draw-sample]").click(None).await?;
    expect(page.locator("[data-testid=draw-bad-number]")).to_contain_text("margin of error").await?;
    page.locator("[data-testid=size-by-fixed]").check(None).await?;
    page.locator("[data-testid=sample-size]").fill("5", None).await?;
    page.locator("[data-testid=sample-size]").press("Tab", None).await?;
    page.locator("[data-testid=draw-sample]").click(None).await?;
    page.wait_for_url("**/samples/*", None).await?;
    let drawn = page.url().rsplit('/').next().unwrap_or_default().to_string();
    assert_ne!(drawn, sample_id);
    let s: Value = ana.get(server.url(&format!("/api/v1/samples/{drawn}"))).send().await?.json().await?;
    assert_eq!(s["size"], 5, "{s}");
    assert_no_console_errors();
    Ok(())
}

#[tokio::test]
async fn visitors_sign_in_first_and_the_wizard_keeps_its_step_in_the_address() -> anyhow::Result<()> {
    let server = TestServer::start(&[("LLM_PROVIDER", "offline")]).await?;
    server.create_user("ana", "analyst", PASSWORD)?;
    let (_pw, _browser, page) = launch().await?;

    // A visitor who is not signed in sees the sign-in page, and comes back where they were going.
    page.goto(&server.url("/datasets"), None).await?;
    page.wait_for_url("**/login?next=%2Fdatasets", None).await?;
    page.locator("input[name=username]").wait_for(None).await?;
    let anon = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let r = anon.get(server.url("/upload")).send().await?;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers().get("location").and_then(|v| v.to_str().ok()), Some("/login?next=%2Fupload"));
    assert_eq!(anon.get(server.url("/login")).send().await?.status(), 200);
    sign_in(&page, &server, "es", "ana").await?;

    // The wizard has its own address; each step after the upload is in it.
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    page.locator("[data-testid=upload-link]").click(None).await?;
    page.wait_for_url("**/upload", None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    let dir = tempfile::tempdir()?;

    // An empty file and a prose .txt: clear messages, in Spanish.
    let empty = dir.path().join("vacio.csv");
    std::fs::write(&empty, "")?;
    page.locator("[data-testid=file-input]").set_input_files(&empty, None).await?;
    expect(page.locator("[data-testid=upload-error]")).to_contain_text("está vacío").await?;
    let prose = dir.path().join("LEEME.txt");
    std::fs::write(&prose, "Este archivo explica cómo se hizo el extracto.\nNo tiene columnas, solo frases.\nGracias por leerlo.\n")?;
    page.locator("[data-testid=file-input]").set_input_files(&prose, None).await?;
    expect(page.locator("[data-testid=upload-error]")).to_contain_text("no una tabla").await?;
    expect(page.locator("[data-testid=upload-error]")).not().to_contain_text("plain text").await?;

    let csv = dir.path().join("gastos-marzo.csv");
    std::fs::write(&csv, ledger())?;
    page.locator("[data-testid=file-input]").set_input_files(&csv, None).await?;
    page.wait_for_url("**/uploads/*?step=review", None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    // The detection chips speak Spanish.
    expect(page.locator(".chips").first()).to_contain_text("codificación").await?;
    expect(page.locator(".chips").first()).to_contain_text("separador «;»").await?;
    page.locator("[data-testid=to-clean]").click(None).await?;
    page.wait_for_url("**?step=clean", None).await?;
    page.locator("[data-testid=to-confirm]").click(None).await?;
    page.wait_for_url("**?step=confirm", None).await?;
    expect(page.locator("[data-testid=confirm-rows]")).to_contain_text("40").await?;

    // Back goes back a step at a time, and forward again, with nothing lost.
    page.evaluate_expression("history.back()").await?;
    page.wait_for_url("**?step=clean", None).await?;
    page.locator("[data-testid=to-confirm]").wait_for(None).await?;
    page.evaluate_expression("history.back()").await?;
    page.wait_for_url("**?step=review", None).await?;
    page.locator("[data-testid=to-clean]").wait_for(None).await?;
    page.evaluate_expression("history.forward()").await?;
    page.wait_for_url("**?step=clean", None).await?;
    page.locator("[data-testid=to-confirm]").click(None).await?;
    page.wait_for_url("**?step=confirm", None).await?;
    page.locator("[data-testid=create-dataset]").click(None).await?;
    page.wait_for_url("**/datasets/*", None).await?;
    assert_no_console_errors();
    Ok(())
}

/// Words of the app's own Spanish that an English page must not show, and the other way round.
/// Data (the ledger's lines, the default prompt's categories) is not the app's voice and is left out.
const SPANISH: &[&str] = &[
    "Conjuntos de datos", "Revisiones", "Cargando", "Ejecución", "Ejecuciones", "Muestras", "Subir archivos", "Salir", "Idioma",
    "Iteraciones", "Terminada", "Siguiente", "Anterior", "Categoría", "Usuarios", "Contraseña", "Guardar", "Cancelar", "Buscar",
    "Filas", "palabras clave", "similitud", "cabecera", "codificación", "separador", "pronto", "Volver", "Nombre", "Creado",
    "Revisadas", "Descargar", "Clasificar", "Proveedor", "líneas únicas", "Sesiones", "sin conexión", "Llaves de acceso", "Registro",
];
const ENGLISH: &[&str] = &[
    "Datasets", "Reviews", "Loading", "Upload files", "Sign out", "Language", "Iterations", "Succeeded", "Next", "Previous",
    "Category", "Users", "Password", "Save", "Cancel", "Search", "Rows", "keywords", "similarity", "header on", "encoding",
    "delimiter", "soon", "Back", "Name", "Created", "Reviewed", "Download", "Classify", "Provider", "unique lines", "Sessions",
    "offline", "Passkeys", "Audit",
];

/// The words of `list` that `text` holds as whole words.
fn found(text: &str, list: &[&str]) -> Vec<String> {
    list.iter()
        .filter(|w| {
            text.match_indices(*w).any(|(i, m)| {
                let before = text[..i].chars().next_back();
                let after = text[i + m.len()..].chars().next();
                !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
            })
        })
        .map(|w| w.to_string())
        .collect()
}

#[tokio::test]
async fn every_page_speaks_one_language_and_fits_a_phone() -> anyhow::Result<()> {
    let server = TestServer::start(&[("LLM_PROVIDER", "offline")]).await?;
    server.create_user("root", "admin", PASSWORD)?;
    let root = server.client("root", PASSWORD).await?;
    let dataset = upload_dataset(&server, &root, "gastos.csv", ledger(), "concepto").await?;
    let run = finished_run(&server, &root, json!({ "dataset_id": dataset["id"] })).await?;
    let run_id = text(&run["id"]);
    let sample: Value = root.post(server.url("/api/v1/samples")).json(&json!({ "run_id": run_id, "size": 6 })).send().await?.json().await?;
    let sample_id = text(&sample["id"]);
    let (d, u) = (text(&dataset["id"]), text(&dataset["upload_id"]));
    let pages = [
        "/datasets".to_string(),
        "/upload".into(),
        format!("/uploads/{u}?step=review"),
        format!("/uploads/{u}?step=clean"),
        format!("/uploads/{u}?step=confirm"),
        format!("/datasets/{d}"),
        format!("/datasets/{d}/classify"),
        format!("/runs/{run_id}"),
        format!("/samples/{sample_id}"),
        "/prompts".into(),
        format!("/prompts?sample={sample_id}"),
        "/reviews".into(),
        "/tables".into(),
        "/reports".into(),
        "/marketing".into(),
        "/marketing/events".into(),
        "/account".into(),
        "/admin/users".into(),
        "/admin/roles".into(),
        "/admin/audit".into(),
        "/no/such/page".into(),
    ];
    let (_pw, _browser, page) = launch().await?;
    let mut problems = Vec::new();
    for (locale, other, loading) in [("en", SPANISH, "Loading"), ("es", ENGLISH, "Cargando")] {
        sign_in(&page, &server, locale, "root").await?;
        for path in &pages {
            page.set_viewport_size(playwright_rs::protocol::Viewport { width: 1280, height: 900 }).await?;
            page.goto(&server.url(path), None).await?;
            page.locator("body[data-hydrated=true]").wait_for(None).await?;
            // Settled: nothing is still loading.
            let mut body = String::new();
            for _ in 0..100 {
                body = page.evaluate::<(), String>("() => document.body.innerText", None).await?;
                if !body.contains(loading) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let lang: String = page.evaluate::<(), String>("() => document.documentElement.lang", None).await?;
            if lang != locale {
                problems.push(format!("{locale} {path}: <html lang={lang}>"));
            }
            let wrong = found(&body, other);
            if !wrong.is_empty() {
                problems.push(format!("{locale} {path}: words of the other language {wrong:?}"));
            }
            page.set_viewport_size(playwright_rs::protocol::Viewport { width: 390, height: 844 }).await?;
            tokio::time::sleep(Duration::from_millis(150)).await;
            let width: f64 = page.evaluate::<(), f64>("() => document.documentElement.scrollWidth", None).await?;
            if width > 390.0 {
                // Name the widest elements that stick out, so the fix is obvious.
                let culprits: String = page
                    .evaluate::<(), String>(
                        "() => [...document.querySelectorAll('body *')].filter(e => !e.closest('.nav') && e.getBoundingClientRect().right > 391)\
                           .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join(', ')",
                        None,
                    )
                    .await?;
                problems.push(format!("{locale} {path}: scrolls sideways at 390 px ({width} px wide): {culprits}"));
            }
            // Named by the kind of page, not its ids, so each run replaces the last one's pictures.
            let name: String = path
                .trim_start_matches('/')
                .split(['/', '?', '=', '&'])
                .filter(|part| uuid::Uuid::parse_str(part).is_err())
                .collect::<Vec<_>>()
                .join("_");
            let shot = shots_dir().join(format!("phone-{locale}-{}.png", if name.is_empty() { "home".into() } else { name }));
            page.screenshot_to_file(&shot, ScreenshotOptions::builder().full_page(true).build()).await?;
        }
        page.set_viewport_size(playwright_rs::protocol::Viewport { width: 1280, height: 900 }).await?;
        page.goto(&server.url("/datasets"), None).await?;
        page.locator("body[data-hydrated=true]").wait_for(None).await?;
        page.locator("header form button[type=submit]").click(None).await?;
        page.wait_for_url("**/login**", None).await?;
    }
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
    assert_no_console_errors();
    Ok(())
}

#[tokio::test]
async fn exports_open_in_a_spreadsheet_with_accents_dates_and_numbers() -> anyhow::Result<()> {
    let server = TestServer::start(&[("LLM_PROVIDER", "offline")]).await?;
    server.create_user("ana", "analyst", PASSWORD)?;
    let ana = server.client("ana", PASSWORD).await?;
    let dataset = upload_dataset(&server, &ana, "gastos.csv", ledger(), "concepto").await?;
    let run = finished_run(&server, &ana, json!({ "dataset_id": dataset["id"] })).await?;
    let id = text(&run["id"]);

    // CSV for a Spanish spreadsheet: BOM, ';', the added columns and reasons in Spanish.
    let bytes = ana.get(server.url(&format!("/api/v1/runs/{id}/results?format=csv&lang=es&sep=%3B"))).send().await?.error_for_status()?.bytes().await?;
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "the UTF-8 byte order mark comes first");
    let csv = std::str::from_utf8(&bytes[3..])?;
    assert_eq!(csv.lines().next(), Some("fecha;concepto;importe;categoría;puntuación;motivo"));
    let mut reader = csv::ReaderBuilder::new().delimiter(b';').from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>()?;
    assert_eq!(rows.len(), 40);
    assert!(rows.iter().any(|r| r.get(1).is_some_and(|c| c.starts_with("Papelería"))), "accents intact");
    assert!(rows.iter().all(|r| r.get(4).is_some_and(|s| s.contains(',') || s.is_empty())), "scores with a decimal comma");
    assert!(rows.iter().any(|r| r.get(5).is_some_and(|s| s.contains("palabras clave"))), "reasons in Spanish");
    // The same in English with ',': its own header, a decimal point.
    let en = ana.get(server.url(&format!("/api/v1/runs/{id}/results?format=csv&lang=en&sep=%2C"))).send().await?.text().await?;
    assert_eq!(en.trim_start_matches('\u{feff}').lines().next(), Some("fecha,concepto,importe,category,score,reason"));
    let r = ana.get(server.url(&format!("/api/v1/runs/{id}/results?format=csv&sep=tab"))).send().await?;
    assert_eq!(r.status(), 422, "an unknown separator is refused");

    // XLSX read back: dates are dates, amounts are numbers, the score a number.
    use calamine::{Data, Reader, Xlsx};
    let bytes = ana.get(server.url(&format!("/api/v1/runs/{id}/results?format=xlsx&lang=es"))).send().await?.error_for_status()?.bytes().await?;
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec()))?;
    let sheet = book.worksheet_range_at(0).ok_or_else(|| anyhow::anyhow!("no sheet"))??;
    let header: Vec<String> = sheet.rows().next().into_iter().flatten().map(|c| c.to_string()).collect();
    assert_eq!(header, ["fecha", "concepto", "importe", "categoría", "puntuación", "motivo"]);
    let first = sheet.rows().nth(1).ok_or_else(|| anyhow::anyhow!("no rows"))?;
    match &first[0] {
        Data::DateTime(d) => assert_eq!(d.as_datetime().map(|d| d.date().to_string()), Some("2024-03-01".into())),
        other => anyhow::bail!("the date is not a date cell: {other:?}"),
    }
    assert_eq!(first[2], Data::Float(10.0), "the amount 10,00 is the number 10");
    assert!(matches!(first[4], Data::Float(_)), "the score is a number: {:?}", first[4]);
    assert!(matches!(first[1], Data::String(_)));
    Ok(())
}
