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
    file: Option<Mutex<BufWriter<File>>>,
    min: Level,
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
                file: Some(Mutex::new(BufWriter::new(f))),
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
        let now = chrono::Local::now().format("%Y-%m-%d %H:%M:%S");
        let message = message.replace('\n', "\n    ");
        let mut f = file.lock().unwrap_or_else(|e| e.into_inner());
        let _ = writeln!(f, "[{now} {}] {message}", level.name());
    }

    /// A debug record.
    pub fn debug(&self, message: &str) {
        self.log(Level::Debug, message);
    }

    /// Flushes buffered records.
    pub fn flush(&self) {
        if let Some(file) = &self.file {
            let _ = file.lock().unwrap_or_else(|e| e.into_inner()).flush();
        }
    }
}

impl Drop for LogFile {
    fn drop(&mut self) {
        self.flush();
    }
}
