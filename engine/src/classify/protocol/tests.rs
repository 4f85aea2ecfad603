use serde_json::json;

use super::*;

fn cats() -> Vec<Category> {
    ["Pop", "Publicidad", "Viajes"]
        .iter()
        .map(|n| Category { name: n.to_string(), description: String::new(), keywords: vec![], priority: 0 })
        .collect()
}

fn lines() -> Vec<LineIn> {
    [(10, "libro mental"), (11, "revista pop"), (12, "vinil display")]
        .iter()
        .map(|(i, t)| LineIn { row_index: *i, text: t.to_string() })
        .collect()
}

fn answer(v: serde_json::Value) -> Vec<ResultIn> {
    parse_answer(&v.to_string()).expect("valid answer")
}

#[test]
fn results_are_matched_by_row_index_not_position() {
    let a = answer(json!({"results": [
        {"row_index": 12, "category": "Viajes", "score": 0.7, "reason": "c"},
        {"row_index": 10, "category": "Pop", "score": 0.9, "reason": "a"},
        {"row_index": 11, "category": "publicidad", "score": 0.8, "reason": "b"},
    ]}));
    let m = merge_answer(&lines(), a, &cats());
    let got: Vec<(i64, &str)> = m.results.iter().map(|r| (r.row_index, r.category.as_str())).collect();
    assert_eq!(got, vec![(10, "Pop"), (11, "Publicidad"), (12, "Viajes")]);
    assert_eq!((m.repaired, m.missing, m.discarded), (0, 0, 0));
}

#[test]
fn a_dropped_result_becomes_undetermined_as_in_seed_000() {
    let a = answer(json!({"results": [
        {"row_index": 10, "category": "Pop", "score": 0.9, "reason": "a"},
        {"row_index": 11, "category": "Publicidad", "score": 0.8, "reason": "b"},
    ]}));
    let m = merge_answer(&lines(), a, &cats());
    assert_eq!(m.results.len(), 3);
    assert_eq!(m.results[2].category, UNDETERMINED);
    assert_eq!(m.results[2].score, -1.0);
    assert_eq!(m.results[2].reason, NO_RESULT_REASON);
    assert_eq!(m.results[2].source, Source::Missing);
    assert_eq!((m.repaired, m.missing, m.discarded), (0, 1, 0));
}

#[test]
fn duplicates_invented_indexes_and_unknown_categories_are_discarded_and_counted() {
    let a = answer(json!({"results": [
        {"row_index": 10, "category": "Pop", "score": 0.9, "reason": "first wins"},
        {"row_index": 10, "category": "Viajes", "score": 0.1, "reason": "duplicate"},
        {"row_index": 99, "category": "Pop", "score": 0.5, "reason": "invented"},
        {"row_index": 11, "category": "Astrología", "score": 0.5, "reason": "not a category"},
        {"row_index": 12, "category": "Viajes", "score": 0.5, "reason": "ok"},
    ]}));
    let m = merge_answer(&lines(), a, &cats());
    assert_eq!(m.results[0].reason, "first wins");
    assert_eq!(m.results[1].category, UNDETERMINED);
    assert_eq!(m.results[2].category, "Viajes");
    assert_eq!((m.repaired, m.missing, m.discarded), (0, 1, 3));
}

#[test]
fn a_wrong_row_index_is_repaired_by_normalised_description() {
    let a = answer(json!({"results": [
        {"row_index": 10, "category": "Pop", "score": 0.9, "reason": "a"},
        {"row_index": 7, "description": "  Revista   POP ", "category": "Publicidad", "score": 0.8, "reason": "b"},
        {"description": "vinil display", "category": "Viajes", "score": 0.6, "reason": "c"},
    ]}));
    let m = merge_answer(&lines(), a, &cats());
    assert_eq!(m.results[1].category, "Publicidad");
    assert_eq!(m.results[1].source, Source::Repaired);
    assert_eq!(m.results[2].category, "Viajes");
    assert_eq!((m.repaired, m.missing, m.discarded), (2, 0, 0));
}

#[test]
fn scores_are_brought_into_the_unit_interval() {
    let a = answer(json!({"results": [
        {"row_index": "10", "category": "Pop", "score": 85, "reason": "percent"},
        {"row_index": 11.0, "category": "Pop", "score": "0.4", "reason": "string"},
        {"row_index": 12, "category": "Pop", "score": -3, "reason": "negative"},
    ]}));
    let m = merge_answer(&lines(), a, &cats());
    let scores: Vec<f64> = m.results.iter().map(|r| r.score).collect();
    assert_eq!(scores, vec![0.85, 0.4, 0.0]);
}

#[test]
fn answers_in_a_code_fence_or_as_a_bare_array_are_accepted_and_prose_is_refused() {
    assert_eq!(parse_answer("```json\n{\"results\": []}\n```").map(|r| r.len()), Ok(0));
    assert_eq!(parse_answer("[{\"row_index\": 1, \"category\": \"Pop\"}]").map(|r| r.len()), Ok(1));
    let err = parse_answer("Sure! Here are the results: ...").expect_err("prose is not an answer");
    assert!(err.contains("not the JSON object"), "{err}");
    assert!(parse_answer("{\"results\": [").is_err());
}

#[test]
fn user_message_is_the_json_array_of_row_index_and_text() {
    let msg = user_message(&lines()[..1]);
    assert_eq!(msg, r#"[{"row_index":10,"text":"libro mental"}]"#);
}
