//! The wasm entry point: hydrates the server-rendered app.

// The app's views are deeply nested types; hydrating them needs a deeper query limit.
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
