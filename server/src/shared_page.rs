//! `/s/{token}`: a shared report as a page of its own, for someone without an account. It shows
//! that report and nothing else — no navigation into the app, no script at all — under a strict
//! Content-Security-Policy, `noindex`, no referrer to other sites (the token is in the address). Parameters are a
//! plain form (GET), a protected link's password a POST that sets the link's cookie and comes
//! back; any refusal of the token is the same "not available" page.

use axum::extract::{Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use engine::reports::links;
use engine::reports::{ChartKind, SharedParameter, SharedReport};
use engine::{ErrorCode, Lang};
use serde::Deserialize;
use serde_json::Value;

use crate::api::extract::ApiPath;
use crate::api::session::Caller;
use crate::api::shared::{shared_report, unlock_of, unlock_set_cookie};
use crate::state::AppState;

const CSS: &str = "body{margin:0;font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d2521;background:#f5f6f4}\
main{max-width:1080px;margin:0 auto;padding:1.5rem 1rem 3rem}\
.card{background:#fff;border:1px solid #dfe4e0;border-radius:12px;padding:1.25rem 1.5rem;margin-bottom:1rem}\
.eyebrow{text-transform:uppercase;letter-spacing:.08em;font-size:.75rem;color:#5d6b64;margin:0}\
h1{margin:.2rem 0 .4rem;font-size:1.6rem}\
.muted{color:#5d6b64}\
form.params{display:flex;flex-wrap:wrap;gap:.75rem;align-items:flex-end}\
label{display:flex;flex-direction:column;gap:.25rem;font-size:.85rem;color:#5d6b64}\
input{font:inherit;padding:.45rem .6rem;border:1px solid #dfe4e0;border-radius:8px;min-width:12rem}\
button,.btn{font:inherit;padding:.45rem .9rem;border-radius:8px;border:1px solid #1f6f5c;background:#1f6f5c;color:#fff;cursor:pointer;text-decoration:none;display:inline-block}\
.btn.ghost{background:#fff;color:#1f6f5c}\
.chip{display:inline-block;padding:.15rem .6rem;border-radius:999px;background:#e3f1ec;color:#1f6f5c;font-size:.85rem}\
figure{margin:0}.chart svg{max-width:100%;height:auto}\
.kpi{font-size:3rem;font-weight:700;color:#1f6f5c;margin:.5rem 0}\
.table-wrap{overflow:auto}table{border-collapse:collapse;width:100%;font-size:.92rem}\
th,td{padding:.45rem .6rem;border-bottom:1px solid #dfe4e0;text-align:left;white-space:nowrap}\
th{color:#5d6b64;font-size:.78rem;text-transform:uppercase;letter-spacing:.03em}\
td.num{text-align:right;font-variant-numeric:tabular-nums}\
.pager{display:flex;gap:.5rem;align-items:center;margin-top:.75rem}\
footer{color:#5d6b64;font-size:.8rem;text-align:center;margin-top:2rem}\
.warn{color:#9a5b00}";

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn words(l: Lang) -> impl Fn(&'static str, &'static str) -> &'static str {
    move |es: &'static str, en: &'static str| l.pick(es, en)
}

fn lang_of(headers: &HeaderMap, query: Option<&str>) -> Lang {
    let asked = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).find(|(k, _)| k == "lang").map(|(_, v)| v.into_owned());
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_ascii_lowercase();
    match asked.as_deref() {
        Some("en") => Lang::En,
        Some("es") => Lang::Es,
        _ if accept.starts_with("en") => Lang::En,
        _ => Lang::Es,
    }
}

