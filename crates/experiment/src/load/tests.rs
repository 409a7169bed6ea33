use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::json;

use super::*;

fn yaml(s: &str) -> Value {
    match Document::parse(s.as_bytes(), Format::Yaml, "t.yaml") {
        Ok(d) => d.value,
        Err(e) => panic!("{s:?}: {e}"),
    }
}

fn yaml_err(s: &str) -> (String, Option<(usize, usize)>) {
    match Document::parse(s.as_bytes(), Format::Yaml, "t.yaml") {
        Ok(d) => panic!("{s:?} loaded: {}", d.value),
        Err(LoadError::Syntax {
            message, location, ..
        }) => (message, location.map(|l| (l.line, l.column))),
        Err(e) => panic!("{s:?}: unexpected {e:?}"),
    }
}

fn json_err(s: &str) -> (String, Option<(usize, usize)>) {
    match Document::parse(s.as_bytes(), Format::Json, "t.json") {
        Ok(d) => panic!("{s:?} loaded: {}", d.value),
        Err(LoadError::Syntax {
            message, location, ..
        }) => (message, location.map(|l| (l.line, l.column))),
        Err(e) => panic!("{s:?}: unexpected {e:?}"),
    }
}

fn at(doc: &Document, path: &DocPath) -> (usize, usize) {
    let l = doc.locate(path).expect("a location");
    (l.line, l.column)
}

#[test]
fn yaml_1_1_scalars() {
    let v = yaml(
        "bools: [yes, No, ON, off, true, FALSE, y, n, oN]\n\
         nulls: [~, null, Null, NULL, !!null , nUll]\n\
         empty:\n\
         ints: [0, 012, 0x1F, 0b101, 1_000, -17, +5, 1:30, -1:30, 09, 0o17]\n\
         floats: [1.5, .5, 1., 1.0e+3, 1e3, 1:30.5, -2.5]\n\
         dates: [2024-01-02, 2001-12-14t21:59:43.10-05:00, 2001-12-14 21:59:43.10, 2024-01-02 1:02:03 Z, 2024-1-2]\n\
         strs: ['yes', \"12\", !!str 13, ! 14, ! '15']\n\
         block: |\n  yes\n\
         tagged: [!!int '7', !!float '1', !!bool 'on', !!null 'x', !!timestamp '2024-1-2']\n",
    );
    assert_eq!(
        v["bools"],
        json!([true, false, true, false, true, false, "y", "n", "oN"])
    );
    assert_eq!(v["nulls"], json!([null, null, null, null, null, "nUll"]));
    assert_eq!(v["empty"], Value::Null);
    assert_eq!(
        v["ints"],
        json!([0, 10, 31, 5, 1000, -17, 5, 90, -90, "09", "0o17"])
    );
    assert!(v["ints"][0].is_i64());
    assert_eq!(
        v["floats"],
        json!([1.5, 0.5, 1.0, 1000.0, "1e3", 90.5, -2.5])
    );
    assert!(v["floats"][2].is_f64());
    assert_eq!(
        v["dates"],
        json!([
            "2024-01-02",
            "2001-12-14T21:59:43.100000-05:00",
            "2001-12-14T21:59:43.100000",
            "2024-01-02T01:02:03+00:00",
            "2024-1-2"
        ])
    );
    assert_eq!(v["strs"], json!(["yes", "12", "13", 14, 15]));
    assert_eq!(v["block"], json!("yes\n"));
    assert_eq!(v["tagged"], json!([7, 1.0, true, null, "2024-01-02"]));
    assert!(v["tagged"][1].is_f64());
}

