use serde_json::json;

use super::*;

fn step(source: &str, target: &str, ty: TransformationType, params: Value) -> Step {
    let m = FieldMapping {
        source_field: source.into(),
        target_field: target.into(),
        transformation_type: ty,
        transformation_parameters: params,
        storage_type: StorageType::Column,
        is_required: false,
    };
    Step::new(&m).expect("valid mapping")
}

fn one(s: &Step, v: Value) -> Result<Option<Value>, String> {
    let mut rec = Map::new();
    rec.insert(s.mapping.source_field.clone(), v);
    s.value(&rec)
}

#[test]
fn every_transformation_converts_what_it_can_and_says_why_not() {
    let none = step("a", "a", TransformationType::None, json!({}));
    assert_eq!(one(&none, json!(12.5)), Ok(Some(json!(12.5))));
    let string = step("a", "a", TransformationType::ToString, json!({}));
    assert_eq!(one(&string, json!(12)), Ok(Some(json!("12"))));
    assert_eq!(one(&string, json!(true)), Ok(Some(json!("true"))));

    let number = step("a", "a", TransformationType::ToNumber, json!({}));
    assert_eq!(one(&number, json!("1,234.50")), Ok(Some(json!(1234.5))));
    assert_eq!(one(&number, json!(" 42 ")), Ok(Some(json!(42))));
    assert!(one(&number, json!("doce")).unwrap_err().contains("not a number"));
    let spanish = step("a", "a", TransformationType::ToNumber, json!({"decimal_separator": ","}));
    assert_eq!(one(&spanish, json!("1.234,50")), Ok(Some(json!(1234.5))));
    assert_eq!(one(&spanish, json!("-0,75")), Ok(Some(json!(-0.75))));

    let boolean = step("a", "a", TransformationType::ToBoolean, json!({}));
    for yes in ["sí", "Si", "YES", "true", "1", "x"] {
        assert_eq!(one(&boolean, json!(yes)), Ok(Some(json!(true))), "{yes}");
    }
    for no in ["no", "FALSE", "0", "falso"] {
        assert_eq!(one(&boolean, json!(no)), Ok(Some(json!(false))), "{no}");
    }
    assert!(one(&boolean, json!("quizá")).is_err());
    assert_eq!(one(&boolean, json!(0)), Ok(Some(json!(false))));

    let date = step("a", "a", TransformationType::ToDate, json!({"format": "%d/%m/%Y"}));
    assert_eq!(one(&date, json!("05/03/2024")), Ok(Some(json!("2024-03-05"))));
    assert!(one(&date, json!("2024-03-05")).unwrap_err().contains("%d/%m/%Y"));
    let stamp = step("a", "a", TransformationType::ToDate, json!({"format": "%d/%m/%Y %H:%M"}));
    assert_eq!(one(&stamp, json!("05/03/2024 14:30")), Ok(Some(json!("2024-03-05T14:30:00+00:00"))));
    let guess = step("a", "a", TransformationType::ToDate, json!({}));
    assert_eq!(one(&guess, json!("2024-12-31")), Ok(Some(json!("2024-12-31"))));
    assert_eq!(one(&guess, json!("31/12/2024")), Ok(Some(json!("2024-12-31"))));
}

#[test]
fn text_steps_run_in_order_before_the_type() {
    let s = step(
        "a",
        "a",
        TransformationType::ToString,
        json!({"trim": true, "case": "upper", "replace": [{"pattern": "\\s+", "replacement": "-"}], "lookup": {"map": {"NEW-YORK": "NYC"}}}),
    );
    assert_eq!(one(&s, json!("  new   york ")), Ok(Some(json!("NYC"))));
    assert_eq!(one(&s, json!(" boston ")), Ok(Some(json!("BOSTON"))));
    let title = step("a", "a", TransformationType::None, json!({"case": "title"}));
    assert_eq!(one(&title, json!("maría DEL carmen")), Ok(Some(json!("María Del Carmen"))));
    let with_default = step("a", "a", TransformationType::None, json!({"lookup": {"map": {"A": 1}, "default": 0}}));
    assert_eq!(one(&with_default, json!("B")), Ok(Some(json!(0))));
    let fallback = step("a", "a", TransformationType::ToNumber, json!({"default": "7"}));
    assert_eq!(one(&fallback, json!("")), Ok(Some(json!(7))));
    assert_eq!(one(&fallback, Value::Null), Ok(Some(json!(7))));
}

#[test]
fn bad_parameters_are_refused_when_the_mapping_is_read() {
    let bad = |p: Value| {
        let m = FieldMapping {
            source_field: "a".into(),
            target_field: "a".into(),
            transformation_type: TransformationType::ToDate,
            transformation_parameters: p,
            storage_type: StorageType::Column,
            is_required: false,
        };
        Step::new(&m).unwrap_err()
    };
    assert!(bad(json!({"case": "shout"})).contains("case"));
    assert!(bad(json!({"replace": [{"pattern": "("}]})).contains("regular expression"));
    assert!(bad(json!({"format": "%Q"})).contains("date format"));
    assert!(bad(json!({"decimal_separator": ";"})).contains("decimal_separator"));
    assert!(bad(json!({"lookup": {"nomap": 1}})).contains("map"));
    assert!(bad(json!([1])).contains("object"));
}

#[test]
fn a_record_maps_to_promoted_fields_columns_and_extended_properties() {
    let mut ext = step("notes", "notes", TransformationType::None, json!({}));
    ext.mapping.storage_type = StorageType::Jsonb;
    let mut required = step("sku", "code", TransformationType::ToString, json!({"trim": true}));
    required.mapping.is_required = true;
    let steps = vec![
        required,
        step("name", "display_value", TransformationType::None, json!({})),
        step("active", "is_active", TransformationType::ToBoolean, json!({})),
        step("price", "price", TransformationType::ToNumber, json!({"decimal_separator": ","})),
        ext,
    ];
    let m = map_record(&steps, &json!({"sku": " A-1 ", "name": "Lápiz", "active": "no", "price": "1,5", "notes": "x"}));
    assert!(m.errors.is_empty() && m.missing.is_empty(), "{:?}", m.errors);
    assert_eq!(m.input.code.as_deref(), Some("A-1"));
    assert_eq!(m.input.display_value.as_deref(), Some("Lápiz"));
    assert_eq!(m.input.is_active, Some(false));
    assert_eq!(m.input.column_values.get("price"), Some(&json!(1.5)));
    assert_eq!(m.input.extended_properties.get("notes"), Some(&json!("x")));

    let bad = map_record(&steps, &json!({"name": "sin código", "price": "caro"}));
    assert_eq!(bad.missing.len(), 1);
    assert_eq!(bad.missing[0].error_type, MISSING_REQUIRED_FIELD);
    assert_eq!(bad.errors.len(), 1);
    assert_eq!(bad.errors[0].field, "price");
    assert!(bad.rejected(ValidationLevel::Lenient));

    let lenient = map_record(&steps, &json!({"sku": "B", "price": "caro"}));
    assert!(lenient.rejected(ValidationLevel::Strict));
    assert!(!lenient.rejected(ValidationLevel::Lenient));
    assert!(!lenient.input.column_values.contains_key("price"));

    assert!(map_record(&steps, &json!([1, 2])).rejected(ValidationLevel::Lenient));
}
