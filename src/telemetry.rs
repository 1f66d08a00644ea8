//! Logging: always to a daily-rotated file (a terminal UI must never be written over), and
//! additionally to stderr for non-interactive commands.

use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::config::LogFormat;

/// Name prefix of the log files (`oddswatch.log.2026-11-27`).
pub const LOG_FILE_PREFIX: &str = "oddswatch.log";

/// Keeps the file writer alive; drop it last so buffered lines are flushed.
pub struct LogGuard {
    _file: Option<WorkerGuard>,
    /// Folder the log file is written to (`None` if it could not be created).
    pub dir: Option<PathBuf>,
}

/// Whether stderr may carry colour: a terminal, and `NO_COLOR` unset or empty (no-color.org).
pub fn stderr_colour() -> bool {
    std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Directives added to the stderr filter when `RUST_LOG` is not set: sqlx's slow-statement
/// warnings (index builds in `demo-data`, migrations) and server notices are for the log file, not
/// for a user's terminal.
const STDERR_QUIET: &[&str] = &["sqlx::query=error", "sqlx::postgres::notice=error"];

/// Installs the global subscriber. `level` is the configured filter; `RUST_LOG` wins when set.
/// `format` shapes the lines on stderr and in the file alike (`log.format`).
/// If the log folder cannot be created, logging goes to stderr only (when allowed) and a warning
/// says so, rather than failing the command.
pub fn init(level: &str, dir: &Path, to_stderr: bool, format: LogFormat) -> LogGuard {
    let filter = || {
        std::env::var("RUST_LOG")
            .ok()
            .and_then(|v| EnvFilter::try_new(v).ok())
            .unwrap_or_else(|| EnvFilter::new(level))
    };
    let (file_layer, guard, dir_ok) = match std::fs::create_dir_all(dir) {
        Ok(()) => {
            let appender = tracing_appender::rolling::daily(dir, LOG_FILE_PREFIX);
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let layer = match format {
                LogFormat::Text => tracing_subscriber::fmt::layer()
                    .with_writer(writer)
                    .with_ansi(false)
                    .boxed(),
                LogFormat::Json => json_layer(writer),
            };
            (Some(layer.with_filter(filter()).boxed()), Some(guard), true)
        }
        Err(_) => (None, None, false),
    };
    let stderr_filter = || {
        if std::env::var("RUST_LOG").is_ok() {
            return filter();
        }
        STDERR_QUIET.iter().fold(filter(), |f, directive| {
            f.add_directive(directive.parse().expect("a valid directive"))
        })
    };
    let stderr_layer = to_stderr.then(|| {
        let layer = match format {
            LogFormat::Text => tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_target(false)
                .with_ansi(stderr_colour())
                .boxed(),
            LogFormat::Json => json_layer(std::io::stderr),
        };
        layer.with_filter(stderr_filter()).boxed()
    });
    // A second init (tests calling run twice) is harmless: keep the first subscriber.
    // Boxed layers in a Vec: each one's type depends on the format, and a Vec of layers is
    // one layer over the registry.
    let layers: Vec<_> = file_layer.into_iter().chain(stderr_layer).collect();
    let _ = tracing_subscriber::registry().with(layers).try_init();
    if !dir_ok {
        tracing::warn!(dir = %dir.display(), "cannot create the log folder; logging to stderr only");
    }
    LogGuard {
        _file: guard,
        dir: dir_ok.then(|| dir.to_path_buf()),
    }
}

/// A layer writing one JSON object per line: `timestamp`, `level`, `target`, the message and
/// the event's fields at the top level (log shippers index them without unnesting), and the
/// span the event happened in. No colour codes: the text is data.
fn json_layer<W>(writer: W) -> Box<dyn Layer<Registry> + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_ansi(false)
        .with_writer(writer)
        .boxed()
}