#[test]
fn yaml_keys_keep_order_and_become_strings() {
    let v = yaml("z: 1\na: 2\nm: 3\n1: int\n1.5: float\ntrue: bool\n~: null\n2024-01-02: date\n2024-01-02 03:04:05: ts\n.inf: inf\n");
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "z",
            "a",
            "m",
            "1",
            "1.5",
            "True",
            "None",
            "2024-01-02",
            "2024-01-02 03:04:05",
            "inf"
        ]
    );
    // last duplicate wins, at the place of the first
    let v = yaml("a: 1\nb: 2\na: 3\n");
    assert_eq!(serde_json::to_string(&v).unwrap(), r#"{"a":3,"b":2}"#);
    let v: Value = Document::parse(br#"{"a": 1, "b": 2, "a": 3}"#, Format::Json, "t")
        .unwrap()
        .value;
    assert_eq!(serde_json::to_string(&v).unwrap(), r#"{"a":3,"b":2}"#);
    let v: Value = Document::parse(br#"{"z": 1, "a": 2.0, "m": 3}"#, Format::Json, "t")
        .unwrap()
        .value;
    assert_eq!(
        serde_json::to_string(&v).unwrap(),
        r#"{"z":1,"a":2.0,"m":3}"#
    );
}

#[test]
fn yaml_anchors_aliases_and_merge_keys() {
    let v = yaml(
        "base: &b {x: 1, y: 2}\n\
         other: &o {y: 3, z: 4}\n\
         copy: *b\n\
         one:\n  <<: *b\n  y: 9\n\
         many:\n  <<: [*b, *o]\n  w: 5\n\
         inline:\n  <<: {q: 1}\n  r: 2\n\
         quoted:\n  '<<': *b\n\
         list: &l [1, 2]\n\
         again: *l\n",
    );
    assert_eq!(v["copy"], json!({"x": 1, "y": 2}));
    assert_eq!(
        serde_json::to_string(&v["one"]).unwrap(),
        r#"{"x":1,"y":9}"#
    );
    // PyYAML: the later mappings of the list first, earlier ones win
    assert_eq!(
        serde_json::to_string(&v["many"]).unwrap(),
        r#"{"y":2,"z":4,"x":1,"w":5}"#
    );
    assert_eq!(
        serde_json::to_string(&v["inline"]).unwrap(),
        r#"{"q":1,"r":2}"#
    );
    assert_eq!(v["quoted"], json!({"<<": {"x": 1, "y": 2}}));
    assert_eq!(v["again"], json!([1, 2]));

    let (m, l) = yaml_err("a: &a [*a]\n");
    assert!(m.contains("recursive"), "{m}");
    assert_eq!(l, Some((1, 8)));
    let (m, l) = yaml_err("a: 1\nb: *nope\n");
    assert!(m.starts_with("Failed parsing YAML experiment: "), "{m}");
    assert_eq!(l, Some((2, 4)));
    let (m, _) = yaml_err("a:\n  <<: 3\n");
    assert!(
        m.contains("expected a mapping or list of mappings for merging, but found scalar"),
        "{m}"
    );
}

#[test]
fn yaml_tags_and_what_pyyaml_rejects() {
    let (m, l) = yaml_err("a: !!python/object/apply:os.system ['true']\n");
    assert!(
        m.contains("could not determine a constructor for the tag 'tag:yaml.org,2002:python/object/apply:os.system'"),
        "{m}"
    );
    assert_eq!(l, Some((1, 4)));
    assert!(yaml_err("a: !foo x\n").0.contains("'!foo'"));
    assert!(yaml_err("a: =\n").0.contains("tag:yaml.org,2002:value"));
    assert!(yaml_err("? [1]\n: 2\n").0.contains("unhashable key"));
    assert!(yaml_err("a: !!str [1]\n")
        .0
        .contains("expected a scalar node, but found sequence"));
    assert!(yaml_err("a: !!int x\n").0.contains("invalid literal"));
    assert!(yaml_err("a: .inf\n").0.contains("cannot be represented"));
    assert!(yaml_err("a: 2023-02-29\n")
        .0
        .contains("day is out of range"));
    let (m, l) = yaml_err("a: \u{7f}\n");
    assert!(m.contains("unacceptable character #x007f"), "{m}");
    assert_eq!(l, Some((1, 4)));
    assert_eq!(yaml("=: 1\n"), json!({"=": 1}));
    assert!(yaml_err("a: ! '*'\n").0.contains("tag:yaml.org,2002:yaml"));
    assert_eq!(
        yaml("a: !!set {x, y}\n"),
        json!({"a": {"x": null, "y": null}})
    );
    assert_eq!(
        yaml("a: !!omap [x: 1, y: 2]\n"),
        json!({"a": [["x", 1], ["y", 2]]})
    );
    assert_eq!(yaml("a: !!binary aGVsbG8=\n"), json!({"a": "hello"}));
    assert_eq!(yaml("a: !<tag:yaml.org,2002:int> '5'\n"), json!({"a": 5}));
    assert_eq!(
        yaml("%TAG !e! tag:yaml.org,2002:\n---\na: !e!int '6'\n"),
        json!({"a": 6})
    );
}

#[test]
fn yaml_documents() {
    assert_eq!(yaml(""), Value::Null);
    assert_eq!(yaml("# only a comment\n"), Value::Null);
    assert_eq!(yaml("---\n"), Value::Null);
    assert_eq!(yaml("--- 1\n...\n"), json!(1));
    assert_eq!(yaml("%YAML 1.1\n---\na: yes\n"), json!({"a": true}));
    assert!(yaml_err("%YAML 2.0\n---\na: 1\n")
        .0
        .contains("version 1.* is required"));
    // PyYAML accepts unindented continuation lines in quoted scalars
    assert_eq!(
        yaml("a:\n  b: 'x\n  y'\n  c: \"p\nq\"\n"),
        json!({"a": {"b": "x y", "c": "p q"}})
    );
    let d = Document::parse(b"a:\n  b: \"x\ny\", c: 1\n", Format::Yaml, "t");
    assert!(d.is_err());
    let d = Document::parse(b"a: \"x\ny\"\nb: [1,\n  2]\n", Format::Yaml, "t").unwrap();
    assert_eq!(
        d.locate(&DocPath::root().key("b").index(1)),
        Some(Location { line: 4, column: 3 })
    );
    assert_eq!(yaml("\u{feff}a: 1\n"), json!({"a": 1}));
    assert_eq!(yaml("a: 1\r\nb: 2\r\n"), json!({"a": 1, "b": 2}));
    let (m, l) = yaml_err("a: 1\n---\nb: 2\n");
    assert!(
        m.contains("expected a single document in the stream"),
        "{m}"
    );
    assert_eq!(l, Some((2, 1)));
}

#[test]
fn alias_bomb_is_rejected_quickly() {
    let mut s = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let prev = format!("*a{}", i - 1);
        s.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            [prev.as_str(); 10].join(", ")
        ));
    }
    let start = Instant::now();
    let (m, l) = yaml_err(&s);
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "took {:?}",
        start.elapsed()
    );
    assert!(m.contains("alias bomb"), "{m}");
    assert!(l.is_some());

    // the same through merge keys
    let mut s = String::from("m0: &m0 {a: 1, b: 2}\n");
    for i in 1..40 {
        s.push_str(&format!(
            "m{i}: &m{i} {{<<: [*m{p}, *m{p}], k{i}: 1}}\n",
            p = i - 1
        ));
    }
    let start = Instant::now();
    let (m, _) = yaml_err(&s);
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "took {:?}",
        start.elapsed()
    );
    assert!(m.contains("alias bomb"), "{m}");

    // a modest reuse is fine
    let v = yaml(
        "p: &p {type: probe, provider: {type: python, module: m, func: f}}\nmethod: [*p, *p, *p]\n",
    );
    assert_eq!(v["method"][2]["provider"]["func"], json!("f"));
}

