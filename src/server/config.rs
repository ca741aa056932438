//! Configuration: one clap parser reading flags and environment variables.

use crate::server::metrics::{MetricsMode, MetricsToken};
use crate::server::storage::{StorageLocation, StorageUrlError};
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "modelyard", version, about = "A self-hosted model registry")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// How log lines on standard error look: `text` for people, `json` for log collectors (one
    /// object a line: timestamp, level, target, message, fields and the request's span).
    #[arg(long, global = true, env = "MODELYARD_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// `--log-format`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web app and the REST API.
    Serve(ServeArgs),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Look after stored files.
    #[command(subcommand)]
    Storage(StorageCommand),
    /// Compute feature impact locally and print it as JSON.
    FeatureImpact(crate::server::feature_impact::command::FeatureImpactArgs),
    /// Load two demo models (scikit-learn models in ONNX, with versions, training data and
    /// computed feature impact) into the registry. Models already there are left alone.
    Demo {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Write the whole registry (every row and stored file) to a new directory, to move it to
    /// another database or storage with `import`.
    Export {
        /// The directory to write; it must not exist yet or be empty.
        #[arg(long)]
        to: std::path::PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Load a directory written by `export` into this registry, which must be empty.
    Import {
        /// The directory `export` wrote.
        #[arg(long)]
        from: std::path::PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Serve an ONNX model over the custom-model prediction protocol.
    ServePredictions(crate::server::predict::serve::ServePredictionsArgs),
    /// Load an ONNX model and answer prediction requests on standard input and output, within
    /// a memory limit: the server runs uploaded models this way, never in its own process.
    #[command(hide = true, name = "model-runner")]
    ModelRunner {
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        memory_bytes: u64,
    },
    /// Print every REST route and server function path (`REST <path>`, `FN <method> <path>`),
    /// for tests and maintenance.
    #[command(hide = true)]
    Routes,
}

#[derive(Debug, Subcommand)]
pub enum StorageCommand {
    /// Mark versions whose uploads never finished as failed and remove stored files that no
    /// version uses any more (the server also does this every hour).
    Sweep {
        /// Leave anything younger than this alone, so uploads in progress are not disturbed.
        #[arg(long, default_value_t = 3600)]
        grace_seconds: u64,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; the password is read from the first line of standard input.
    Add {
        username: String,
        /// Make the user an admin.
        #[arg(long)]
        admin: bool,
        #[arg(long)]
        display_name: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user and print it (and nothing else) on standard output.
    Add {
        name: String,
        #[arg(long)]
        user: String,
        #[arg(long)]
        expires_in_days: Option<i64>,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// Where records live; shared by every subcommand.
#[derive(Clone, Args)]
pub struct StoreArgs {
    /// Directory for the SQLite database and stored files.
    #[arg(long, env = "MODELYARD_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// A database URL (sqlite://...); defaults to DATA_DIR/modelyard.db.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Where stored files go: s3://BUCKET/PREFIX for S3-compatible storage (configured by the
    /// usual AWS_* variables), or file:///ABSOLUTE/PATH; defaults to DATA_DIR/blobs.
    #[arg(long, env = "STORAGE_URL", hide_env_values = true)]
    pub storage_url: Option<String>,
    /// With S3 storage: most bytes kept in the local cache of stored files (DATA_DIR/blob-cache)
    /// that model runtimes and dataset readers use.
    #[arg(
        long,
        env = "MODELYARD_STORAGE_CACHE_BYTES",
        default_value_t = crate::server::storage::DEFAULT_CACHE_BYTES
    )]
    pub storage_cache_bytes: u64,
}

/// A database URL can hold a password: `Debug` shows only whether one is set.
impl std::fmt::Debug for StoreArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreArgs")
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_ref().map(|_| "<redacted>"),
            )
            .field(
                "storage_url",
                &self.storage_location().map(|l| l.to_string()).ok(),
            )
            .field("storage_cache_bytes", &self.storage_cache_bytes)
            .finish()
    }
}

impl StoreArgs {
    /// Where stored files go, as `--storage-url` says.
    pub fn storage_location(&self) -> Result<StorageLocation, StorageUrlError> {
        StorageLocation::parse(self.storage_url.as_deref(), &self.data_dir)
    }

    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("modelyard.db").display()),
        }
    }
}

