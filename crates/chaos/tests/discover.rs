//! `chaos discover` end to end, with real extensions from PyPI in a real
//! virtualenv: created on first need (network to PyPI), then kept under the
//! target folder so later runs start at once.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::{json, Value};

/// What the test environment holds. chaostoolkit-k6 is a small extension
/// with a `discover` function; chaostoolkit-addons has none.
const REQUIREMENTS: &[&str] = &[
    "chaostoolkit-lib==1.44.0",
    "chaostoolkit-addons==0.11.0",
    "chaostoolkit-k6==0.3.4",
];

/// The virtualenv's interpreter, made once per test binary (and kept).
fn venv_python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| common::venv("discover-ctk-lib-1.44.0", REQUIREMENTS))
}

/// `chaos discover` in `dir`, with the test environment's interpreter.
fn discover(dir: &Path, args: &[&str]) -> Output {
    let mut c = common::chaos(dir);
    c.env_remove("VIRTUAL_ENV")
        .env_remove("CHAOS_PYTHON")
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .arg("discover")
        .arg("--python")
        .arg(venv_python())
        .args(args);
    c.output().unwrap()
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn names(activities: &Value) -> Vec<(String, String, String)> {
    activities
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["type"].as_str().unwrap().to_string(),
                a["name"].as_str().unwrap().to_string(),
                a["mod"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn discovers_a_real_extension_into_the_discovery_file() {
    let dir = common::scratch();
    let out = discover(
        dir.path(),
        &[
            "--no-install",
            "--discovery-path",
            "disco.json",
            "chaostoolkit-k6",
        ],
    );
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("Discovering capabilities from chaostoolkit-k6"),
        "{err}"
    );
    assert!(
        err.contains("Discovery outcome saved in disco.json"),
        "{err}"
    );

    let text = std::fs::read_to_string(dir.path().join("disco.json")).unwrap();
    assert!(
        text.starts_with("{\n  \"chaoslib_version\": \"1.44.0\",\n  \"id\": \""),
        "{text}"
    );
    let d: Value = serde_json::from_str(&text).unwrap();
    let keys: Vec<&str> = d.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "chaoslib_version",
            "id",
            "target",
            "date",
            "platform",
            "extension",
            "activities",
            "system"
        ]
    );
    assert_eq!(d["target"], "k6");
    assert_eq!(
        d["extension"],
        json!({"name": "chaostoolkit-k6", "version": "0.3.4"})
    );
    assert_eq!(d["system"], Value::Null);
    assert_eq!(d["id"].as_str().unwrap().len(), 36);
    assert!(d["date"].as_str().unwrap().ends_with("+00:00"));
    let platform: Vec<&str> = d["platform"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        platform,
        ["system", "node", "release", "version", "machine", "proc", "python"]
    );

    // Actions then probes, each module's functions in alphabetical order.
    assert_eq!(
        names(&d["activities"]),
        [
            (
                "action".into(),
                "run_script".into(),
                "chaosk6.actions".into()
            ),
            (
                "action".into(),
                "stress_endpoint".into(),
                "chaosk6.actions".into()
            ),
            ("probe".into(), "http".into(), "chaosk6.probes".into()),
        ]
    );
    for a in d["activities"].as_array().unwrap() {
        let keys: Vec<&str> = a.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            &keys[..5],
            ["type", "name", "mod", "doc", "arguments"],
            "{a}"
        );
        assert!(a["arguments"].is_array(), "{a}");
    }
    let run_script = &d["activities"][0];
    assert!(run_script["doc"]
        .as_str()
        .unwrap()
        .starts_with("Run an arbitrary k6 script"));
    assert_eq!(
        run_script["arguments"].as_array().unwrap()[..2],
        [
            json!({"name": "script_path", "default": null, "type": "string"}),
            json!({"name": "vus", "default": 1, "type": "integer"}),
        ]
    );
}

#[test]
fn the_default_path_and_chaos_python_are_used() {
    let dir = common::scratch();
    let out = common::chaos(dir.path())
        .env_remove("VIRTUAL_ENV")
        .env("CHAOS_PYTHON", venv_python())
        .args([
            "discover",
            "--no-install",
            "--no-system-info",
            "chaostoolkit-k6",
        ])
        .output()
        .unwrap();
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("Discovery outcome saved in ./discovery.json"),
        "{err}"
    );
    let d = read(&dir.path().join("discovery.json"));
    assert_eq!(d["extension"]["name"], "chaostoolkit-k6");
    assert_eq!(d["activities"].as_array().unwrap().len(), 3);
    // Written whole, through a temporary file that is gone.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["discovery.json"]);
}