#[test]
fn deep_nesting_is_rejected_without_overflow() {
    for n in [MAX_NESTING + 1, 100_000] {
        let flow = format!("{}{}", "[".repeat(n), "]".repeat(n));
        let (m, l) = yaml_err(&flow);
        assert!(m.contains("nests more than"), "{m}");
        assert!(l.is_some());
        let (m, l) = json_err(&flow);
        assert!(m.contains("nests more than"), "{m}");
        assert!(l.is_some());
        let block: String = (0..n.min(5000))
            .map(|i| format!("{}a:\n", " ".repeat(i)))
            .collect();
        if n.min(5000) > MAX_NESTING {
            assert!(yaml_err(&block).0.contains("nests more than"));
        }
    }
    // exactly at the limit loads
    let flow = format!("{}{}", "[".repeat(MAX_NESTING), "]".repeat(MAX_NESTING));
    assert!(Document::parse(flow.as_bytes(), Format::Yaml, "t").is_ok());
    // aliases cannot nest deeper than the limit either
    let half = MAX_NESTING / 2 + 8;
    let s = format!(
        "a: &a {}1{}\nb: {}*a{}\n",
        "[".repeat(half),
        "]".repeat(half),
        "[".repeat(half),
        "]".repeat(half)
    );
    assert!(yaml_err(&s).0.contains("nests more than"));
}

