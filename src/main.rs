//! The `modelyard` binary: the web app, the REST API and the admin command line.

use clap::Parser;
use modelyard::server::config::Cli;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    // Without a subcommand the binary serves.
    let cli = if std::env::args_os().len() <= 1 {
        Cli {
            command: Cli::parse_from(["modelyard", "serve"]).command,
        }
    } else {
        Cli::parse()
    };
    modelyard::cli::run(cli).await
}
