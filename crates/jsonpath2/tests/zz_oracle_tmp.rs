// TEMPORARY differential harness (removed before hand-off).
use chaos_jsonpath2::{EvalError, JsonPath};
use serde_json::{json, Value};

#[test]
#[ignore]
fn oracle() {
    let Ok(input) = std::env::var("JP2_CASES") else { return };
    let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(input).unwrap()).unwrap();
    let mut out = Vec::new();
    for c in cases {
        let path = c["path"].as_str().unwrap();
        let r = match JsonPath::parse(path) {
            Err(e) => json!({"error": e.to_string()}),
            Ok(p) => match p.try_find(&c["doc"]) {
                Ok(v) => json!({"values": v}),
                Err(EvalError::ZeroSliceStep) => json!({"eval_error": "zero"}),
                Err(e) => json!({"eval_error": e.to_string()}),
            },
        };
        out.push(r);
    }
    std::fs::write(std::env::var("JP2_OUT").unwrap(), serde_json::to_string(&out).unwrap()).unwrap();
}