#[test]
fn syntax_errors_have_locations() {
    let (m, l) = json_err("{\"title\": \"broken\", \"description\": \"x\", \"method\": [}\n");
    assert_eq!(m, "Failed parsing JSON experiment: expected value");
    assert_eq!(l, Some((1, 52))); // Python: line 1 column 52 (char 51)
    let (_, l) = json_err("{\n  \"é\": [1,\n   é]\n}");
    assert_eq!(l, Some((3, 4)));
    let (_, l) = json_err("{\"é\": [1,");
    assert_eq!(l, Some((1, 10))); // Python: line 1 column 10 (char 9)
    let (_, l) = json_err("");
    assert_eq!(l, Some((1, 1)));
    let (m, l) = json_err("{\"a\": NaN}");
    assert!(m.contains("NaN is not supported"), "{m}");
    assert_eq!(l, Some((1, 7)));
    assert!(json_err("[-Infinity]")
        .0
        .contains("-Infinity is not supported"));
    assert!(json_err("[Infinity]")
        .0
        .contains("Infinity is not supported"));
    assert!(json_err("\u{feff}{}").0.contains("byte order mark"));

    let (m, l) = yaml_err("title: broken\ndescription: [unclosed\nmethod:\n  - type: action\n");
    assert!(m.starts_with("Failed parsing YAML experiment: "), "{m}");
    assert_eq!(l, Some((3, 7))); // PyYAML: line 3, column 7
    let (_, l) = yaml_err("a: b\n c: d\n");
    assert_eq!(l, Some((2, 3)));

    for format in [Format::Json, Format::Yaml] {
        let err = Document::parse(b"{\"a\": \"x\xffy\"}", format, "f").unwrap_err();
        let LoadError::Syntax {
            message, location, ..
        } = &err
        else {
            panic!("{err:?}")
        };
        assert!(message.contains("invalid UTF-8"), "{message}");
        assert_eq!(*location, Some(Location { line: 1, column: 9 }));
        assert!(err.to_string().starts_with("f:1:9: "), "{err}");
    }
}

const YAML_EXPERIMENT: &str = "\
title: t
description: d
method:
  - type: probe
    name: first
    provider:
      type: http
      url: http://a
  - type: action
    name: second
    provider:
      type: http
      url: http://b
      headers: {x: 1}
";

const JSON_EXPERIMENT: &str = r#"{
  "title": "t",
  "description": "d",
  "method": [
    {"type": "probe", "name": "first", "provider": {"type": "http", "url": "http://a"}},
    {
      "type": "action",
      "name": "second",
      "provider": {
        "type": "http",
        "url": "http://b",
        "headers": {"x": 1}
      }
    }
  ]
}
"#;

