//! Logging setup: human-readable by default, JSON when asked. Lines are
//! written by a background thread so a request never waits on stderr.
//! Colour only when stderr is a terminal.

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Installs the subscriber; keep the guard alive until exit so the last
/// lines are flushed. A second call (tests) keeps the first subscriber.
pub fn init(format: &str) -> Option<WorkerGuard> {
    let filter = EnvFilter::try_from_env("PRESSFEED_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn"));
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(256 * 1024)
        .finish(std::io::stderr());
    // Colour codes only for a person at a terminal: in a file, a pipe or
    // the journal they are noise around every field.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(writer);
    let installed = if format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    installed.ok().map(|()| guard)
}