/// The page's headers: nothing may run, load or frame it; it is not indexed, and its address goes to no other site.
fn page(status: StatusCode, lang: Lang, title: &str, body: String) -> Response {
    use base64::Engine as _;
    use sha2::Digest;
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(CSS.as_bytes()));
    let html = format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex,nofollow\"><title>{}</title><style>{CSS}</style></head><body><main>{body}</main></body></html>",
        lang.pick("es", "en"),
        esc(title)
    );
    let mut res = (status, html).into_response();
    let h = res.headers_mut();
    let csp = format!("default-src 'none'; style-src 'sha256-{hash}'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert("x-robots-tag", HeaderValue::from_static("noindex, nofollow"));
    // Never to another site (the token is in the address); to this one, so its own form posts
    // carry their origin.
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn unavailable(lang: Lang) -> Response {
    let w = words(lang);
    let body = format!(
        "<section class=\"card\" data-testid=\"link-unavailable\"><p class=\"eyebrow\">{}</p><h1>{}</h1><p class=\"muted\">{}</p></section>",
        w("Informe compartido", "Shared report"),
        w("Este enlace no está disponible", "This link is not available"),
        w("No existe, ha caducado o se ha revocado. Pide uno nuevo a quien te lo envió.", "It does not exist, has expired or was revoked. Ask whoever sent it for a new one.")
    );
    page(StatusCode::NOT_FOUND, lang, w("Enlace no disponible", "Link not available"), body)
}

fn password_form(lang: Lang, token: &str) -> Response {
    let w = words(lang);
    let body = format!(
        "<section class=\"card\"><p class=\"eyebrow\">{}</p><h1>{}</h1><p class=\"muted\">{}</p>\
         <form method=\"post\" action=\"/s/{}\" class=\"params\"><label>{}<input type=\"password\" name=\"password\" required autocomplete=\"current-password\" data-testid=\"link-password\"></label>\
         <button type=\"submit\" data-testid=\"link-unlock\">{}</button></form></section>",
        w("Informe compartido", "Shared report"),
        w("Este enlace está protegido", "This link is protected"),
        w("Escribe la contraseña que te dieron con él.", "Enter the password you were given with it."),
        esc(token),
        w("Contraseña", "Password"),
        w("Abrir", "Open")
    );
    page(StatusCode::UNAUTHORIZED, lang, w("Enlace protegido", "Protected link"), body)
}

fn cell(v: Option<&Value>, lang: Lang) -> (String, bool) {
    engine::reports::display_cell(v, lang)
}

fn param_value(p: &SharedParameter) -> String {
    match &p.value {
        Value::Null => String::new(),
        Value::Array(items) if items.len() == 2 && p.operator == engine::reports::Operator::Between => format!("{}..{}", cell(items.first(), Lang::En).0, cell(items.get(1), Lang::En).0),
        Value::Array(items) => items.iter().map(|v| cell(Some(v), Lang::En).0).collect::<Vec<_>>().join(","),
        v => cell(Some(v), Lang::En).0,
    }
}

fn report_page(lang: Lang, token: &str, r: &SharedReport, query: Option<&str>) -> Response {
    let w = words(lang);
    let t = esc(token);
    let fields: Vec<(String, engine::reports::compile::Kind)> = r.result.metadata.fields.iter().map(|f| (f.name.clone(), engine::reports::compile::Kind::parse(&f.ty))).collect();
    let mut html = format!(
        "<section class=\"card\"><p class=\"eyebrow\">{}</p><h1 data-testid=\"shared-title\">{}</h1>{}</section>",
        w("Informe compartido", "Shared report"),
        esc(&r.name),
        if r.description.is_empty() { String::new() } else { format!("<p class=\"muted\">{}</p>", esc(&r.description)) }
    );
    if !r.parameters.is_empty() {
        html.push_str("<section class=\"card\"><form method=\"get\" class=\"params\" data-testid=\"shared-params\">");
        for p in &r.parameters {
            if p.editable {
                html.push_str(&format!(
                    "<label>{f}<input type=\"text\" name=\"{f}\" value=\"{v}\" data-testid=\"param-{f}\"></label>",
                    f = esc(&p.field),
                    v = esc(&param_value(p))
                ));
            } else {
                html.push_str(&format!(
                    "<label>{}<span class=\"chip\" data-testid=\"locked-{}\" title=\"{}\">{} · {}</span></label>",
                    esc(&p.field),
                    esc(&p.field),
                    w("Fijado por el enlace", "Fixed by the link"),
                    esc(&param_value(p)),
                    w("fijado", "fixed")
                ));
            }
        }
        if r.parameters.iter().any(|p| p.editable) {
            html.push_str(&format!("<input type=\"hidden\" name=\"lang\" value=\"{}\"><button type=\"submit\" data-testid=\"apply-params\">{}</button>", lang.pick("es", "en"), w("Aplicar", "Apply")));
        }
        html.push_str("</form></section>");
    }
    let chart = r.chart.clone().unwrap_or_default();
    let title = chart.title.clone().unwrap_or_else(|| r.name.clone());
    html.push_str("<section class=\"card\">");
    if chart.kind == ChartKind::Kpi {
        let (v, _) = cell(r.result.data.first().and_then(|row| engine::reports::chart::axes(&chart, &fields).and_then(|(_, ys)| row.get(&ys[0]).or_else(|| row.values().next()))), lang);
        html.push_str(&format!("<p class=\"muted\">{}</p><p class=\"kpi\" data-testid=\"kpi\">{}</p>", esc(&title), esc(&v)));
    } else if let Some(svg) = engine::reports::execute::draw(Some(&chart), &r.result) {
        html.push_str(&format!("<figure class=\"chart\" data-testid=\"shared-chart\"><div role=\"img\" aria-label=\"{}\">{svg}</div></figure>", esc(&title)));
    }
    let total = r.result.metadata.total_rows;
    html.push_str(&format!("<p class=\"muted\" data-testid=\"shared-total\">{} {}</p>", total, w("filas", "rows")));
    html.push_str("<div class=\"table-wrap\"><table data-testid=\"shared-table\"><thead><tr>");
    for (n, _) in &fields {
        html.push_str(&format!("<th scope=\"col\">{}</th>", esc(n)));
    }
    html.push_str("</tr></thead><tbody>");
    for row in &r.result.data {
        html.push_str("<tr>");
        for (n, _) in &fields {
            let (v, num) = cell(row.get(n), lang);
            html.push_str(&format!("<td{}>{}</td>", if num { " class=\"num\"" } else { "" }, esc(&v)));
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table></div>");
    // Pages keep the parameters chosen.
    let kept: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).filter(|(k, _)| k != "page"))
        .finish();
    let pg = &r.result.pagination;
    if pg.total_pages > 1 {
        html.push_str("<div class=\"pager\">");
        if pg.page_number > 1 {
            html.push_str(&format!("<a class=\"btn ghost\" href=\"/s/{t}?{}&amp;page={}\">←</a>", esc(&kept), pg.page_number - 1));
        }
        html.push_str(&format!("<span class=\"muted\">{} / {}</span>", pg.page_number, pg.total_pages));
        if pg.has_more {
            html.push_str(&format!("<a class=\"btn ghost\" href=\"/s/{t}?{}&amp;page={}\" data-testid=\"next-page\">→</a>", esc(&kept), pg.page_number + 1));
        }
        html.push_str("</div>");
    }
    html.push_str("</section>");
    if r.allow_export {
        let params: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).filter(|(k, _)| k != "page" && k != "page_size"))
            .finish();
        html.push_str(&format!(
            "<section class=\"card\"><a class=\"btn ghost\" data-testid=\"export-csv\" href=\"/api/v1/shared/{t}/export?format=csv&amp;{p}\">CSV</a> \
             <a class=\"btn ghost\" data-testid=\"export-xlsx\" href=\"/api/v1/shared/{t}/export?format=xlsx&amp;{p}\">Excel (XLSX)</a></section>",
            p = esc(&params)
        ));
    }
    html.push_str(&format!("<footer>{}</footer>", w("Un informe de solo lectura compartido desde Data Governance Service.", "A read-only report shared from Data Governance Service.")));
    page(StatusCode::OK, lang, &r.name, html)
}

