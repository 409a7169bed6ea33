//! Plug-ins, the cargo/git way: `chaos NAME ARGS...` runs an executable
//! `chaos-NAME` found on PATH with ARGS, and exits with its status.

use std::path::PathBuf;

use super::CmdResult;

/// The plug-ins on PATH, by name (without `chaos-`), the first found for
/// each name, sorted.
pub fn find() -> Vec<(String, PathBuf)> {
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    let Some(path) = std::env::var_os("PATH") else {
        return found;
    };
    for dir in std::env::split_paths(&path) {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let file_name = entry.file_name();
            let Some(name) = file_name.to_str().and_then(|n| n.strip_prefix("chaos-")) else {
                continue;
            };
            if name.is_empty() || found.iter().any(|(n, _)| n == name) {
                continue;
            }
            let path = entry.path();
            if is_executable(&path) {
                found.push((name.to_string(), path));
            }
        }
    }
    found.sort();
    found
}

/// The plug-in `name` on PATH.
fn lookup(name: &str) -> Option<PathBuf> {
    if name.is_empty() || name.contains(std::path::is_separator) {
        return None;
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(format!("chaos-{name}")))
        .find(|p| is_executable(p))
}

#[cfg(unix)]
fn is_executable(path: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &std::path::Path) -> bool {
    path.is_file()
}

/// The "Plug-ins:" section of `chaos --help`; the PATH is only read when
/// help is being shown.
pub fn help_section() -> Option<&'static str> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let wants_help = args.is_empty()
        || args
            .iter()
            .any(|a| a == "-h" || a == "--help" || a == "help");
    if !wants_help {
        return None;
    }
    let plugins = find();
    if plugins.is_empty() {
        return None;
    }
    let width = plugins.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    let mut text = String::from("Plug-ins (chaos NAME runs chaos-NAME from PATH):\n");
    for (name, path) in &plugins {
        text.push_str(&format!("  {name:<width$}  {}\n", path.display()));
    }
    Some(Box::leak(text.trim_end().to_string().into_boxed_str()))
}

/// Runs the plug-in named by `args[0]` with the rest of `args`; its exit
/// status becomes ours. Without such a plug-in, clap's own error for an
/// unknown sub-command (exit 2).
pub fn run(args: &[String]) -> CmdResult {
    let Some((name, rest)) = args.split_first() else {
        return Ok(2);
    };
    let Some(path) = lookup(name) else {
        unknown_subcommand(name)
    };
    let mut command = std::process::Command::new(&path);
    command.args(rest);
    if let Ok(me) = std::env::current_exe() {
        command.env("CHAOS", me);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let e = command.exec();
        anyhow::bail!("cannot run the plug-in '{}': {e}", path.display())
    }
    #[cfg(not(unix))]
    {
        let status = command
            .status()
            .map_err(|e| anyhow::anyhow!("cannot run the plug-in '{}': {e}", path.display()))?;
        Ok(status.code().unwrap_or(1) as u8)
    }
}

/// clap's own error for an unknown sub-command, with its "similar
/// sub-command" tip (clap cannot produce it once external sub-commands are
/// allowed); exits 2.
fn unknown_subcommand(name: &str) -> ! {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    use clap::CommandFactory;
    let mut cmd = crate::cli::Cli::command();
    let mut names: Vec<String> = cmd
        .get_subcommands()
        .flat_map(|c| {
            std::iter::once(c.get_name().to_string()).chain(c.get_all_aliases().map(str::to_string))
        })
        .collect();
    names.push("help".into());
    let mut similar: Vec<(f64, String)> = names
        .into_iter()
        .map(|n| (jaro(name, &n), n))
        .filter(|(c, _)| *c > 0.7)
        .collect();
    similar.sort_by(|a, b| a.0.total_cmp(&b.0));
    let usage = cmd.render_usage();
    let mut err = clap::Error::new(ErrorKind::InvalidSubcommand).with_cmd(&cmd);
    err.insert(
        ContextKind::InvalidSubcommand,
        ContextValue::String(name.to_string()),
    );
    if !similar.is_empty() {
        err.insert(
            ContextKind::SuggestedSubcommand,
            ContextValue::Strings(similar.into_iter().map(|(_, n)| n).collect()),
        );
    }
    err.insert(ContextKind::Usage, ContextValue::StyledStr(usage));
    err.exit()
}

/// The Jaro similarity (what clap's suggestions use).
fn jaro(a: &str, b: &str) -> f64 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut b_used = vec![false; b.len()];
    let mut a_matched = Vec::new();
    for (i, ca) in a.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        for j in lo..hi {
            if !b_used[j] && b[j] == *ca {
                b_used[j] = true;
                a_matched.push(*ca);
                break;
            }
        }
    }
    let m = a_matched.len();
    if m == 0 {
        return 0.0;
    }
    let b_matched = b.iter().zip(&b_used).filter(|(_, u)| **u).map(|(c, _)| *c);
    let transpositions = a_matched
        .iter()
        .zip(b_matched)
        .filter(|(x, y)| **x != *y)
        .count()
        / 2;
    let m = m as f64;
    (m / a.len() as f64 + m / b.len() as f64 + (m - transpositions as f64) / m) / 3.0
}

#[cfg(test)]
mod tests {
    #[test]
    fn jaro_as_strsim() {
        assert!(super::jaro("helo", "help") > 0.7);
        assert!(super::jaro("rnu", "run") < 0.7);
        assert_eq!(super::jaro("run", "run"), 1.0);
    }
}