#[test]
fn locate_nested_paths() {
    let root = DocPath::root();
    let url = root.key("method").index(1).key("provider").key("url");

    let y = Document::parse(YAML_EXPERIMENT.as_bytes(), Format::Yaml, "e.yaml").unwrap();
    assert_eq!(at(&y, &root), (1, 1));
    assert_eq!(at(&y, &root.key("title")), (1, 1));
    assert_eq!(at(&y, &root.key("method")), (3, 1));
    assert_eq!(at(&y, &root.key("method").index(1)), (9, 5));
    assert_eq!(at(&y, &url), (13, 7));
    assert_eq!(
        at(
            &y,
            &root
                .key("method")
                .index(1)
                .key("provider")
                .key("headers")
                .key("x")
        ),
        (14, 17)
    );
    // missing: deepest existing part
    assert_eq!(
        at(&y, &root.key("method").index(1).key("provider").key("nope")),
        (11, 5)
    );
    assert_eq!(at(&y, &root.key("method").index(5).key("x")), (3, 1));

    let j = Document::parse(JSON_EXPERIMENT.as_bytes(), Format::Json, "e.json").unwrap();
    assert_eq!(j.value, y.value);
    assert_eq!(at(&j, &root), (1, 1));
    assert_eq!(
        at(&j, &root.key("method").index(0).key("provider").key("url")),
        (5, 69)
    );
    assert_eq!(at(&j, &root.key("method").index(1)), (6, 5));
    assert_eq!(at(&j, &url), (11, 9));
    assert_eq!(
        at(&j, &root.key("method").index(1).key("provider").key("nope")),
        (9, 7)
    );

    let mut diags = vec![Diagnostic::new(url.clone(), "bad url")];
    j.locate_all(&mut diags);
    assert_eq!(
        diags[0].location,
        Some(Location {
            line: 11,
            column: 9
        })
    );
    y.locate_all(&mut diags);
    assert_eq!(
        diags[0].location,
        Some(Location {
            line: 13,
            column: 7
        })
    );
    assert_eq!(y.source_line(13), Some("      url: http://b"));
}

#[test]
fn locate_through_aliases_and_merges() {
    let d = Document::parse(
        b"defs:\n  p: &p\n    type: http\n    url: u\nmethod:\n  - *p\n  - <<: *p\n    name: n\n",
        Format::Yaml,
        "t",
    )
    .unwrap();
    let root = DocPath::root();
    // an alias points at the anchored text
    assert_eq!(at(&d, &root.key("method").index(0).key("url")), (4, 5));
    assert_eq!(at(&d, &root.key("method").index(1).key("url")), (4, 5));
    assert_eq!(at(&d, &root.key("method").index(1).key("name")), (8, 5));
}

