//! The state every request handler shares.

use crate::server::jobs::JobRunner;
use crate::server::metrics::{Metrics, MetricsSources};
use crate::server::storage::BlobStore;
use sqlx::AnyPool;
use std::sync::Arc;

/// The state of the server this process runs, for the rare server-function call that finds no
/// reactive context (a resource whose component was replaced while its request was on its way).
static SERVING: std::sync::OnceLock<AppState> = std::sync::OnceLock::new();

/// Records the state `modelyard serve` runs with (once per process).
pub fn set_serving(state: &AppState) {
    let _ = SERVING.set(state.clone());
}

pub fn serving() -> Option<AppState> {
    SERVING.get().cloned()
}

/// Cheap to clone (every request handler and middleware takes a copy): one shared
/// [`StateParts`], read through `Deref`.
#[derive(Clone)]
pub struct AppState(Arc<StateParts>);

impl AppState {
    pub fn new(parts: StateParts) -> Self {
        Self(Arc::new(parts))
    }
}

impl std::ops::Deref for AppState {
    type Target = StateParts;
    fn deref(&self) -> &StateParts {
        &self.0
    }
}

/// What [`AppState`] shares.
#[derive(Clone)]
pub struct StateParts {
    pub db: AnyPool,
    pub settings: Arc<Settings>,
    pub blobs: BlobStore,
    /// Queues background work (feature impact) and runs it in this process's workers.
    pub jobs: JobRunner,
    /// What operators watch (`GET /metrics`): request figures, and who may read them.
    pub metrics: Arc<Metrics>,
    pub leptos: leptos::config::LeptosOptions,
}

/// Settings fixed at start.
#[derive(Clone, Debug)]
pub struct Settings {
    pub public_url: String,
    pub max_json_bytes: usize,
    /// Largest single file accepted by uploads, in bytes.
    pub max_upload_bytes: u64,
    pub max_files_per_version: usize,
    pub session_days: i64,
    /// Mark cookies `Secure` on every response (the public URL is https). Requests that a proxy
    /// reports as https get `Secure` cookies either way.
    pub secure_cookies: bool,
    /// Patterns of the prediction servers feature impact may call.
    pub prediction_hosts: Vec<String>,
    /// How uploaded models are loaded and run: in a child process with these limits.
    pub model_limits: crate::server::predict::RunnerLimits,
}

impl Settings {
    /// The limits in force with these settings (`GET /api/v1/limits`, the admin limits page).
    pub fn limits(&self) -> crate::domain::limits::Limits {
        crate::domain::limits::Limits::with_settings(
            self.max_upload_bytes,
            self.max_files_per_version,
            self.max_json_bytes,
        )
    }
}

impl axum::extract::FromRef<AppState> for leptos::config::LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

impl axum::extract::FromRef<AppState> for MetricsSources {
    fn from_ref(state: &AppState) -> Self {
        MetricsSources {
            metrics: state.metrics.clone(),
            db: state.db.clone(),
            job_durations: state.jobs.durations(),
            job_kinds: state.jobs.kind_names(),
        }
    }
}
