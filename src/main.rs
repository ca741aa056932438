//! The `modelyard` binary: the web app, the REST API and the admin command line.

use clap::Parser;
use modelyard::server::config::{Cli, LogFormat};
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    // Without a subcommand the binary serves.
    let cli = if std::env::args_os().len() <= 1 {
        Cli::parse_from(["modelyard", "serve"])
    } else {
        Cli::parse()
    };
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        // Colours for a person at a terminal; none in a file or a collector's pipe, where the
        // escape codes are noise (and writing them cost a tenth of a small request's CPU).
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match cli.log_format {
        LogFormat::Text => logs.init(),
        // Event fields (the message among them) at the top level, and the fields of the
        // request's span (its id, method, route) under "span".
        LogFormat::Json => logs
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
    modelyard::cli::run(cli).await
}
