//! Reading the server's OpenAPI document the way the route-walking tests do.

use serde_json::Value;

/// An operation's parameters that go in `place` (`path`, `query`).
pub fn params<'a>(op: &'a Value, place: &str) -> Vec<&'a Value> {
    op["parameters"].as_array().into_iter().flatten().filter(|p| p["in"] == place).collect()
}

pub fn is_uuid(p: &Value) -> bool {
    p["schema"]["format"] == "uuid"
}

/// The path with every parameter filled: `bad` for the one named, a fresh uuid (or a word) for the rest.
pub fn fill(path: &str, op: &Value, bad: Option<(&str, &str)>) -> String {
    let mut out = path.to_string();
    for p in params(op, "path") {
        let name = p["name"].as_str().unwrap_or_default();
        let value = match bad {
            Some((n, v)) if n == name => v.to_string(),
            _ if is_uuid(p) => uuid::Uuid::new_v4().to_string(),
            _ => "word".to_string(),
        };
        out = out.replace(&format!("{{{name}}}"), &value);
    }
    out
}
