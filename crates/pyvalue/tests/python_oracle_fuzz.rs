//! Differential test against the real Python (`python3`), on inputs that
//! `tools/gen_oracle.py` generates with Python's answers. By default the test
//! generates a twentieth of the full sample itself; for the full one:
//!
//! ```sh
//! python3 crates/pyvalue/tools/gen_oracle.py /tmp/pyvalue-oracle
//! PYVALUE_ORACLE_DIR=/tmp/pyvalue-oracle \
//!     cargo test -p chaos-pyvalue --release --test python_oracle_fuzz
//! ```

use chaos_pyvalue::*;
use std::cmp::Ordering;

fn oracle_dir() -> String {
    static DIR: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        if let Ok(dir) = std::env::var("PYVALUE_ORACLE_DIR") {
            return dir;
        }
        let dir = std::env::temp_dir().join(format!("pyvalue-oracle-{}", std::process::id()));
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tools/gen_oracle.py");
        let status = std::process::Command::new("python3")
            .arg(script)
            .arg(&dir)
            .args(["7", "20"])
            .stdout(std::process::Stdio::null())
            .status()
            .expect("python3 runs the oracle generator");
        assert!(status.success(), "gen_oracle.py failed");
        dir.display().to_string()
    })
    .clone()
}

fn read(name: &str) -> Value {
    let dir = oracle_dir();
    let text = std::fs::read_to_string(format!("{dir}/{name}")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn load(name: &str) -> Vec<Value> {
    match read(name) {
        Value::Array(a) => a,
        _ => panic!("{name} is not a list"),
    }
}

#[test]
fn floats() {
    let mut bad = 0;
    for c in load("floats.json") {
        let bits: u64 = c[0].as_str().unwrap().parse().unwrap();
        let f = f64::from_bits(bits);
        let want = c[1].as_str().unwrap();
        let got = float_repr(f);
        if got != want {
            bad += 1;
            if bad < 20 {
                eprintln!("float {bits}: got {got} want {want}");
            }
        }
    }
    assert_eq!(bad, 0);
}

#[test]
fn strings() {
    let mut bad = 0;
    for c in load("strings.json") {
        let s = c[0].as_str().unwrap();
        let want = c[1].as_str().unwrap();
        let got = py_repr_str(s);
        if got != want {
            bad += 1;
            if bad < 20 {
                eprintln!("str {s:?}: got {got} want {want}");
            }
        }
    }
    assert_eq!(bad, 0);
}

#[test]
fn parses() {
    let mut bad = 0;
    for c in load("parses.json") {
        let s = c[0].clone();
        let got_i = convert(&s, Some("int"));
        let ok = match (&c[1], &got_i) {
            (Value::String(w), Err(e)) if w.starts_with("ERR:") => w[4..] == e.0,
            (Value::String(w), Err(_)) if w == "RANGE" => true,
            (Value::Number(w), Ok(g)) => {
                py_eq(&Value::Number(w.clone()), g) && !g.as_number().unwrap().is_f64()
            }
            _ => false,
        };
        if !ok {
            bad += 1;
            if bad < 30 {
                eprintln!("int {s}: got {got_i:?} want {}", c[1]);
            }
        }
        let got_f = convert(&s, Some("float"));
        let ok = match (&c[2], &got_f) {
            (Value::String(w), Err(e)) if w.starts_with("ERR:") => w[4..] == e.0,
            (Value::String(w), Err(_)) if w == "NONFINITE" => true,
            (Value::String(w), Ok(g)) => g.is_f64() && float_repr(g.as_f64().unwrap()) == *w,
            _ => false,
        };
        if !ok {
            bad += 1;
            if bad < 30 {
                eprintln!("float {s}: got {got_f:?} want {}", c[2]);
            }
        }
        let got_d = to_decimal(&s).unwrap();
        let ok = match (c[3].as_str().unwrap(), got_d) {
            ("INVALID", None) => true,
            ("NAN", Some(f)) => f.is_nan(),
            ("INF", Some(f)) => f == f64::INFINITY,
            ("-INF", Some(f)) => f == f64::NEG_INFINITY,
            ("OK", Some(f)) => !f.is_nan(),
            _ => false,
        };
        if !ok {
            bad += 1;
            if bad < 30 {
                eprintln!("decimal {s}: got {got_d:?} want {}", c[3]);
            }
        }
    }
    assert_eq!(bad, 0);
}

#[test]
fn ranges() {
    let mut bad = 0;
    for c in load("ranges.json") {
        let got = decimal_in_range(&c[0], &c[1], &c[2]);
        let ok = match (&c[3], &got) {
            (Value::Bool(w), Ok(g)) => w == g,
            (Value::String(w), Err(e)) => w[4..] == e.0,
            _ => false,
        };
        if !ok {
            bad += 1;
            if bad < 30 {
                eprintln!(
                    "range {} {} {}: got {got:?} want {}",
                    c[0], c[1], c[2], c[3]
                );
            }
        }
    }
    assert_eq!(bad, 0);
}

#[test]
fn cmps() {
    let mut bad = 0;
    for c in load("cmps.json") {
        let (a, b, want) = (&c[0], &c[1], &c[2]);
        let eq = py_eq(a, b);
        let mut ok = Value::Bool(eq) == want[0];
        match &want[1] {
            Value::String(w) => {
                ok &= py_le(a, b).err().map(|e| e.0) == Some(w[4..].to_string());
                ok &= py_cmp(a, b).is_err();
            }
            Value::Bool(le) => {
                let lt = want[2].as_bool().unwrap();
                ok &= py_le(a, b) == Ok(*le) && py_lt(a, b) == Ok(lt);
                let o = py_cmp(a, b).unwrap();
                ok &= (o != Ordering::Greater) == *le && (o == Ordering::Less) == lt;
            }
            _ => ok = false,
        }
        if !ok {
            bad += 1;
            if bad < 30 {
                eprintln!("cmp {a} {b}: want {want}");
            }
        }
    }
    assert_eq!(bad, 0);
}

#[test]
fn templates() {
    let v = read("tmpl.json");
    let cfg = v["cfg"].as_object().unwrap();
    let sec = v["sec"].as_object().unwrap();
    let chain = Chain(vec![cfg, sec]);
    let mut bad = 0;
    for c in v["cases"].as_array().unwrap() {
        let got = substitute_str(c[0].as_str().unwrap(), &chain);
        if got != c[1] || got.is_f64() != c[1].is_f64() {
            bad += 1;
            if bad < 30 {
                eprintln!("tmpl {}: got {got} want {}", c[0], c[1]);
            }
        }
    }
    assert_eq!(bad, 0);
}
