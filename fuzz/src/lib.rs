//! What every fuzz target does with one input: load it, validate it with the
//! real driver registry (Python imports aside: see [`registry`]) and a fixed
//! environment, and render every diagnostic the way the console does.
//!
//! Besides "no panic, no hang, no blow-up", a few documented contracts of
//! `chaos_experiment` are asserted (a failed load is a
//! `LoadError::Syntax` with the format's message prefix; locations count
//! from 1 and point at a line that exists in the source). A failed
//! assertion is a crash like any other: turn it into a regression test in
//! `crates/experiment/tests/fuzz_regressions.rs`.

use std::path::PathBuf;
use std::sync::OnceLock;

use chaos_drivers::python::PythonOptions;
use chaos_drivers::Registry;
use chaos_experiment::resolve::Env;
use chaos_experiment::validate::validate;
use chaos_experiment::{Diagnostic, DocPath, Document, Format, LoadError, Location, Value};

/// The name every fuzzed document is loaded under.
pub const ORIGIN: &str = "fuzz-input";

/// How many paths of a loaded document are located, beyond the diagnostics'.
const MAX_LOCATED: usize = 512;

/// A fixed environment, so that a run is deterministic: the variables the
/// conformance cases use, and a few of each kind `env_var_type` converts.
pub struct FixedEnv;

const VARS: &[(&str, &str)] = &[
    ("ACC_STR", "hello"),
    ("ACC_EMPTY", ""),
    ("ACC_TOKEN", "s3cr3t"),
    ("ACC_JSON", "{\"a\": [1, 2.5, null, true]}"),
    ("ACC_INT", "42"),
    ("ACC_FLOAT", "-1.5e3"),
    ("ACC_COLOR", "red"),
    ("ACC_BOOL", "yes"),
    ("HOME", "/home/fuzz"),
    ("USER", "fuzz"),
    ("PATH", "/usr/bin:/bin"),
    ("A", "1"),
    ("B", "false"),
    ("X", "[1, 2"),
    ("JSON", "[]"),
    ("BYTES", "\u{e9}\u{0}\u{10ffff}"),
];

impl Env for FixedEnv {
    fn var(&self, key: &str) -> Option<String> {
        VARS.iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.to_string())
    }
}

/// The registry of built-in drivers, new for each input.
///
/// New each time because the `process` driver remembers which programs it
/// has looked up: one registry for the whole run would carry state from
/// input to input (and grow with every made-up path).
///
/// The `python` driver checks a provider by importing its module in a
/// Python worker process. That would make a run depend on what Python has
/// installed (and import whatever module names the fuzzer makes up), so by
/// default its interpreter is a path that does not exist: every Python
/// provider with a module and a function gets the driver's "cannot start
/// the Python interpreter" issue, without a process. `FUZZ_PYTHON=1` uses
/// `Registry::builtin()` as it is, with the real interpreter, one for the
/// whole run (a worker is slow to start).
pub fn registry() -> Registry {
    static PYTHON: OnceLock<Option<Registry>> = OnceLock::new();
    let shared = PYTHON.get_or_init(|| {
        std::env::var_os("FUZZ_PYTHON")
            .is_some_and(|v| v == "1")
            .then(Registry::builtin)
    });
    match shared {
        Some(r) => r.clone(),
        None => Registry::new(PythonOptions {
            interpreter: Some(PathBuf::from("/nonexistent/chaos-fuzz/python3")),
            ..PythonOptions::default()
        }),
    }
}

/// `load_validate`'s selector byte: even is JSON, odd is YAML.
pub fn format_for(selector: u8) -> Format {
    if selector & 1 == 0 {
        Format::Json
    } else {
        Format::Yaml
    }
}

