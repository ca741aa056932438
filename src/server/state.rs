//! The state every request handler shares.

use sqlx::SqlitePool;
use std::sync::Arc;

/// Cheap to clone: everything inside is shared.
#[derive(Clone)]
pub struct AppState {
    pub db: SqlitePool,
    pub settings: Arc<Settings>,
    pub leptos: leptos::config::LeptosOptions,
}

/// Settings fixed at start.
#[derive(Clone, Debug)]
pub struct Settings {
    pub public_url: String,
    pub max_json_bytes: usize,
    pub session_days: i64,
    /// Mark cookies `Secure` (the app is reached over https).
    pub secure_cookies: bool,
}

impl axum::extract::FromRef<AppState> for leptos::config::LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}