#[derive(Clone, Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "MODELYARD_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Directory holding the built site (pkg/ with the WASM, JS and CSS).
    #[arg(long, env = "MODELYARD_SITE_ROOT")]
    pub site_root: Option<PathBuf>,
    /// Largest request body accepted by JSON endpoints, in bytes.
    #[arg(long, env = "MODELYARD_MAX_JSON_BYTES", default_value_t = 1024 * 1024)]
    pub max_json_bytes: usize,
    /// Largest single file an upload may carry, in bytes (default 16 GiB).
    #[arg(long, env = "MODELYARD_MAX_UPLOAD_BYTES", default_value_t = 16 * 1024 * 1024 * 1024)]
    pub max_upload_bytes: u64,
    /// Most files one version may hold.
    #[arg(
        long,
        env = "MODELYARD_MAX_FILES_PER_VERSION",
        default_value_t = 10_000
    )]
    pub max_files_per_version: usize,
    /// How long a browser session lasts, in days.
    #[arg(long, env = "MODELYARD_SESSION_DAYS", default_value_t = 30)]
    pub session_days: i64,
    /// The URL people reach the app at, if it differs from the listening address (behind a
    /// proxy). Used for links in the log; an https URL marks cookies Secure (so does a proxy's
    /// `X-Forwarded-Proto: https` on each request).
    #[arg(long, env = "MODELYARD_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Background jobs (feature impact) run at once by this process. Each keeps a core busy.
    #[arg(long, env = "MODELYARD_JOB_WORKERS", default_value_t = 1)]
    pub job_workers: usize,
    /// A running job whose instance has not written its heartbeat (every 2 s) for this many
    /// seconds is taken over by another instance (several instances on PostgreSQL).
    #[arg(long, env = "MODELYARD_JOB_STALE_SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(5..=3600))]
    pub job_stale_seconds: u64,
    /// Prediction servers feature impact may call, comma-separated: host names or addresses,
    /// `host:port`, `*.domain` suffixes, or `*` for any. Requests go from this server, so keep
    /// this to the hosts models are served from.
    #[arg(
        long,
        env = "MODELYARD_PREDICTION_HOSTS",
        value_delimiter = ',',
        default_value = "localhost,127.0.0.1,[::1]"
    )]
    pub prediction_hosts: Vec<String>,
    /// The most memory loading or running an uploaded model may use, in bytes. Models run in a
    /// child process of their own, so a model over this is refused without touching the server.
    #[arg(
        long,
        env = "MODELYARD_MODEL_MEMORY_BYTES",
        default_value_t = crate::server::predict::runner::DEFAULT_MEMORY_BYTES,
        value_parser = clap::value_parser!(u64).range(16 * 1024 * 1024..)
    )]
    pub model_memory_bytes: u64,
    /// The most time loading an uploaded model, or one batch of its predictions, may take.
    #[arg(
        long,
        env = "MODELYARD_MODEL_TIMEOUT_SECONDS",
        default_value_t = crate::server::predict::runner::DEFAULT_TIMEOUT.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..=86_400)
    )]
    pub model_timeout_seconds: u64,
    /// Who may read `GET /metrics` (Prometheus text format): `off` answers 404; `token` needs
    /// `Authorization: Bearer` with --metrics-token; `public` lets anyone who reaches the server
    /// read it (for a port only the monitoring network can reach). Off unless asked for: the
    /// figures name routes, job kinds and sizes an outsider has no business seeing.
    #[arg(long, env = "MODELYARD_METRICS", value_enum, default_value_t = MetricsMode::Off)]
    pub metrics: MetricsMode,
    /// The secret a scrape sends with `--metrics token` (16 to 256 visible ASCII characters). A
    /// token of its own, not a user's API token, so the scraper can read the figures and nothing
    /// else.
    #[arg(
        long,
        env = "MODELYARD_METRICS_TOKEN",
        hide_env_values = true,
        required_if_eq("metrics", "token")
    )]
    pub metrics_token: Option<MetricsToken>,
}

impl ServeArgs {
    /// How uploaded models may run.
    pub fn runner_limits(&self) -> crate::server::predict::RunnerLimits {
        crate::server::predict::RunnerLimits::new(
            self.model_memory_bytes,
            std::time::Duration::from_secs(self.model_timeout_seconds),
        )
    }

    /// Where the built site is: the flag, leptos's `LEPTOS_SITE_ROOT`, or the usual build outputs.
    pub fn site_root(&self) -> PathBuf {
        if let Some(root) = &self.site_root {
            return root.clone();
        }
        if let Ok(root) = std::env::var("LEPTOS_SITE_ROOT") {
            return PathBuf::from(root);
        }
        let mut candidates = Vec::new();
        if let Ok(target) = std::env::var("CARGO_TARGET_DIR") {
            candidates.push(PathBuf::from(target).join("site"));
        }
        candidates.push(PathBuf::from("target").join("site"));
        candidates
            .iter()
            .find(|c| c.join("pkg").is_dir())
            .unwrap_or(&candidates[candidates.len() - 1])
            .clone()
    }

    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.addr),
        }
    }
}
