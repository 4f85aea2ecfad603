//! The few things only a browser can do. Each is a no-op on the server.

use crate::i18n::{LOCALE_COOKIE, Locale};

#[cfg_attr(feature = "ssr", allow(dead_code))]
pub fn cookie_header() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let doc = web_sys::window()?.document()?;
        return doc.dyn_into::<web_sys::HtmlDocument>().ok()?.cookie().ok();
    }
    #[allow(unreachable_code)]
    None
}

pub fn set_locale_cookie(locale: Locale) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(doc) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.dyn_into::<web_sys::HtmlDocument>().ok()) {
            let _ = doc.set_cookie(&format!("{LOCALE_COOKIE}={}; path=/; max-age=31536000; samesite=lax", locale.code()));
            if let Some(html) = doc.document_element() {
                let _ = html.set_attribute("lang", locale.code());
            }
        }
    }
    let _ = (LOCALE_COOKIE, locale);
}

pub fn mark_hydrated() {
    #[cfg(feature = "hydrate")]
    if let Some(body) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.body()) {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}

/// A full navigation (used after sign-in/out so every resource reloads with the new session).
/// `<html lang>` in the browser (the server renders it from the locale cookie).
pub fn set_document_lang(code: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(el) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = el.set_attribute("lang", code);
    }
    let _ = code;
}

pub fn go(path: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(w) = web_sys::window() {
        let _ = w.location().set_href(path);
    }
    let _ = path;
}

/// Posts `file` to the REST upload endpoint with XMLHttpRequest, which (unlike fetch) reports upload
/// progress. Calls `progress` with 0..1 and `done` with the response status and body.
#[cfg(feature = "hydrate")]
pub fn upload_file(
    file: web_sys::File,
    progress: impl Fn(f64) + 'static,
    done: impl Fn(u16, String) + 'static,
) -> Result<(), String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let xhr = web_sys::XmlHttpRequest::new().map_err(|_| "XMLHttpRequest unavailable".to_string())?;
    xhr.open_with_async("POST", "/api/v1/uploads", true).map_err(|_| "cannot open request".to_string())?;
    let form = web_sys::FormData::new().map_err(|_| "FormData unavailable".to_string())?;
    form.append_with_blob_and_filename("file", &file, &file.name()).map_err(|_| "cannot attach file".to_string())?;
    let on_progress = Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
        if e.length_computable() && e.total() > 0.0 {
            progress(e.loaded() / e.total());
        }
    });
    if let Ok(upload) = xhr.upload() {
        upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    }
    let xhr_done = xhr.clone();
    let on_end = Closure::<dyn FnMut()>::new(move || {
        let body = xhr_done.response_text().ok().flatten().unwrap_or_default();
        done(xhr_done.status().unwrap_or(0), body);
    });
    xhr.set_onloadend(Some(on_end.as_ref().unchecked_ref()));
    // One upload at a time: the closures live as long as the page, which is what the request needs.
    on_progress.forget();
    on_end.forget();
    xhr.send_with_opt_form_data(Some(&form)).map_err(|_| "cannot send".to_string())
}

/// The error of a failed REST call: its `{"error": ...}` body, or what the status alone says.
#[cfg_attr(feature = "ssr", allow(dead_code))]
pub fn api_error(status: u16, body: &str) -> crate::api::AppError {
    #[derive(serde::Deserialize)]
    struct Wrapped {
        error: engine::ErrorBody,
    }
    match serde_json::from_str::<Wrapped>(body) {
        Ok(w) => crate::api::AppError(w.error),
        Err(_) if status == 0 => crate::api::AppError::new(engine::ErrorCode::Network, "the server could not be reached"),
        Err(_) => crate::api::AppError::new(engine::ErrorCode::Internal, format!("HTTP {status}")),
    }
}

/// Asks the browser's own confirmation dialog (keyboard-accessible, localised by the caller).
#[cfg_attr(feature = "ssr", allow(dead_code))]
pub fn confirm(message: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        return web_sys::window().and_then(|w| w.confirm_with_message(message).ok()).unwrap_or(false);
    }
    #[allow(unreachable_code)]
    {
        let _ = message;
        false
    }
}

/// Puts `text` on the clipboard (a shown-once secret); false when the browser refuses.
#[cfg_attr(feature = "ssr", allow(dead_code))]
pub fn copy_text(text: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        if let Some(w) = web_sys::window() {
            let _ = w.navigator().clipboard().write_text(text);
            return true;
        }
    }
    let _ = text;
    false
}

/// A short description of a browser from its user agent: "Chrome on Linux".
pub fn describe_agent(ua: &str) -> String {
    let browser = [("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Chromium/", "Chromium"), ("Safari/", "Safari"), ("curl/", "curl"), ("reqwest", "script")]
        .iter()
        .find(|(needle, _)| ua.contains(needle))
        .map(|(_, name)| *name);
    let os = [("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"), ("Mac OS X", "macOS"), ("Linux", "Linux")]
        .iter()
        .find(|(needle, _)| ua.contains(needle))
        .map(|(_, name)| *name);
    match (browser, os) {
        (Some(b), Some(o)) => format!("{b} · {o}"),
        (Some(b), None) => b.to_string(),
        (None, Some(o)) => o.to_string(),
        (None, None) => ua.chars().take(40).collect(),
    }
}

/// This page's origin ("https://dgs.example"), to turn a path into a link to share.
pub fn origin() -> String {
    #[cfg(feature = "hydrate")]
    {
        if let Some(o) = web_sys::window().and_then(|w| w.location().origin().ok()) {
            return o;
        }
    }
    String::new()
}

/// Bumps `tick` every `every` while `live()` says the thing shown is still changing (a run, a job),
/// so a resource keyed on `tick` reads it again; stops with the component. In the browser only.
pub fn poll_while(tick: leptos::prelude::RwSignal<u32>, every: std::time::Duration, live: impl Fn() -> bool + 'static) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::prelude::*;
        let handle = set_interval_with_handle(
            move || {
                if live() {
                    tick.update(|t| *t += 1);
                }
            },
            every,
        );
        if let Ok(h) = handle {
            on_cleanup(move || h.clear());
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (tick, every, live);
}
