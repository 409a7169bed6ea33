//! Inputs found by `fuzz/` (cargo fuzz over load + validate), kept so that
//! they stay fixed. Each test loads the input the way the fuzz harness does
//! (`fuzz/src/lib.rs`), validates it when it loads, renders every
//! diagnostic and locates every path: none of that may panic, hang or blow
//! up, and where the input is not a document the load must fail cleanly.
//!
//! The rule (fuzz/README.md): every crash, timeout or OOM the fuzzer finds
//! gets a test here, with the input as a byte string.

use chaos_experiment::resolve::Env;
use chaos_experiment::validate::validate;
use chaos_experiment::{
    Diagnostic, DocPath, Document, Format, LoadError, Map, ProviderCheck, ProviderIssue, Value,
};

/// The provider types of the real registry, with no rules of their own (the
/// drivers crate is not a dependency of this one; its checks are fuzzed by
/// `fuzz/`).
struct KnownTypes;

impl ProviderCheck for KnownTypes {
    fn known_types(&self) -> Vec<String> {
        vec!["python".into(), "process".into(), "http".into()]
    }

    fn check(&self, _: &str, _: &Map<String, Value>, _: &str, _: &str) -> Vec<ProviderIssue> {
        Vec::new()
    }
}

/// The fuzz harness's fixed environment (a subset).
struct FixedEnv;

impl Env for FixedEnv {
    fn var(&self, key: &str) -> Option<String> {
        let v = match key {
            "ACC_STR" => "hello",
            "ACC_EMPTY" => "",
            "ACC_JSON" => "{\"a\": [1, 2.5, null, true]}",
            "ACC_INT" => "42",
            "ACC_FLOAT" => "-1.5e3",
            "ACC_BOOL" => "yes",
            "HOME" => "/home/fuzz",
            _ => return None,
        };
        Some(v.to_string())
    }
}

const ORIGIN: &str = "fuzz-input";

/// Loads, validates, renders and locates, as the fuzz harness does.
/// Returns the load result (the document or the error).
fn exercise(bytes: &[u8], format: Format) -> Result<Document, LoadError> {
    let doc = match Document::parse(bytes, format, ORIGIN) {
        Ok(doc) => doc,
        Err(e) => {
            let _ = e.to_string();
            match &e {
                LoadError::Syntax {
                    message, location, ..
                } => {
                    let prefix = match format {
                        Format::Json => "Failed parsing JSON experiment: ",
                        Format::Yaml => "Failed parsing YAML experiment: ",
                    };
                    assert!(message.starts_with(prefix), "{message:?}");
                    if let Some(l) = location {
                        assert!(l.line >= 1 && l.column >= 1, "{l:?}");
                    }
                }
                other => panic!("not a syntax error: {other:?}"),
            }
            return Err(e);
        }
    };
    let v = validate(&doc, &KnownTypes, &FixedEnv);
    for d in v.errors.iter().chain(&v.warnings) {
        render(&doc, d);
    }
    locate_all_paths(&doc);
    Ok(doc)
}

fn render(doc: &Document, d: &Diagnostic) {
    let place = match d.location {
        Some(l) => {
            check_location(doc, &d.path, l);
            format!("{}:{}:{}", doc.origin, l.line, l.column)
        }
        None => doc.origin.clone(),
    };
    let _ = format!("{} (at {}, {place}) {:?}", d.message, d.path, d.hint);
}

fn check_location(doc: &Document, path: &DocPath, l: chaos_experiment::Location) {
    assert!(l.line >= 1 && l.column >= 1, "{path} at {l:?}");
    let line = doc
        .source_line(l.line)
        .unwrap_or_else(|| panic!("{path} at {l:?}: past the last line"));
    assert!(
        l.column <= line.chars().count() + 1,
        "{path} at {l:?}: past the end of {line:?}"
    );
}