/// Loads, validates and renders one document.
pub fn exercise(bytes: &[u8], format: Format) {
    let doc = match Document::parse(bytes, format, ORIGIN) {
        Ok(doc) => doc,
        Err(e) => {
            check_load_error(&e, format);
            return;
        }
    };
    assert_eq!(doc.format, format);
    assert_eq!(doc.origin, ORIGIN);

    let v = validate(&doc, &registry(), &FixedEnv);
    let mut out = String::new();
    for (label, diags) in [("error", &v.errors), ("warning", &v.warnings)] {
        for d in diags {
            render(&doc, label, d, &mut out);
        }
    }
    std::hint::black_box(&out);
    std::hint::black_box(v.is_valid());

    locate_paths(&doc);
}

fn check_load_error(e: &LoadError, format: Format) {
    let shown = e.to_string();
    std::hint::black_box(format!("{e:?}"));
    match e {
        LoadError::Syntax {
            origin,
            message,
            location,
        } => {
            assert_eq!(origin, ORIGIN);
            let prefix = match format {
                Format::Json => "Failed parsing JSON experiment: ",
                Format::Yaml => "Failed parsing YAML experiment: ",
            };
            assert!(
                message.starts_with(prefix),
                "load error without the reference's prefix: {message:?}"
            );
            assert!(shown.starts_with(ORIGIN), "{shown:?}");
            if let Some(l) = location {
                assert!(l.line >= 1 && l.column >= 1, "load error at {l:?}: {shown}");
            }
        }
        other => {
            panic!("Document::parse failed with something else than a syntax error: {other:?}")
        }
    }
}

/// What the console prints for one diagnostic (without colour), plus the
/// source line it points at.
fn render(doc: &Document, label: &str, d: &Diagnostic, out: &mut String) {
    use std::fmt::Write;
    let place = match d.location {
        Some(l) => {
            check_location(doc, &d.path, l);
            format!("{}:{}:{}", doc.origin, l.line, l.column)
        }
        None => doc.origin.clone(),
    };
    let _ = write!(out, "{label}: {}\n  --> {place} ({})", d.message, d.path);
    if let Some(h) = &d.hint {
        let _ = write!(out, "\n  fix: {h}");
    }
    let _ = write!(out, "\n{} (at {}, {place})\n", d.message, d.path);
    if let Some(line) = d.location.and_then(|l| doc.source_line(l.line)) {
        out.push_str(line);
        out.push('\n');
    }
}

/// A location must be on a line of the source, at most one column past its
/// end.
fn check_location(doc: &Document, path: &DocPath, l: Location) {
    assert!(l.line >= 1 && l.column >= 1, "{path} located at {l:?}");
    let line = doc
        .source_line(l.line)
        .unwrap_or_else(|| panic!("{path} located at {l:?}, past the last line of the source"));
    let chars = line.chars().count();
    assert!(
        l.column <= chars + 1,
        "{path} located at {l:?}, past the end of line {:?}",
        line
    );
}

/// Locates every path of the document (up to a bound), and one path that
/// does not exist below each container.
fn locate_paths(doc: &Document) {
    let mut stack: Vec<(DocPath, &Value)> = vec![(DocPath::root(), &doc.value)];
    let mut n = 0;
    while let Some((path, v)) = stack.pop() {
        n += 1;
        if n > MAX_LOCATED {
            break;
        }
        if let Some(l) = doc.locate(&path) {
            check_location(doc, &path, l);
        }
        match v {
            Value::Array(items) => {
                let missing = path.index(items.len()).key("missing");
                if let Some(l) = doc.locate(&missing) {
                    check_location(doc, &missing, l);
                }
                for (i, x) in items.iter().enumerate().rev() {
                    stack.push((path.index(i), x));
                }
            }
            Value::Object(m) => {
                let missing = path.key("\u{0}missing").index(0);
                if let Some(l) = doc.locate(&missing) {
                    check_location(doc, &missing, l);
                }
                for (k, x) in m.iter().rev() {
                    stack.push((path.key(k), x));
                }
            }
            _ => {}
        }
    }
}
