use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Human-readable logs by default, one JSON object per line with `json`.
/// `RUST_LOG` overrides the default level. Colours only on a terminal: a log
/// file or a journal would keep the escape codes as text.
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    // A second init (tests, embedded use) keeps the first subscriber.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
