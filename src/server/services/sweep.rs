//! Housekeeping that keeps storage honest: versions left `pending` by a process that died are
//! marked `failed`, and blobs no file refers to any more (deleted versions, abandoned uploads)
//! are removed once they are older than the grace period.

use crate::server::db;
use crate::server::error::AppResult;
use crate::server::services::versions::fail_stale_pending;
use crate::server::state::AppState;
use crate::server::storage::{BlobStore, SWEEP_GRACE};
use sqlx::SqlitePool;
use std::time::Duration;

/// How often the sweep runs while the server is up.
const SWEEP_EVERY: Duration = Duration::from_secs(60 * 60);

/// What one sweep did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub failed_versions: u64,
    pub removed_blobs: usize,
    pub removed_temp_files: usize,
}

/// One pass. `grace` protects uploads in flight: nothing younger is touched.
pub async fn sweep(
    pool: &SqlitePool,
    blobs: &BlobStore,
    grace: Duration,
) -> AppResult<SweepReport> {
    let mut report = SweepReport::default();
    let cutoff = chrono::Utc::now()
        - chrono::Duration::from_std(grace).unwrap_or_else(|_| chrono::Duration::hours(1));
    report.failed_versions = fail_stale_pending(pool, &db::timestamp(cutoff)).await?;
    let io = |e: std::io::Error| crate::server::error::AppError::Internal(format!("sweep: {e}"));
    report.removed_temp_files = blobs.clear_temp(grace).await.map_err(io)?;
    for sha256 in blobs.old_blobs(grace).await.map_err(io)? {
        let referenced: Option<(i64,)> =
            sqlx::query_as("SELECT 1 FROM version_files WHERE sha256 = ? LIMIT 1")
                .bind(&sha256)
                .fetch_optional(pool)
                .await?;
        if referenced.is_some() {
            continue;
        }
        if blobs.remove_if_old(&sha256, grace).await.map_err(io)? {
            sqlx::query(
                "DELETE FROM blobs WHERE sha256 = ? AND NOT EXISTS (SELECT 1 FROM version_files WHERE sha256 = ?)",
            )
            .bind(&sha256)
            .bind(&sha256)
            .execute(pool)
            .await?;
            report.removed_blobs += 1;
        }
    }
    Ok(report)
}

/// Runs the sweep every hour, the first time right away.
pub fn spawn(state: AppState) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(SWEEP_EVERY);
        loop {
            every.tick().await;
            match sweep(&state.db, &state.blobs, SWEEP_GRACE).await {
                Ok(report) => tracing::info!(?report, "storage sweep done"),
                Err(e) => tracing::error!(error = %e, "storage sweep failed"),
            }
        }
    });
}