fn locate_all_paths(doc: &Document) {
    let mut stack = vec![(DocPath::root(), &doc.value)];
    let mut n = 0;
    while let Some((path, v)) = stack.pop() {
        n += 1;
        if n > 512 {
            break;
        }
        if let Some(l) = doc.locate(&path) {
            check_location(doc, &path, l);
        }
        match v {
            Value::Array(items) => {
                for (i, x) in items.iter().enumerate().rev() {
                    stack.push((path.index(i), x));
                }
            }
            Value::Object(m) => {
                for (k, x) in m.iter().rev() {
                    stack.push((path.key(k), x));
                }
            }
            _ => {}
        }
    }
}

/// Both formats, whatever the input.
fn both(bytes: &[u8]) {
    let _ = exercise(bytes, Format::Json);
    let _ = exercise(bytes, Format::Yaml);
}

// ---------------------------------------------------------------------------
// Inputs of the kinds the fuzzer starts from (hostile shapes that must keep
// loading or failing cleanly). Crashes the fuzzer found follow below.

#[test]
fn hostile_shapes_load_or_fail_cleanly() {
    let deep_json = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep_yaml = "- ".repeat(5_000);
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n\
                b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
                c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n\
                d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n\
                e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n\
                f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n";
    for input in [
        &b""[..],
        b"\xef\xbb\xbf{}",
        b"\xff\xfe",
        b"{\"method\": [\xc3]}",
        b"\r\r\n\r",
        b"NaN",
        b"[1e999]",
        b"{\"a\":1,\"a\":2}",
        b"<<: *a",
        b"&a [*a]",
        b"!!binary x",
        b"? [a]\n: b",
        b"%YAML 1.1\n---\n...\n---\n",
        deep_json.as_bytes(),
        deep_yaml.as_bytes(),
        bomb.as_bytes(),
    ] {
        both(input);
    }
}

#[test]
fn not_a_document_is_an_error() {
    assert!(exercise(b"{", Format::Json).is_err());
    assert!(exercise(b"[", Format::Yaml).is_err());
    assert!(exercise(b"\xff", Format::Yaml).is_err());
    assert!(exercise(b"{\"a\": NaN}", Format::Json).is_err());
}

// ---------------------------------------------------------------------------
// Found by the fuzzer.

/// `load_yaml` crash-a29dcce1 (`? `) and `load_validate` crash-33b0ecd4
/// (`Y` + `?  #arg`): an explicit empty key (`? `) written last, in a source
/// without a final line break, is located on a line that does not exist
/// (`None located at Location { line: 2, column: 1 }, past the last line
/// of the source`): the YAML parser puts the end of the stream on a new
/// line and the empty key takes that place.
#[test]
fn eof_empty_key_is_located_in_the_source() {
    for input in [
        &b"? "[..],
        b"?  #arg",
        b"? a\n? ",
        b"title: t\n? ",
        b"method:\n- ? ",
    ] {
        let doc = exercise(input, Format::Yaml).expect("an empty key is a document");
        assert!(
            doc.value.is_object() || doc.value.is_array(),
            "{:?}",
            doc.value
        );
    }
}

/// The same through validation: the warning for a secret scope that is not
/// a mapping pointed at line 6 of a 5-line file.
#[test]
fn eof_empty_key_diagnostic_is_located_in_the_source() {
    let input = b"title: t\ndescription: d\nmethod: []\nsecrets:\n  ? ";
    let doc = Document::parse(input, Format::Yaml, ORIGIN).unwrap();
    let v = validate(&doc, &KnownTypes, &FixedEnv);
    let w = v
        .warnings
        .iter()
        .find(|d| d.path.to_string() == "secrets.None")
        .expect("a warning for the scope `None`");
    let l = w.location.expect("a location");
    check_location(&doc, &w.path, l);
}

