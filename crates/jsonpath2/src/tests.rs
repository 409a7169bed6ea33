use super::*;
use serde_json::json;

#[test]
fn smoke() {
    let p = JsonPath::parse("$..*").unwrap();
    assert_eq!(p.find(&json!({"a":{"b":1}})), vec![json!({"b":1}), json!(1)]);
}