/// `GET /s/{token}`.
pub async fn show(State(s): State<AppState>, caller: Caller, ApiPath(token): ApiPath<String>, headers: HeaderMap, uri: axum::http::Uri) -> Response {
    let lang = lang_of(&headers, uri.query());
    let open = match links::open(&s.services.pool, &token, unlock_of(&headers, &token).as_deref()).await {
        Ok(o) => o,
        Err(e) if e.code() == ErrorCode::LinkPasswordRequired => return password_form(lang, &token),
        Err(_) => return unavailable(lang),
    };
    // `lang` chooses the page's words; it is no parameter of the report.
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()).filter(|(k, _)| k != "lang"))
        .finish();
    match shared_report(&s, &open, Some(&query), caller.client.ip).await {
        Ok(r) => report_page(lang, &token, &r, Some(&query)),
        Err(e) => {
            let w = words(lang);
            let body = format!(
                "<section class=\"card\"><h1>{}</h1><p class=\"warn\" role=\"alert\" data-testid=\"shared-error\">{}</p><a class=\"btn ghost\" href=\"/s/{}\">{}</a></section>",
                w("No se pudo mostrar el informe", "The report could not be shown"),
                esc(&e.to_body(None).message),
                esc(&token),
                w("Volver a los valores del informe", "Back to the report's values")
            );
            page(StatusCode::BAD_REQUEST, lang, w("Informe compartido", "Shared report"), body)
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    password: String,
}

/// `POST /s/{token}`: the password form. Right: the link's cookie is set and the page comes back;
/// wrong (or locked out): "not available", as for any bad token.
pub async fn unlock(State(s): State<AppState>, ApiPath(token): ApiPath<String>, headers: HeaderMap, Form(f): Form<PasswordForm>) -> Response {
    let lang = lang_of(&headers, None);
    match links::unlock(&s.services.pool, &token, &f.password).await {
        Ok(done) => {
            let cookie = unlock_set_cookie(&s, &token, &done);
            let mut res = Redirect::to(&format!("/s/{token}")).into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                res.headers_mut().insert(header::SET_COOKIE, v);
            }
            res
        }
        Err(_) => unavailable(lang),
    }
}
