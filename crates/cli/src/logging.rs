//! Logging: human-readable lines on stderr, JSON lines in a daily file under the state dir, in
//! the shape OpenClaw's log readers parse ([`file_line`]).
//!
//! The file layer is only installed when the log directory's parent (the state dir) already
//! exists, so a read-only command on a fresh machine does not create `~/.rustyclaw` behind the
//! user's back. The files are private to the user ([`daily_file`]). `RUSTYCLAW_LOG` overrides
//! both levels with `tracing` filter directives.

mod daily_file;
mod file_line;

use std::io::IsTerminal;
use std::path::Path;

use rustyclaw_config::file::{ConsoleStyle, LogLevel};
use rustyclaw_config::{Env, LoggingConfig, env_vars};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _};

/// Keeps the background log writer alive; drop it last so buffered lines reach the file.
pub struct LogGuard(#[expect(dead_code, reason = "held only for its Drop")] Option<WorkerGuard>);

/// Log lines queued for the file writer thread before new ones are dropped.
const LOG_QUEUE_LINES: usize = 4096;

/// Daily log files kept, today's included.
const LOG_FILES_KEPT: usize = 14;

/// Installs the global subscriber. `console_default` is the stderr level when neither
/// `-v` nor `logging.consoleLevel` says otherwise.
pub fn init(
    config: Option<&LoggingConfig>,
    env: &Env,
    verbose: u8,
    console_default: LogLevel,
    state_dir: &Path,
    to_file: bool,
) -> LogGuard {
    let console_level = match verbose {
        0 => config
            .and_then(|c| c.console_level)
            .unwrap_or(console_default),
        1 => LogLevel::Info,
        2 => LogLevel::Debug,
        _ => LogLevel::Trace,
    };
    let override_filter = env.non_empty(env_vars::RUSTYCLAW_LOG);
    let filter = |level: LogLevel| {
        EnvFilter::try_new(override_filter.unwrap_or(level.as_filter()))
            .unwrap_or_else(|_| EnvFilter::new(level.as_filter()))
    };
    let style = config.map_or(ConsoleStyle::Compact, |c| c.console_style);
    // Colour only for a person at a terminal: a pipe, a file or a CI log gets plain text, and
    // NO_COLOR turns it off everywhere.
    let colour = std::io::stderr().is_terminal() && env.non_empty(env_vars::NO_COLOR).is_none();
    let console = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .with_target(false);
    let console = match style {
        ConsoleStyle::Pretty => console.pretty().with_filter(filter(console_level)).boxed(),
        ConsoleStyle::Compact => console.compact().with_filter(filter(console_level)).boxed(),
        ConsoleStyle::Json => console.json().with_filter(filter(console_level)).boxed(),
    };

    let mut guard = None;
    let file_layer = config
        .filter(|_| to_file && state_dir.is_dir())
        .and_then(|c| {
            let appender = if c.daily {
                let dir = c.file.parent()?;
                let stem = c.file.file_stem()?.to_string_lossy().into_owned();
                let ext = c
                    .file
                    .extension()
                    .map(|e| e.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "jsonl".to_owned());
                daily_file::DailyFile::open(dir, &stem, &ext, LOG_FILES_KEPT).ok()?
            } else {
                daily_file::DailyFile::exact(&c.file).ok()?
            };
            // The queue to the writer thread is allocated whole up front: the default 128,000
            // lines cost 4 MB of resident memory from the first second. 4,096 lines (128 KB) ride
            // out any burst a disk keeps up with; beyond that lines are dropped (lossy, as the
            // default), never the gateway slowed down.
            let (writer, g) = tracing_appender::non_blocking::NonBlockingBuilder::default()
                .buffered_lines_limit(LOG_QUEUE_LINES)
                .finish(appender);
            guard = Some(g);
            Some(file_line::FileLines::new(writer).with_filter(filter(c.level)))
        });
    // A second init (only possible in tests) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(console)
        .with(file_layer)
        .try_init();
    LogGuard(guard)
}