// ---------------------------------------------------------------------------
// Timeouts: many diagnostics in one document. Every location is found by
// scanning the source from its start (`json::locate` for JSON; for both
// formats the `text::line` calls of `Document::within_source`, and for YAML
// mappings a linear search of the keys), so locating every diagnostic is
// quadratic. Release-build times before the fix: 20,000 empty activities in
// 60 KB of minified JSON 9.7 s, as a 60 KB one-line YAML flow list 2.6 s;
// 20,000 bad configuration entries in 530 KB of JSON 87 s, 430 KB of YAML
// 9 s. The fuzzer (inputs up to 64 KiB, 2 s per input) can reach the first
// two. A linear implementation needs well under a second, even in a debug
// build; each test gives up after 10 s.

/// Loads and validates `text`, failing if that takes more than 10 s (the
/// work goes on in the background; the test does not wait for it).
fn validates_in_time(name: &str, text: String, format: Format, expect_errors: usize) {
    let limit = std::time::Duration::from_secs(10);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .stack_size(16 << 20)
        .spawn(move || {
            let started = std::time::Instant::now();
            let doc = Document::parse(text.as_bytes(), format, ORIGIN).unwrap();
            let v = validate(&doc, &KnownTypes, &FixedEnv);
            let _ = tx.send((started.elapsed(), v));
        })
        .unwrap();
    match rx.recv_timeout(limit) {
        Ok((took, v)) => {
            assert!(
                v.errors.len() >= expect_errors,
                "{name}: {} errors",
                v.errors.len()
            );
            assert!(v.errors.iter().all(|d| d.location.is_some()), "{name}");
            assert!(took < limit, "{name}: took {took:?}");
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("{name}: loading, validating and locating took more than {limit:?}")
        }
        Err(e) => panic!("{name}: {e} (the load or validation panicked)"),
    }
}

const MANY: usize = 20_000;

#[test]
fn many_diagnostics_in_minified_json_in_time() {
    let text = format!(
        "{{\"title\":\"t\",\"description\":\"d\",\"method\":[{}]}}",
        vec!["{}"; MANY].join(",")
    );
    validates_in_time(
        "one-line JSON, 20,000 empty activities",
        text,
        Format::Json,
        MANY,
    );
}

#[test]
fn many_diagnostics_in_pretty_json_in_time() {
    let text = format!(
        "{{\n  \"title\": \"t\",\n  \"description\": \"d\",\n  \"method\": [\n{}\n  ]\n}}\n",
        vec!["    {}"; MANY].join(",\n")
    );
    validates_in_time("JSON, 20,000 empty activities", text, Format::Json, MANY);
}

#[test]
fn many_diagnostics_in_one_line_yaml_in_time() {
    let text = format!(
        "title: t\ndescription: d\nmethod: [{}]\n",
        vec!["{}"; MANY].join(",")
    );
    validates_in_time(
        "one-line YAML, 20,000 empty activities",
        text,
        Format::Yaml,
        MANY,
    );
}

#[test]
fn many_diagnostics_in_block_yaml_in_time() {
    let text = format!(
        "title: t\ndescription: d\nmethod:\n{}",
        "- {}\n".repeat(MANY)
    );
    validates_in_time("YAML, 20,000 empty activities", text, Format::Yaml, MANY);
}

#[test]
fn many_diagnostics_in_a_large_mapping_in_time() {
    let n = 10_000;
    let yaml = (0..n)
        .map(|i| format!("  k{i}: {{type: env}}\n"))
        .collect::<String>();
    let text = format!("title: t\ndescription: d\nmethod: []\nconfiguration:\n{yaml}");
    validates_in_time(
        "YAML, 10,000 bad configuration entries",
        text,
        Format::Yaml,
        n,
    );
    let json = (0..n)
        .map(|i| format!("\"k{i}\": {{\"type\": \"env\"}}"))
        .collect::<Vec<_>>();
    let text = format!(
        "{{\"title\": \"t\", \"description\": \"d\", \"method\": [],\n\"configuration\": {{\n{}}}}}",
        json.join(",\n")
    );
    validates_in_time(
        "JSON, 10,000 bad configuration entries",
        text,
        Format::Json,
        n,
    );
}
