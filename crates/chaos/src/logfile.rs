//! The log file (`chaostoolkit.log` by default, appended to), in the
//! reference's line format so existing habits (`grep`, log shippers) work.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;

/// Log levels, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Details.
    Debug,
    /// Progress.
    Info,
    /// Something to look at.
    Warning,
    /// Something went wrong.
    Error,
}

impl Level {
    /// The reference's level name.
    pub fn name(self) -> &'static str {
        match self {
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warning => "WARNING",
            Level::Error => "ERROR",
        }
    }
}

/// An append-only log file, or nothing.
pub struct LogFile {
    file: Option<Mutex<Writer>>,
    min: Level,
}

/// The file and the last timestamp written: records come by the thousand
/// within a second, and asking for the local time zone each time cost more
/// than the rest of a record.
struct Writer {
    out: BufWriter<File>,
    second: u64,
    stamp: String,
}

impl Writer {
    fn refresh_stamp(&mut self) {
        let second = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        if second != self.second || self.stamp.is_empty() {
            self.second = second;
            self.stamp = chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string();
        }
    }
}

impl LogFile {
    /// No logging.
    pub fn disabled() -> Self {
        LogFile {
            file: None,
            min: Level::Error,
        }
    }

    /// Opens (creates) `path` for appending; a file that cannot be opened
    /// disables logging with a warning rather than stopping the command.
    pub fn open(path: &Path, level: &str) -> Self {
        let min = match level {
            "info" => Level::Info,
            "warning" => Level::Warning,
            "error" => Level::Error,
            _ => Level::Debug,
        };
        match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            Ok(f) => LogFile {
                file: Some(Mutex::new(Writer {
                    out: BufWriter::new(f),
                    second: 0,
                    stamp: String::new(),
                })),
                min,
            },
            Err(e) => {
                crate::console::warn_line(&format!(
                    "cannot open the log file '{}': {e}; logging to file is off",
                    path.display()
                ));
                LogFile::disabled()
            }
        }
    }

    /// Writes one record (every line of a multi-line message is indented).
    pub fn log(&self, level: Level, message: &str) {
        let Some(file) = &self.file else { return };
        if level < self.min {
            return;
        }
        let message = message.replace('\n', "\n    ");
        let mut f = file.lock().unwrap_or_else(|e| e.into_inner());
        let w = &mut *f;
        w.refresh_stamp();
        let _ = writeln!(w.out, "[{} {}] {message}", w.stamp, level.name());
    }

    /// A debug record.
    pub fn debug(&self, message: &str) {
        self.log(Level::Debug, message);
    }

    /// Flushes buffered records.
    pub fn flush(&self) {
        if let Some(file) = &self.file {
            let _ = file.lock().unwrap_or_else(|e| e.into_inner()).out.flush();
        }
    }
}

impl Drop for LogFile {
    fn drop(&mut self) {
        self.flush();
    }
}
