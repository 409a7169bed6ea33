//! Plug-ins: `chaos NAME ARGS...` runs `chaos-NAME` from PATH with ARGS and
//! exits with its status; `chaos --help` and `chaos info extensions` list
//! them; an unknown NAME is still clap's usage error.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/plugins")
}

/// PATH with `dirs` first.
fn path_with(dirs: &[&Path]) -> std::ffi::OsString {
    let mut all: Vec<PathBuf> = dirs.iter().map(|d| d.to_path_buf()).collect();
    if let Some(p) = std::env::var_os("PATH") {
        all.extend(std::env::split_paths(&p));
    }
    std::env::join_paths(all).unwrap()
}

fn chaos(dir: &Path, dirs: &[&Path]) -> Command {
    let mut c = common::chaos(dir);
    c.env("PATH", path_with(dirs));
    c
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[cfg(unix)]
fn write_plugin(dir: &Path, name: &str, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join(format!("chaos-{name}"));
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn the_example_plugin_gets_its_arguments_and_reads_experiments() {
    let dir = common::scratch();
    common::write_experiment(
        dir.path(),
        "e.json",
        &serde_json::json!({"title": "Hello title", "description": "d", "method": []}),
    );
    std::fs::write(
        dir.path().join("e.yaml"),
        "title: 'YAML title'\ndescription: d\nmethod: []\n",
    )
    .unwrap();
    let out = chaos(dir.path(), &[&examples()])
        .args(["hello", "--validate", "e.json", "e.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("arguments: --validate e.json e.yaml"),
        "{text}"
    );
    assert!(text.contains("e.json: Hello title\n"), "{text}");
    assert!(text.contains("e.yaml: YAML title\n"), "{text}");
    // It called chaos back through $CHAOS.
    assert!(text.contains("e.json: valid\n"), "{text}");
    let out = chaos(dir.path(), &[&examples()])
        .args(["hello", "missing.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(common::stderr(&out).contains("missing.json: cannot be read"));
}

#[cfg(unix)]
#[test]
fn exit_status_and_raw_arguments_pass_through() {
    let dir = common::scratch();
    let bin = common::scratch();
    write_plugin(
        bin.path(),
        "seven",
        "for a in \"$@\"; do echo \"[$a]\"; done; exit 7",
    );
    let out = chaos(dir.path(), &[bin.path()])
        .args(["seven", "--help", "a b", "-x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7), "{}", common::stderr(&out));
    assert_eq!(stdout(&out), "[--help]\n[a b]\n[-x]\n");
    // Not executable: not a plug-in.
    std::fs::write(bin.path().join("chaos-plain"), "#!/bin/sh\nexit 0\n").unwrap();
    let out = chaos(dir.path(), &[bin.path()])
        .arg("plain")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn an_unknown_command_is_still_a_usage_error() {
    let dir = common::scratch();
    let out = chaos(dir.path(), &[&examples()])
        .arg("helo")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = common::stderr(&out);
    assert!(err.contains("unrecognized subcommand 'helo'"), "{err}");
    assert!(err.contains("a similar subcommand exists: 'help'"), "{err}");
    assert!(err.contains("Usage: chaos [OPTIONS] [COMMAND]"), "{err}");
}

#[test]
fn help_and_info_list_the_plugins() {
    let dir = common::scratch();
    let out = chaos(dir.path(), &[&examples()])
        .arg("--help")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    let section = text.split("Plug-ins").nth(1).expect("a Plug-ins section");
    assert!(section.contains("hello"), "{text}");
    assert!(text.contains("  init "), "{text}");
    assert!(text.contains("  schema "), "{text}");
    let out = chaos(dir.path(), &[&examples()])
        .args(["info", "extensions"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    let line = text
        .lines()
        .find(|l| l.starts_with("chaos-hello (plug-in)"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("chaos-hello"), "{line}");
}