fn conformance_cases() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/work/shared/conformance/cases") else {
        return out;
    };
    for entry in dir.flatten() {
        for name in ["experiment.json", "experiment.yaml", "experiment.yml"] {
            let p = entry.path().join(name);
            if p.is_file() {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn conformance_experiments_load() {
    let cases = conformance_cases();
    assert!(
        !cases.is_empty(),
        "the conformance cases are expected in ../shared beside the checkout"
    );
    for p in cases {
        let case = p
            .parent()
            .and_then(|d| d.file_name())
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        let result = load_file(&p);
        if case == "inv-json-syntax" || case == "inv-yaml-syntax" {
            match result {
                Err(LoadError::Syntax {
                    location: Some(_), ..
                }) => {}
                other => panic!("{case}: expected a located syntax error, got {other:?}"),
            }
        } else {
            let doc = result.unwrap_or_else(|e| panic!("{case}: {e}"));
            assert!(doc.value.is_object(), "{case}");
            let root = DocPath::root();
            assert!(doc
                .locate(&root.key("method").index(0).key("provider"))
                .is_some());
        }
    }
}

#[test]
fn load_file_rules() {
    let dir = std::env::temp_dir().join(format!("chaos-load-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sub = dir.join("x.json");
    std::fs::create_dir_all(&sub).unwrap();
    assert!(matches!(load_file(&sub), Err(LoadError::IsADirectory(_))));
    assert!(matches!(
        load_file(&dir.join("missing.json")),
        Err(LoadError::NotFound(_))
    ));
    for (name, ok) in [
        ("a.json", true),
        ("a.yaml", true),
        ("a.yml", true),
        ("a.JSON", false),
        ("a.txt", false),
        ("a", false),
    ] {
        let p = dir.join(name);
        std::fs::write(&p, "{\"title\": 1}").unwrap();
        let r = load_file(&p);
        if ok {
            assert_eq!(r.unwrap().value, json!({"title": 1}), "{name}");
        } else {
            assert!(
                matches!(r, Err(LoadError::UnsupportedExtension(_))),
                "{name}"
            );
        }
    }
    assert_eq!(load_file(&dir.join("a.yaml")).unwrap().format, Format::Yaml);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn remote_content_types() {
    let u = "http://h/e";
    assert_eq!(
        parse_remote(b"{\"a\": 1}", Some("application/json; charset=utf-8"), u)
            .unwrap()
            .format,
        Format::Json
    );
    assert_eq!(
        parse_remote(b"a: yes", Some("text/yaml"), u).unwrap().value,
        json!({"a": true})
    );
    assert_eq!(
        parse_remote(b"a: yes", Some("application/x-yaml"), u)
            .unwrap()
            .value,
        json!({"a": true})
    );
    assert_eq!(
        parse_remote(b"{\"a\": 1}", Some("text/plain"), u)
            .unwrap()
            .format,
        Format::Json
    );
    assert_eq!(
        parse_remote(b"a: 1", Some("text/plain"), u).unwrap().format,
        Format::Yaml
    );
    assert!(matches!(
        parse_remote(b"a: [", Some("text/plain"), u),
        Err(LoadError::UnsupportedExtension(_))
    ));
    assert!(matches!(
        parse_remote(b"a: [", Some("text/yaml"), u),
        Err(LoadError::Syntax { .. })
    ));
    assert!(matches!(
        parse_remote(b"{}", Some("text/html"), u),
        Err(LoadError::UnsupportedExtension(_))
    ));
    assert!(matches!(
        parse_remote(b"{}", None, u),
        Err(LoadError::UnsupportedExtension(_))
    ));
}

/// A small deterministic mutation fuzzer: no input may panic, and every
/// error must carry a location.
#[test]
fn mutated_inputs_never_panic() {
    let mut seeds: Vec<Vec<u8>> = conformance_cases()
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .collect();
    seeds.push(YAML_EXPERIMENT.as_bytes().to_vec());
    seeds.push(JSON_EXPERIMENT.as_bytes().to_vec());
    seeds.push(b"a: &a {x: [1, *a]}\nb: !!omap [a: 1]\nc: <<\n? - x\n: y\n".to_vec());
    let tokens: &[&[u8]] = &[
        b"&a ",
        b"*a",
        b"<<: ",
        b"!!",
        b"!",
        b"- ",
        b"? ",
        b": ",
        b"[",
        b"]",
        b"{",
        b"}",
        b"\"",
        b"'",
        b"|",
        b">",
        b"\n",
        b"\t",
        b"#",
        b"%YAML 1.1\n",
        b"---\n",
        b"...\n",
        b"\\u",
        b"\xff",
        b"\xc3",
        b"\x00",
        b"1:30",
        b".inf",
        b"2024-01-02",
        b"NaN",
        b"-",
        b",",
        b"\r",
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..3000 {
        let seed = &seeds[round % seeds.len()];
        let mut s = seed.clone();
        for _ in 0..(1 + next() % 4) {
            let pos = if s.is_empty() {
                0
            } else {
                (next() as usize) % s.len()
            };
            match next() % 3 {
                0 => {
                    let t = tokens[(next() as usize) % tokens.len()];
                    s.splice(pos..pos, t.iter().copied());
                }
                1 => {
                    let end = (pos + 1 + (next() as usize) % 8).min(s.len());
                    s.drain(pos..end);
                }
                _ => {
                    if !s.is_empty() {
                        s[pos] = (next() % 256) as u8;
                    }
                }
            }
        }
        for format in [Format::Json, Format::Yaml] {
            match Document::parse(&s, format, "fuzz") {
                Ok(d) => {
                    let _ = d.locate(
                        &DocPath::root()
                            .key("method")
                            .index(1)
                            .key("provider")
                            .key("url"),
                    );
                    let _ = d.locate(&DocPath::root().index(0).key("a"));
                }
                Err(LoadError::Syntax {
                    location, message, ..
                }) => {
                    assert!(
                        location.is_some(),
                        "no location for {message}: {:?}",
                        String::from_utf8_lossy(&s)
                    );
                }
                Err(e) => panic!("unexpected {e:?}"),
            }
        }
    }
}
