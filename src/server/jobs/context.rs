//! What a running job sees of itself: its parameters, whether it should stop, and where its
//! progress and log lines go.

use super::JobError;
use crate::server::db;
use serde_json::Value;
use sqlx::AnyPool;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// What a running job sees of itself.
pub struct JobContext {
    pub(super) pool: AnyPool,
    pub id: String,
    pub params: Value,
    pub subject: Option<String>,
    pub(super) cancel: Arc<AtomicBool>,
    pub(super) stopping: Arc<AtomicBool>,
}

/// Tells work running outside the job's async task (`spawn_blocking`) when to stop: the job was
/// canceled or the server is stopping.
#[derive(Clone, Debug)]
pub struct StopSignal {
    cancel: Arc<AtomicBool>,
    stopping: Arc<AtomicBool>,
}

impl StopSignal {
    pub fn is_set(&self) -> bool {
        self.cancel.load(Ordering::Relaxed) || self.stopping.load(Ordering::Relaxed)
    }
}

impl JobContext {
    /// Whether someone asked the job to stop, or the server is stopping.
    pub fn is_canceled(&self) -> bool {
        self.stop_signal().is_set()
    }

    /// When to stop, for work running outside the async task (`spawn_blocking`).
    pub fn stop_signal(&self) -> StopSignal {
        StopSignal {
            cancel: Arc::clone(&self.cancel),
            stopping: Arc::clone(&self.stopping),
        }
    }

    /// Stops the job here if it was canceled.
    pub fn checkpoint(&self) -> Result<(), JobError> {
        if self.is_canceled() {
            Err(JobError::Canceled)
        } else {
            Ok(())
        }
    }

    /// Records how far the job got (0 to 1), and stops it if it was canceled.
    pub async fn progress(&self, fraction: f64) -> Result<(), JobError> {
        sqlx::query("UPDATE jobs SET progress = $1 WHERE id = $2")
            .bind(fraction.clamp(0.0, 1.0))
            .bind(&self.id)
            .execute(&self.pool)
            .await?;
        self.checkpoint()
    }

    /// Adds a line to the job's log.
    pub async fn log(&self, message: impl Into<String>) -> Result<(), JobError> {
        sqlx::query("INSERT INTO job_log (job_id, at, message) VALUES ($1, $2, $3)")
            .bind(&self.id)
            .bind(db::now())
            .bind(message.into())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