#[test]
fn installs_with_the_environments_pip_before_discovering() {
    let dir = common::scratch();
    // Pinned, so the kept environment stays as it is.
    let constraints = dir.path().join("constraints.txt");
    std::fs::write(&constraints, REQUIREMENTS.join("\n")).unwrap();
    let out = common::chaos(dir.path())
        .env_remove("VIRTUAL_ENV")
        .env_remove("CHAOS_PYTHON")
        .env("PIP_CONSTRAINT", &constraints)
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .arg("discover")
        .arg("--python")
        .arg(venv_python())
        .arg("chaostoolkit-k6")
        .output()
        .unwrap();
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("Attempting to download and install package 'chaostoolkit-k6'"),
        "{err}"
    );
    assert!(
        err.contains("Package downloaded and installed in current environment"),
        "{err}"
    );
    let d = read(&dir.path().join("discovery.json"));
    assert_eq!(
        d["extension"],
        json!({"name": "chaostoolkit-k6", "version": "0.3.4"})
    );
}

#[test]
fn a_package_that_cannot_be_installed_exits_zero_and_writes_nothing() {
    let dir = common::scratch();
    let out = discover(
        dir.path(),
        &["chaostoolkit-no-such-extension-for-chaos-tests"],
    );
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("failed to install `chaostoolkit-no-such-extension-for-chaos-tests`"),
        "{err}"
    );
    assert!(!dir.path().join("discovery.json").exists());
}

#[test]
fn an_unknown_package_exits_zero_and_writes_nothing() {
    let dir = common::scratch();
    let log = dir.path().join("chaos.log");
    // With a log file this time (common::chaos turns it off).
    let out = Command::new(common::chaos_bin())
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .arg("--log-file")
        .arg(&log)
        .arg("--settings")
        .arg(dir.path().join("no-settings.yaml"))
        .args(["discover", "--no-install", "--python"])
        .arg(venv_python())
        .arg("chaostoolkit-unknown-extension")
        .output()
        .unwrap();
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("Package chaostoolkit-unknown-extension not found"),
        "{err}"
    );
    assert!(!dir.path().join("discovery.json").exists());
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("Running command 'discover'"), "{logged}");
    assert!(
        logged.contains("Package chaostoolkit-unknown-extension not found"),
        "{logged}"
    );
}

#[test]
fn an_extension_without_a_discover_function_is_reported() {
    let dir = common::scratch();
    let out = discover(dir.path(), &["--no-install", "chaostoolkit-addons"]);
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("package 'chaosaddons' does not export a `discover` function"),
        "{err}"
    );
    assert!(!dir.path().join("discovery.json").exists());
}

#[test]
fn an_environment_without_chaostoolkit_lib_says_how_to_fix_it() {
    let dir = common::scratch();
    // An extension module that needs chaoslib, seen by an interpreter that
    // has none (the test environment's base interpreter, with the module on
    // PYTHONPATH and a distribution record for it).
    let site = dir.path().join("site");
    std::fs::create_dir_all(site.join("chaosneedslib")).unwrap();
    std::fs::write(
        site.join("chaosneedslib/__init__.py"),
        "from chaoslib.discovery import initialize_discovery_result\n\ndef discover(discover_system=True):\n    return initialize_discovery_result('x', '0', 'x')\n",
    )
    .unwrap();
    let info = site.join("chaostoolkit_needslib-0.1.0.dist-info");
    std::fs::create_dir_all(&info).unwrap();
    std::fs::write(
        info.join("METADATA"),
        "Metadata-Version: 2.1\nName: chaostoolkit-needslib\nVersion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(info.join("top_level.txt"), "chaosneedslib\n").unwrap();
    let bare = dir.path().join("bare");
    let made = Command::new("python3")
        .args(["-m", "venv", "--without-pip"])
        .arg(&bare)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let out = common::chaos(dir.path())
        .env_remove("VIRTUAL_ENV")
        .env_remove("CHAOS_PYTHON")
        .env("PYTHONPATH", &site)
        .args(["discover", "--no-install", "--python"])
        .arg(bare.join("bin/python"))
        .arg("chaostoolkit-needslib")
        .output()
        .unwrap();
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("could not load Python module 'chaosneedslib'"),
        "{err}"
    );
    assert!(err.contains("-m pip install chaostoolkit-lib`"), "{err}");
    assert!(!dir.path().join("discovery.json").exists());
}

#[test]
fn a_missing_interpreter_is_an_error() {
    let dir = common::scratch();
    let out = common::chaos(dir.path())
        .args([
            "discover",
            "--python",
            "/nonexistent/python",
            "chaostoolkit-k6",
        ])
        .output()
        .unwrap();
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("cannot start the Python interpreter /nonexistent/python"),
        "{err}"
    );
}
